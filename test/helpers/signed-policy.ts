import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAnswerKey, publicAnswerKey, type AnswerKeyFile } from '../../client/answer-signer';
import {
  addPolicySignature,
  readPolicySignatures,
  signatureFilePath,
  signPolicyText,
} from '../../policy/policy-signature';

/** Operator keys of two admins, a second key of the first admin, and a non-admin approver. */
export const KEYS: Record<'admin1' | 'admin1b' | 'admin2' | 'approver', AnswerKeyFile> = {
  admin1: generateAnswerKey('operator-U0ADMIN01', 'operator', 'U0ADMIN01'),
  admin1b: generateAnswerKey('operator-U0ADMIN01-laptop', 'operator', 'U0ADMIN01'),
  admin2: generateAnswerKey('operator-U0ADMIN02', 'operator', 'U0ADMIN02'),
  approver: generateAnswerKey('operator-U0APPR001', 'operator', 'U0APPR001'),
};

const ledger = readFileSync(join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml'), 'utf8');

/**
 * The ledger fixture policy, self-contained (its keys inline, so it loads from any folder), with
 * two admins and, unless `guard` is null, `policyGuard: { requireSignatures: 1 }` (sensitive: 2).
 */
export function guardedPolicyText(
  options: { version?: string; guard?: string | null; admins?: string[] } = {},
): string {
  const keys = Object.values(KEYS).map(publicAnswerKey);
  const guard = options.guard === undefined ? '{ requireSignatures: 1 }' : options.guard;
  return (
    ledger
      .replace(/^answers:.*$/m, `answers: { keys: ${JSON.stringify(keys)} }`)
      .replace(
        'admins: [U0ADMIN01]',
        `admins: [${(options.admins ?? ['U0ADMIN01', 'U0ADMIN02']).join(', ')}]`,
      )
      .replace("version: 'test-ledger'", `version: '${options.version ?? 'guarded-1'}'`) +
    (guard === null ? '' : `policyGuard: ${guard}\n`)
  );
}

/** A fresh folder with `policy.yaml` holding `text`; returns the file's path. */
export function policyFileWith(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ladder-guard-')), 'policy.yaml');
  writeFileSync(path, text);
  return path;
}

/** Appends a signature by `key` over the file's current bytes to its `.sig.json`. */
export function signFile(path: string, key: AnswerKeyFile): void {
  const text = readFileSync(path, 'utf8');
  const next = addPolicySignature(readPolicySignatures(path).file, text, {
    keyId: key.id,
    signature: signPolicyText(text, key.privateKeyPem),
  });
  writeFileSync(signatureFilePath(path), JSON.stringify(next));
}
