import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/env';
import { PolicyError } from '../../policy/loader';
import { PolicyStore } from '../../policy/store';
import { examplePolicyText } from '../helpers/example-policy';
import { waitUntil } from '../helpers/wait';

const TEXT = examplePolicyText();
const SIZE = Buffer.byteLength(TEXT, 'utf8');
/** The example policy with one more byte (a trailing newline) and a new version, so it differs. */
const ONE_BYTE_OVER = `${TEXT.replace("version: '2026.11.1'", "version: '2026.11.2'")}\n`;

describe('PolicyStore with LADDER_POLICY_MAX_BYTES lowered', () => {
  let path: string;
  let store: PolicyStore | undefined;
  // The limit exactly fits the example policy, so one more byte is over it.
  const limits = loadConfig({ LADDER_POLICY_MAX_BYTES: String(SIZE) }).policyLimits;
  const expectedMessage = `the policy file is ${SIZE + 1} bytes, more than the limit of ${SIZE} (LADDER_POLICY_MAX_BYTES)`;

  beforeEach(() => {
    path = join(mkdtempSync(join(tmpdir(), 'ladder-policy-size-')), 'policy.yaml');
  });
  afterEach(() => store?.close());

  it('loads a policy of exactly the limit and refuses a watched edit one byte over it, naming the limit and the variable', async () => {
    expect(Buffer.byteLength(ONE_BYTE_OVER, 'utf8')).toBe(SIZE + 1);
    writeFileSync(path, TEXT);
    const errors: PolicyError[] = [];
    store = new PolicyStore(path, { ...limits, intervalMs: 20, onError: (e) => errors.push(e) }).watch();
    const good = store.current().versionId;
    writeFileSync(path, ONE_BYTE_OVER);
    await waitUntil(() => errors.length > 0, 30_000);
    expect(errors[0].problems).toEqual([{ path: '(file)', line: 1, message: expectedMessage }]);
    expect(store.current().versionId).toBe(good);
  });

  it('refuses to start with a policy one byte over the limit, naming the limit and the variable', () => {
    writeFileSync(path, ONE_BYTE_OVER);
    let thrown: unknown;
    try {
      store = new PolicyStore(path, limits);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PolicyError);
    expect((thrown as PolicyError).message).toBe(
      `${path}: policy has 1 error:\n  line 1: (file): ${expectedMessage}`,
    );
  });
});
