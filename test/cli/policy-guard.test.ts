import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/main';
import { localKeyLayout, writeAnswerKeyFile } from '../../client/answer-signer';
import { signatureFilePath } from '../../policy/policy-signature';
import { PolicyStore } from '../../policy/store';
import { guardedPolicyText, KEYS, policyFileWith } from '../helpers/signed-policy';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

// `ladder policy sign` and the signature part of `ladder policy check`, with the operator keys in
// a keys folder laid out as the local stack's and the last good policy in a state folder.
describe('ladder policy sign / check with a policy guard', () => {
  const saved = { ...process.env };
  let stateDir: string;
  beforeAll(() => {
    const keysDir = mkdtempSync(join(tmpdir(), 'ladder-keys-'));
    const layout = localKeyLayout(keysDir);
    for (const key of Object.values(KEYS)) {
      if (key.id !== 'operator-U0ADMIN01-laptop') writeAnswerKeyFile(layout.operatorKey(key.person!), key);
    }
    process.env.LADDER_KEYS_DIR = keysDir;
  });
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'ladder-state-'));
    process.env.LADDER_STATE_DIR = stateDir;
  });
  afterAll(() => {
    process.env = saved;
  });

  it('reports an unsigned policy that requires signatures as an error, and OK once an admin signed', async () => {
    const file = policyFileWith(guardedPolicyText());
    const unsigned = await run('policy', 'check', file);
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toContain(
      `${file}: not signed as the policy in force requires (${signatureFilePath(file)}):`,
    );
    expect(unsigned.err).toContain('needs 1 signature by distinct admins, has 0 valid');

    const signed = await run('policy', 'sign', file, '--as', 'U0ADMIN01');
    expect(signed.code).toBe(0);
    expect(signed.err).not.toContain('signature');
    expect(signed.out).toContain('signed by U0ADMIN01 (operator-U0ADMIN01); 1 signature(s)');
    expect(signed.out).toContain('1 of 1 required signature(s): ready to load');
    expect(JSON.parse(readFileSync(signatureFilePath(file), 'utf8'))).toMatchObject({
      contentSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      signatures: [{ keyId: 'operator-U0ADMIN01', signature: expect.any(String) }],
    });

    const ok = await run('policy', 'check', file);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`${file}: signed by U0ADMIN01 (operator-U0ADMIN01); 1 required`);
    expect(ok.out).toMatch(/OK, policy guarded-1\+[0-9a-f]{12}: 1 task classes, 6 agents$/);
  });

  it('checks a change against the last good policy in force: two admins for a change to admins', async () => {
    const file = policyFileWith(guardedPolicyText());
    expect((await run('policy', 'sign', file, '--as', 'U0ADMIN01')).code).toBe(0);
    new PolicyStore(file, { stateDir }).close(); // a worker took it: it is now the policy in force

    writeFileSync(file, guardedPolicyText({ admins: ['U0ADMIN01', 'U0ADMIN02', 'U0ADMIN03'] }));
    const first = await run('policy', 'sign', file, '--as', 'U0ADMIN01');
    expect(first.out).toContain('1 of 2 required signature(s) (changes admins)');
    expect(first.err).toContain('dropped 1 signature(s) made for an earlier version of the file');
    expect((await run('policy', 'check', file)).err).toContain(
      'needs 2 signatures by distinct admins (it changes admins), has 1 valid (U0ADMIN01)',
    );
    // Signing again as the same admin does not count twice.
    await run('policy', 'sign', file, '--as', 'U0ADMIN01');
    expect((await run('policy', 'check', file)).code).toBe(1);
    // A non-admin's signature does not count and is named.
    await run('policy', 'sign', file, '--as', 'U0APPR001');
    expect((await run('policy', 'check', file)).err).toContain('belongs to U0APPR001, who is not an admin');

    expect((await run('policy', 'sign', file, '--as', 'U0ADMIN02')).out).toContain('ready to load');
    const ok = await run('policy', 'check', file);
    expect(ok.code).toBe(0);
    expect(ok.err).toContain(
      'warning: (signatures): key "operator-U0APPR001" belongs to U0APPR001, who is not an admin',
    );
  });

  it('refuses to sign as someone else with their key', async () => {
    const file = policyFileWith(guardedPolicyText());
    const other = localKeyLayout(process.env.LADDER_KEYS_DIR!).operatorKey('U0ADMIN02');
    const r = await run('policy', 'sign', file, '--as', 'U0ADMIN01', '--key', other);
    expect(r.code).toBe(1);
    expect(r.err).toContain("is U0ADMIN02's key; it cannot answer as U0ADMIN01");
  });
});
