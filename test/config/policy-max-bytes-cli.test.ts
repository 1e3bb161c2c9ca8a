import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runLadder } from '../helpers/cli';
import { examplePolicyText } from '../helpers/example-policy';

// Runs the built CLI (npm run build first).
const TEXT = examplePolicyText();
const SIZE = Buffer.byteLength(TEXT, 'utf8');

describe('ladder policy check with LADDER_POLICY_MAX_BYTES', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ladder-policy-max-bytes-'));
  const atLimit = join(dir, 'at-limit.yaml');
  const overLimit = join(dir, 'over-limit.yaml');
  writeFileSync(atLimit, TEXT);
  writeFileSync(overLimit, `${TEXT}\n`);

  it('accepts a policy of exactly the limit', async () => {
    const run = await runLadder({ LADDER_POLICY_MAX_BYTES: String(SIZE) }, 'policy', 'check', atLimit);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain(`${atLimit}: OK, policy`);
  });

  it('refuses a policy one byte over the limit, naming the limit and the variable', async () => {
    const run = await runLadder({ LADDER_POLICY_MAX_BYTES: String(SIZE) }, 'policy', 'check', overLimit);
    expect(run.code).toBe(1);
    expect(run.err.trim()).toBe(
      `${overLimit}: 1 error:\n  line 1: (file): the policy file is ${SIZE + 1} bytes, more than the limit of ${SIZE} (LADDER_POLICY_MAX_BYTES)`,
    );
  });

  it('says which variable is wrong when the limit is not a number, without a stack trace', async () => {
    const run = await runLadder({ LADDER_POLICY_MAX_BYTES: '1MB' }, 'policy', 'check', atLimit);
    expect(run.code).toBe(1);
    expect(run.err.trim()).toBe(
      'Configuration error: LADDER_POLICY_MAX_BYTES: expected a whole number of bytes (e.g. 1048576 for 1 MiB), got "1MB"',
    );
  });
});
