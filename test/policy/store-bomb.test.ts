import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PolicyError } from '../../policy/loader';
import { PolicyStore } from '../../policy/store';
import { examplePolicyText } from '../helpers/example-policy';
import { waitUntil } from '../helpers/wait';
import { aliasBomb } from '../helpers/hostile-yaml';

const BOMB = aliasBomb();

describe('PolicyStore against hostile edits', () => {
  let path: string;
  let store: PolicyStore | undefined;

  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'ladder-policy-bomb-')), 'policy.yaml');
    writeFileSync(path, examplePolicyText());
  });
  afterEach(() => store?.close());

  it('keeps the last good policy when an alias bomb is written over the watched file', async () => {
    const errors: PolicyError[] = [];
    store = new PolicyStore(path, { intervalMs: 20, onError: (e) => errors.push(e) }).watch();
    const good = store.current().versionId;
    writeFileSync(path, BOMB);
    await waitUntil(() => errors.length > 0);
    expect(errors[0].problems).toEqual([
      expect.objectContaining({ path: '(yaml)', message: expect.stringContaining('Excessive alias count') }),
    ]);
    expect(store.current().versionId).toBe(good);
  });

  it('refuses a file over maxBytes, keeping the last good policy', () => {
    const errors: PolicyError[] = [];
    store = new PolicyStore(path, { maxBytes: 64 * 1024, onError: (e) => errors.push(e) });
    const good = store.current().versionId;
    writeFileSync(path, `# ${'x'.repeat(70 * 1024)}\n${examplePolicyText()}`);
    expect(store.reload()).toBe(false);
    expect(errors[0].problems[0]).toMatchObject({
      path: '(file)',
      message: expect.stringContaining('limit of 65536'),
    });
    expect(store.current().versionId).toBe(good);
  });

  it('reports an exception thrown during a poll through onError instead of crashing the timer', async () => {
    const errors: PolicyError[] = [];
    store = new PolicyStore(path, {
      intervalMs: 20,
      onChange: () => {
        throw new Error('listener broke');
      },
      onError: (e) => errors.push(e),
    }).watch();
    writeFileSync(path, examplePolicyText().replace("version: '2026.11.1'", "version: '2026.11.9'"));
    await waitUntil(() => errors.length > 0);
    expect(errors[0].problems).toEqual([{ path: '(watch)', message: 'reload failed: listener broke' }]);
    expect(store.current().version).toBe('2026.11.9');
  });
});
