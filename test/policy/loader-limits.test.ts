import { parsePolicy } from '../../policy/loader';
import { examplePolicyText } from '../helpers/example-policy';
import { aliasBomb } from '../helpers/hostile-yaml';

// A policy file is input: hostile or runaway content is refused with an error, never a crash or a stall.

function refused(text: string, options?: Parameters<typeof parsePolicy>[2]) {
  let result: ReturnType<typeof parsePolicy> | undefined;
  expect(() => {
    result = parsePolicy(text, 'limits.yaml', options);
  }).not.toThrow();
  if (!result || result.ok) throw new Error('expected the policy to be refused');
  return result.errors;
}

describe('parsePolicy limits', () => {
  it('refuses an alias bomb with a clear error and its line, without throwing', () => {
    const started = Date.now();
    const errors = refused(aliasBomb());
    expect(Date.now() - started).toBeLessThan(1000);
    expect(errors).toEqual([
      {
        path: '(yaml)',
        message: expect.stringMatching(
          /^cannot expand the document: Excessive alias count.*too many nested aliases/,
        ),
        line: 2,
      },
    ]);
  });

  it('refuses more alias nodes than the limit, naming the line of the first one over it', () => {
    const text = `x: &x 1\n${Array.from({ length: 5 }, (_, i) => `k${i}: *x`).join('\n')}\n`;
    expect(refused(text, { maxAliases: 3 })).toEqual([
      { path: '(yaml)', message: 'more than 3 aliases (*name): refused as a possible alias bomb', line: 5 },
    ]);
  });

  it('refuses a file over the size limit at once, before parsing it', () => {
    const text = `# ${'x'.repeat(2 * 1024 * 1024)}\n${examplePolicyText()}`;
    const started = Date.now();
    const errors = refused(text);
    expect(Date.now() - started).toBeLessThan(200);
    expect(errors).toEqual([
      {
        path: '(file)',
        message: expect.stringMatching(/^the policy file is \d+ bytes, more than the limit of 1048576$/),
        line: 1,
      },
    ]);
    expect(refused(examplePolicyText(), { maxBytes: 1000 })[0].message).toContain('limit of 1000');
  });

  it('refuses deep flow nesting before the parser recurses into it', () => {
    const errors = refused(`version: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(errors).toEqual([{ path: '(yaml)', message: 'nesting deeper than 64 levels', line: 1 }]);
  });

  it('refuses deep block nesting with the line of the deepest level', () => {
    const text = Array.from({ length: 80 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    expect(refused(text)).toEqual([{ path: '(yaml)', message: 'nesting deeper than 64 levels', line: 80 }]);
    expect(refused(text, { maxDepth: 100 })[0].message).not.toContain('nesting');
  });

  it('ignores brackets inside quotes and comments when measuring nesting', () => {
    const text = examplePolicyText().replace(
      "version: '2026.11.1'",
      `version: '${'['.repeat(70)}' # ${'{'.repeat(70)}`,
    );
    expect(parsePolicy(text).ok).toBe(true);
  });

  it('still refuses a duplicate key, with its line', () => {
    expect(refused('version: 1\nadmins: []\nversion: 2\n')).toEqual([
      { path: '(yaml)', message: 'Map keys must be unique: "version" appears more than once', line: 3 },
    ]);
  });

  it('reports at most 100 errors plus a count of the rest, quickly', () => {
    const agents = Array.from(
      { length: 500 },
      (_, i) => `  a${i}:\n    owner: bob\n    model: m\n    promptVersion: p\n    rungs: {}\n`,
    ).join('');
    const text = examplePolicyText().replace(/\nagents:\n/, `\nagents:\n${agents}`);
    const started = Date.now();
    const errors = refused(text);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(errors).toHaveLength(101);
    expect(errors[0]).toEqual({
      path: 'agents.a0.owner',
      message: 'expected a Slack user id such as U012ABC, got "bob"',
      line: expect.any(Number),
    });
    expect(errors[100]).toEqual({ path: '(policy)', message: '…and 400 more errors' });
    expect(errors.slice(0, 100).every((e) => typeof e.line === 'number')).toBe(true);
    expect(refused(text, { maxProblems: 5 })).toHaveLength(6);
  });
});
