import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
/** The example policy file. */
export const EXAMPLE_POLICY = join(ROOT, 'examples', 'policy.yaml');

/**
 * The example policy's text with its keys file named by absolute path, so a test may parse it as
 * text or copy it to a temporary folder and still find the local keys the test setup made.
 */
export function examplePolicyText(): string {
  const keys = join(ROOT, '.temporal', 'keys', 'answer-keys.json');
  const text = readFileSync(EXAMPLE_POLICY, 'utf8');
  const moved = text.replace(/keysFile: \.\.\/\.temporal\/keys\/answer-keys\.json/, `keysFile: ${keys}`);
  if (moved === text)
    throw new Error('examples/policy.yaml no longer names ../.temporal/keys/answer-keys.json');
  return moved;
}
