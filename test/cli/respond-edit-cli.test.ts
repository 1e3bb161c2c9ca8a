import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadPolicyFile } from '../../policy/loader';
import { stepsHashOf } from '../../policy/step-edits';
import { taskRequestQuery } from '../../workflows/messages';
import { runLadder } from '../helpers/cli';
import { submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

// `ladder respond <id> edit --set …` as a user runs it: the built CLI in its own process, signed
// with the operator's own key, against the run's dev server and a real worker. Class `plain` of the
// standing policy lets approvers lower `timeoutMs` and narrow `cwd` of shell.exec.
const POLICY = resolve(__dirname, '..', 'fixtures', 'policies', 'standing.yaml');

describe('ladder respond … edit', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('cli-edit', { policy: loadPolicyFile(POLICY).policy });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const ladder = (...args: string[]) =>
    runLadder(
      { TEMPORAL_ADDRESS: stack.address, LADDER_TASK_QUEUE: stack.taskQueue, LADDER_POLICY_PATH: POLICY },
      ...args,
    );

  it('refuses bad --set input naming it, then narrows, and the edited steps are approved and run', async () => {
    const step = {
      action: 'shell.exec',
      params: { command: 'echo cli-edit >> effects.log', timeoutMs: 60_000, cwd: 'jobs' },
    };
    mkdirSync(join(stack.dirs.sandboxDir, 'jobs', 'nightly'), { recursive: true });
    const task = await submit(stack, taskRequest('a2', 'plain', [step]));
    const before = await waitForStatus(task.handle, (s) => s.phase === 'awaiting-human');
    const edit = (...sets: string[]) =>
      ladder('respond', task.workflowId, 'edit', ...sets.flatMap((s) => ['--set', s]), '--as', 'U0APPR002');

    const widening = await edit('timeoutMs=120000');
    expect(widening.code).toBe(1);
    expect(widening.err.trim()).toBe(
      'Refused before sending: --set timeoutMs=120000: steps.0.params.timeoutMs: 120000 is not lower than 60000 (only lower is allowed: widening is refused)',
    );
    const unknown = await edit('command=rm -rf /');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain(
      'steps.0.params.command is not a param an approver may change for shell.exec (editable: timeoutMs, cwd)',
    );
    const notNumber = await edit('timeoutMs=soon');
    expect(notNumber.code).toBe(1);
    expect(notNumber.err).toContain('--set timeoutMs=soon: Expected a number.');
    const syntax = await edit('timeoutMs');
    expect(syntax.code).toBe(2);
    expect(syntax.err).toContain('--set timeoutMs: expected <param path>=<value>');
    const none = await ladder('respond', task.workflowId, 'edit', '--as', 'U0APPR002');
    expect(none.code).toBe(2);
    expect(none.err).toContain('edit needs at least one --set');
    const misplaced = await ladder(
      'respond',
      task.workflowId,
      'approve',
      '--set',
      'timeoutMs=1',
      '--as',
      'U0APPR002',
    );
    expect(misplaced.code).toBe(2);
    expect(misplaced.err).toContain('--set is for `respond <workflowId> edit`, not approve');
    // Nothing of that reached the task.
    expect((await task.handle.query(taskRequestQuery)).steps).toEqual([step]);

    // The workflow has the last word: someone who does not approve the class is refused by it.
    const owner = await ladder(
      'respond',
      task.workflowId,
      'edit',
      '--set',
      'timeoutMs=30000',
      '--as',
      'U0OWNER01',
    );
    expect(owner.code).toBe(1);
    expect(owner.err).toMatch(/^Refused: .*U0OWNER01 is not an approver/);

    const narrowed = await edit('timeoutMs=30000', '0.cwd=jobs/nightly');
    expect(narrowed).toMatchObject({ code: 0 });
    expect(narrowed.out).toMatch(/^Accepted: edit by U0APPR002 at /);
    const edited = [{ ...step, params: { ...step.params, timeoutMs: 30_000, cwd: 'jobs/nightly' } }];
    const after = await waitForStatus(
      task.handle,
      (s) => s.phase === 'awaiting-human' && s.stepsHash === stepsHashOf(edited),
    );
    expect(after.stepsHash).not.toBe(before.stepsHash);
    expect((await task.handle.query(taskRequestQuery)).steps).toEqual(edited);
    const approved = await ladder('respond', task.workflowId, 'approve', '--as', 'U0APPR001');
    expect(approved).toMatchObject({ code: 0 });
    expect(await task.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR001' });
  });
});
