import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastGoodPolicyPaths, readLastGoodPolicy } from '../../policy/last-good-policy';
import { PolicyError } from '../../policy/loader';
import { signatureFilePath } from '../../policy/policy-signature';
import { PolicyStore, type PolicyVersion } from '../../policy/store';
import { guardedPolicyText, KEYS, policyFileWith, signFile } from '../helpers/signed-policy';
import { waitUntil } from '../helpers/wait';

// The policy guards itself: with `policyGuard` in force, a new version loads only with enough
// admins' signatures; a refused one is reported like an invalid one and the last good stays.
describe('PolicyStore with a policy guard', () => {
  let path: string;
  let stateDir: string;
  let store: PolicyStore | undefined;
  const errors: PolicyError[] = [];
  const versions: PolicyVersion[] = [];
  const open = () =>
    new PolicyStore(path, {
      stateDir,
      intervalMs: 25,
      onChange: (_p, _w, v) => versions.push(v),
      onError: (e) => errors.push(e),
    });

  beforeEach(() => {
    path = policyFileWith(guardedPolicyText());
    stateDir = mkdtempSync(join(tmpdir(), 'ladder-state-'));
    errors.length = 0;
    versions.length = 0;
  });
  afterEach(() => store?.close());

  it('refuses to start with an unsigned policy that requires signatures', () => {
    expect(open).toThrow(PolicyError);
    expect(open).toThrow(/\(signatures\): needs 1 signature by distinct admins, has 0 valid/);
    expect(existsSync(lastGoodPolicyPaths(stateDir).yaml)).toBe(false);
  });

  it('loads a signed policy and writes the last good policy where a fresh process finds it', () => {
    signFile(path, KEYS.admin1);
    store = open();
    expect(store.currentVersion()).toMatchObject({
      signers: [{ person: 'U0ADMIN01', keyId: 'operator-U0ADMIN01' }],
      previous: null,
    });
    const saved = readLastGoodPolicy(stateDir);
    expect(saved?.text).toBe(readFileSync(path, 'utf8'));
    expect(saved?.meta).toMatchObject({
      versionId: store.current().versionId,
      contentHash: store.current().contentHash,
      source: path,
      signers: [{ person: 'U0ADMIN01' }],
    });
  });

  it('refuses an unsigned edit, keeps the last good, and loads it once an admin signs', async () => {
    signFile(path, KEYS.admin1);
    store = open().watch();
    const first = store.current().versionId;

    writeFileSync(path, guardedPolicyText({ version: 'guarded-2' }));
    await waitUntil(() => errors.length === 1);
    // The old signatures stay beside the file but were made for the previous bytes.
    expect(errors[0].problems.map((p) => p.path)).toEqual(['(signatures)', '(signatures)']);
    expect(errors[0].message).toContain('needs 1 signature by distinct admins, has 0 valid');
    expect(errors[0].message).toContain('the signatures are for other bytes');
    expect(store.current().versionId).toBe(first);
    expect(readLastGoodPolicy(stateDir)?.meta.versionId).toBe(first);

    // The signature arriving is a change the watcher notices: the refused edit now loads.
    signFile(path, KEYS.admin2);
    await waitUntil(() => versions.length === 1);
    expect(store.current().version).toBe('guarded-2');
    expect(versions[0]).toMatchObject({ signers: [{ person: 'U0ADMIN02' }], previous: { versionId: first } });
    expect(readLastGoodPolicy(stateDir)?.meta.versionId).toBe(store.current().versionId);
  });

  it('needs two distinct admins for a change to admins', () => {
    signFile(path, KEYS.admin1);
    store = open();
    writeFileSync(path, guardedPolicyText({ admins: ['U0ADMIN01', 'U0ADMIN02', 'U0ADMIN03'] }));
    signFile(path, KEYS.admin1);
    signFile(path, KEYS.admin1b);
    expect(store.reload()).toBe(false);
    expect(errors.at(-1)?.message).toContain(
      'needs 2 signatures by distinct admins (it changes admins), has 1 valid',
    );
    signFile(path, KEYS.admin2);
    expect(store.reload()).toBe(true);
    expect(store.current().admins).toContain('U0ADMIN03');
  });

  it('refuses signatures by a non-admin and a malformed signature file', () => {
    signFile(path, KEYS.admin1);
    store = open();
    writeFileSync(path, guardedPolicyText({ version: 'guarded-2' }));
    rmSync(signatureFilePath(path));
    signFile(path, KEYS.approver);
    expect(store.reload()).toBe(false);
    expect(errors.at(-1)?.message).toContain(
      'key "operator-U0APPR001" belongs to U0APPR001, who is not an admin',
    );
    writeFileSync(signatureFilePath(path), '{ not json');
    expect(store.reload()).toBe(false);
    expect(errors.at(-1)?.message).toContain('signature file is not valid JSON');
    expect(store.current().version).toBe('guarded-1');
  });

  it('after a restart, is still governed by the last good policy, not by what the file now says', () => {
    signFile(path, KEYS.admin1);
    open().close();
    // Someone drops the guard and the signatures while no process is running.
    writeFileSync(path, guardedPolicyText({ version: 'unguarded', guard: null }));
    rmSync(signatureFilePath(path));
    expect(open).toThrow(/governed by the last good policy guarded-1\+/);
    // Removing the guard is a sensitive change: two admins must agree.
    signFile(path, KEYS.admin1);
    signFile(path, KEYS.admin2);
    store = open();
    expect(store.currentVersion()).toMatchObject({
      policy: { version: 'unguarded' },
      previous: { versionId: expect.stringMatching(/^guarded-1\+/) },
    });
  });
});
