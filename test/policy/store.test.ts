import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadedPolicy } from '../../policy/loader';
import { PolicyError } from '../../policy/loader';
import { PolicyStore } from '../../policy/store';
import { waitUntil } from '../helpers/wait';
import { examplePolicyText } from '../helpers/example-policy';

describe('PolicyStore', () => {
  let path: string;
  let store: PolicyStore | undefined;

  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'ladder-policy-')), 'policy.yaml');
    writeFileSync(path, examplePolicyText());
  });
  afterEach(() => store?.close());

  it('refuses to start without a good policy', () => {
    writeFileSync(path, 'version: 1\n');
    expect(() => new PolicyStore(path)).toThrow(PolicyError);
  });

  it('reloads on change, keeps the last good policy through a bad edit, and takes the next good one', async () => {
    const changes: LoadedPolicy[] = [];
    const errors: PolicyError[] = [];
    store = new PolicyStore(path, {
      intervalMs: 25,
      onChange: (p) => changes.push(p),
      onError: (e) => errors.push(e),
    }).watch();
    const first = store.current().versionId;

    const good = examplePolicyText();
    writeFileSync(path, good.replace("version: '2026.11.1'", "version: '2026.11.2'"));
    await waitUntil(() => changes.length === 1);
    expect(store.current().version).toBe('2026.11.2');
    expect(store.current().versionId).not.toBe(first);

    writeFileSync(path, good.replace('cap: 4\n', 'cap: many\n'));
    await waitUntil(() => errors.length > 0);
    // Only the finished bad edit is reported, never the half-written file a save passes through.
    expect(errors.map((e) => e.problems)).toEqual([
      [expect.objectContaining({ path: 'taskClasses.deploy.cap' })],
    ]);
    expect(store.current().version).toBe('2026.11.2');

    // Editors often write a new file and rename it over the old one.
    const next = `${path}.tmp`;
    writeFileSync(next, good.replace("version: '2026.11.1'", "version: '2026.11.3'"));
    renameSync(next, path);
    await waitUntil(() => changes.length === 2);
    expect(store.current().version).toBe('2026.11.3');
    expect(errors).toHaveLength(1);
  });

  it('does not report a change when the content is the same', () => {
    store = new PolicyStore(path);
    writeFileSync(path, examplePolicyText());
    expect(store.reload()).toBe(false);
  });
});
