import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAnswerSigner } from '../../client/answer-signer';
import { runCli } from '../../cli/main';
import { operatorSigner } from '../../cli/operator-key';
import { CliError } from '../../cli/policy-commands';
import type { Config } from '../../config/env';
import { verifyAnswer } from '../../policy/answer-proof';
import { answerKeySchema } from '../../policy/answers-schema';

describe('ladder keys create', () => {
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const dir = mkdtempSync(join(tmpdir(), 'ladder-keys-'));
  const saved = process.env.LADDER_KEYS_DIR;
  beforeAll(() => {
    process.env.LADDER_KEYS_DIR = dir;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.LADDER_KEYS_DIR;
    else process.env.LADDER_KEYS_DIR = saved;
  });

  it("makes an operator's key that signs only as that person, and prints the policy entry", async () => {
    const made = await run('keys', 'create', '--person', 'U0NEWOP01');
    expect(made.code).toBe(0);
    const entry = answerKeySchema.parse(JSON.parse(made.out));
    expect(entry).toMatchObject({ id: 'operator-U0NEWOP01', kind: 'operator', person: 'U0NEWOP01' });
    const path = join(dir, 'operators', 'U0NEWOP01.key.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const trust = { keys: [entry], revoked: [], ttlMs: 60_000, allowClaimedIdentities: false };
    const args = loadAnswerSigner(path).sign('task/a/1', 'approve', {
      approver: 'U0NEWOP01',
      stepsHash: 'h',
    });
    expect(verifyAnswer(trust, 'task/a/1', 'approve', args, 'U0NEWOP01', Date.now())).toBe(
      'operator-U0NEWOP01',
    );
    expect(() => verifyAnswer(trust, 'task/a/1', 'approve', args, 'U0OTHER01', Date.now())).toThrow(
      /cannot answer as U0OTHER01/,
    );
  });

  it('refuses to overwrite a key, and bad input, naming what was wrong', async () => {
    expect(await run('keys', 'create', '--person', 'U0NEWOP01')).toMatchObject({
      code: 1,
      err: expect.stringContaining('exists; pass --force'),
    });
    expect(await run('keys', 'create', '--person', 'someone')).toMatchObject({
      code: 1,
      err: '--person: expected a Slack user id such as U012ABC, got "someone"',
    });
    expect(await run('keys', 'create')).toMatchObject({
      code: 1,
      err: 'give exactly one of --person or --frontend',
    });
  });
});

describe('the operator key the CLI answers with', () => {
  it('refuses a frontend key: it would sign as any --as', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ladder-keys-'));
    const out: string[] = [];
    const made = await runCli(
      ['keys', 'create', '--frontend', 'test-frontend', '--out', join(dir, 'frontend.key.json')],
      {
        out: (t) => out.push(t),
        err: () => undefined,
      },
    );
    expect(made).toBe(0);
    const config = { keys: { dir } } as unknown as Config;
    expect(() => operatorSigner(config, 'U0APPR001', join(dir, 'frontend.key.json'))).toThrow(
      /frontend\.key\.json is a frontend key .*not U0APPR001's operator key/,
    );
    expect(() => operatorSigner(config, 'U0APPR001', join(dir, 'frontend.key.json'))).toThrow(CliError);
  });
});
