import { applySetArguments, parseSetArgument, SetSyntaxError, SetValueError } from '../../cli/respond-edit';

// The pure half of `ladder respond <id> edit --set …`: reading the arguments and checking each
// edit as the workflow will, so a mistake is named before anything is sent.
describe('respond edit --set', () => {
  const steps = [{ action: 'shell.exec', params: { command: 'echo x', timeoutMs: 60_000, cwd: 'jobs' } }];
  const rules = { 'shell.exec': { timeoutMs: 'lower', cwd: 'subpath' } } as const;

  it('reads <path>=<value>, <step>.<path>=<value> and steps.<step>.params.<path>=<value>', () => {
    expect(parseSetArgument('timeoutMs=30000')).toMatchObject({
      step: undefined,
      path: 'timeoutMs',
      value: '30000',
    });
    expect(parseSetArgument('1.body.replicas=2')).toMatchObject({
      step: 1,
      path: 'body.replicas',
      value: '2',
    });
    expect(parseSetArgument('steps.0.params.cwd=a=b')).toMatchObject({ step: 0, path: 'cwd', value: 'a=b' });
  });

  it('refuses a --set without = or with a bad path, naming it', () => {
    expect(() => parseSetArgument('timeoutMs')).toThrow(SetSyntaxError);
    expect(() => parseSetArgument('timeoutMs')).toThrow('--set timeoutMs: expected <param path>=<value>');
    expect(() => parseSetArgument('a b=1')).toThrow('"a b" is not a param path');
    expect(() => applySetArguments(steps, rules, [])).toThrow('edit needs at least one --set');
  });

  it('applies narrowings and keeps everything else', () => {
    expect(applySetArguments(steps, rules, ['timeoutMs=30000', '0.cwd=jobs/nightly'])).toEqual([
      { action: 'shell.exec', params: { command: 'echo x', timeoutMs: 30_000, cwd: 'jobs/nightly' } },
    ]);
    expect(steps[0].params.timeoutMs).toBe(60_000);
  });

  it('names an unknown path, a value of the wrong kind, a widening and a missing step', () => {
    const wrong = (set: string) => () => applySetArguments(steps, rules, [set]);
    expect(wrong('command=rm')).toThrow(
      '--set command=rm: steps.0.params.command is not a param an approver may change for shell.exec (editable: timeoutMs, cwd)',
    );
    expect(wrong('timeoutMs=soon')).toThrow(
      '--set timeoutMs=soon: Expected a number. (steps.0.params.timeoutMs is lower)',
    );
    expect(wrong('timeoutMs=120000')).toThrow(
      '--set timeoutMs=120000: steps.0.params.timeoutMs: 120000 is not lower than 60000 (only lower is allowed: widening is refused)',
    );
    expect(wrong('cwd=elsewhere')).toThrow('elsewhere is not inside jobs');
    expect(wrong('3.timeoutMs=1')).toThrow('--set 3.timeoutMs=1: no step 3 (the task has steps 0 to 0)');
    expect(wrong('timeoutMs=120000')).toThrow(SetValueError);
    expect(() => applySetArguments(steps, undefined, ['timeoutMs=1'])).toThrow(
      'the class lets nothing be edited',
    );
  });
});
