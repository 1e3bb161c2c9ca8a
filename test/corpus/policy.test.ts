import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatProblem, parsePolicy, type PolicyError, type PolicyLoadResult } from '../../policy/loader';
import { PolicyStore } from '../../policy/store';
import { waitUntil } from '../helpers/wait';
import { expectNoCrashText } from './corpus-helpers';
import { basePolicyText, POLICY_CASES, POLICY_SOURCE, type PolicyCase } from './policy-cases';

// The bad-input corpus for policy files: parsePolicy (what every process calls), and the store
// that holds the policy in force while the live file is edited badly (reload and watch). Every
// refusal names the path and, where the mistake sits on a line, that line; the policy in force
// never changes and nothing throws. `ladder policy check` runs the same table in cli.test.ts.

const base = basePolicyText();

/** The error of `c` among `errors`, checked: path and message, and the line when the case knows it. */
function expectCaseError(c: PolicyCase, line: number | undefined, errors: PolicyError['problems']): void {
  const found = errors.find((e) => e.path === c.error.path && c.error.message.test(e.message));
  expect(found ?? errors).toEqual(
    expect.objectContaining({ path: c.error.path, message: expect.stringMatching(c.error.message) }),
  );
  if (line !== undefined) expect([c.error.path, found?.line]).toEqual([c.error.path, line]);
  for (const e of errors) expectNoCrashText(formatProblem(e));
}

describe('bad-input corpus: policy files', () => {
  describe('parsePolicy', () => {
    test.each(POLICY_CASES.map((c) => [c.family, c.name, c] as const))('%s: %s', (_f, _n, c) => {
      const { text, line } = c.text(base);
      let result: PolicyLoadResult | undefined;
      const started = Date.now();
      expect(() => (result = parsePolicy(text, POLICY_SOURCE))).not.toThrow();
      // Refused at once, never after a stall (the worst case, 40,000 keys, takes a few seconds).
      expect(Date.now() - started).toBeLessThan(15_000);
      if (!result || result.ok) throw new Error(`${c.name}: the policy loaded`);
      expectCaseError(c, line, result.errors);
    });
  });

  describe('the live policy file, reloaded: the policy in force stays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ladder-corpus-policy-'));
    const path = join(dir, 'policy.yaml');
    const errors: PolicyError[] = [];
    const changes: string[] = [];
    let store: PolicyStore;
    let inForce: string;

    beforeAll(() => {
      writeFileSync(path, base);
      store = new PolicyStore(path, {
        stateDir: join(dir, 'state'),
        onError: (e) => errors.push(e),
        onChange: (p) => changes.push(p.versionId),
      });
      inForce = store.current().versionId;
    });

    test.each(POLICY_CASES.map((c) => [c.family, c.name, c] as const))('%s: %s', (_f, _n, c) => {
      const { text, line } = c.text(base);
      writeFileSync(path, text);
      const before = errors.length;
      let loaded: boolean | undefined;
      expect(() => (loaded = store.reload())).not.toThrow();
      expect(loaded).toBe(false);
      expect(errors).toHaveLength(before + 1);
      expectCaseError(c, line, errors[before].problems);
      expect(errors[before].message).toContain(path);
      expect(store.current().versionId).toBe(inForce);
      expect(changes).toEqual([]);
    });

    it('takes a good edit after all of them', () => {
      writeFileSync(path, `${base}# reviewed\n`);
      expect(store.reload()).toBe(true);
      expect(changes).toEqual([store.current().versionId]);
      expect(store.current().versionId).not.toBe(inForce);
    });
  });

  describe('the live policy file, watched (the parse runs in a thread)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ladder-corpus-watch-'));
    const path = join(dir, 'policy.yaml');
    const errors: PolicyError[] = [];
    const changes: string[] = [];
    let store: PolicyStore;
    let inForce: string;
    const WATCHED = [
      'an alias bomb (billion laughs)',
      'a file of 10 MB',
      'a NUL byte',
      'a task class named __proto__',
      'a merge of a number',
    ];

    beforeAll(() => {
      writeFileSync(path, base);
      store = new PolicyStore(path, {
        stateDir: join(dir, 'state'),
        intervalMs: 25,
        onError: (e) => errors.push(e),
        onChange: (p) => changes.push(p.versionId),
      }).watch();
      inForce = store.current().versionId;
    });
    afterAll(() => store?.close());

    test.each(
      POLICY_CASES.filter((c) => WATCHED.includes(c.name)).map((c) => ['watched', c.name, c] as const),
    )('%s: %s', async (_f, _n, c) => {
      const { text, line } = c.text(base);
      const before = errors.length;
      writeFileSync(path, text);
      await waitUntil(() => errors.length > before, 60_000);
      expectCaseError(c, line, errors[before].problems);
      expect(store.current().versionId).toBe(inForce);
      expect(changes).toEqual([]);
    });

    it('takes a good edit after all of them', async () => {
      writeFileSync(path, `${base}# reviewed\n`);
      await waitUntil(() => changes.length === 1, 60_000);
      expect(store.current().versionId).toBe(changes[0]);
    });
  });
});
