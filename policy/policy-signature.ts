// Signatures over the policy file itself. The file's bytes are what an admin reviewed, so that is
// what is signed; the keys are the operators' answer keys the policy already names. Verification is
// pure (noble, like answer proofs); hashing and signing use node:crypto, so workflows never import
// this module.
import { ed25519 } from '@noble/curves/ed25519';
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { canonicalJson, fromBase64Url, type AnswerKey, type AnswerTrust } from './answer-proof';
import type { PolicyDocument } from './schema';

/** Context tag: a policy signature never verifies as an answer proof, nor an answer proof as this. */
const POLICY_SIGNATURE_CONTEXT = 'ladder-policy/v1\n';

/** `<policy>.sig.json`: signatures over the exact bytes of the policy file beside it. */
export const policySignatureFileSchema = z.strictObject({
  contentSha256: z.string().regex(/^[0-9a-f]{64}$/, { message: 'expected the file’s SHA-256 in hex' }),
  signatures: z.array(
    z.strictObject({
      keyId: z.string().min(1),
      signature: z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, { message: 'expected base64url' }),
    }),
  ),
});
export type PolicySignatureFile = z.output<typeof policySignatureFileSchema>;

/** The policy as far as the guard needs it: its document and the keys it trusts. */
export type GuardedPolicy = Pick<
  PolicyDocument,
  'admins' | 'answers' | 'pins' | 'taskClasses' | 'policyGuard'
> & {
  answerTrust: AnswerTrust;
};

/** An admin whose signature over this version verified. */
export interface PolicySigner {
  keyId: string;
  person: string;
}

/** What the guard concluded about one new version. */
export interface SignatureVerdict {
  ok: boolean;
  /** Signatures by distinct admins this version needs (0 when the policy in force requires none). */
  required: number;
  /** The sensitive parts this version changes (`admins`, `answers`, `pins`, `policyGuard`). */
  sensitive: string[];
  /** Admins whose signatures verified, one per person. */
  signers: PolicySigner[];
  /** Why a signature did not count, or why the version is refused; empty when all is well. */
  problems: string[];
}

/** Where a policy file's signatures live. */
export function signatureFilePath(policyPath: string): string {
  return `${policyPath}.sig.json`;
}

/** SHA-256 of the policy text in hex, as the loader computes `contentHash`. */
export function policySha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The exact bytes an admin signs: the context tag followed by the file's bytes. */
export function policySignatureMessage(text: string): Uint8Array {
  return new TextEncoder().encode(`${POLICY_SIGNATURE_CONTEXT}${text}`);
}

/**
 * Signs policy text with an Ed25519 private key (PKCS#8 PEM) and returns the base64url signature.
 *
 * @throws Error when the key is not Ed25519.
 */
export function signPolicyText(text: string, privateKeyPem: string): string {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== 'ed25519')
    throw new Error(`expected an ed25519 key, got ${key.asymmetricKeyType}`);
  return sign(null, policySignatureMessage(text), key).toString('base64url');
}

/**
 * Adds (or replaces, for the same key) one signature. Signatures made for other bytes are dropped:
 * they can never count for this text.
 */
export function addPolicySignature(
  existing: PolicySignatureFile | null,
  text: string,
  entry: { keyId: string; signature: string },
): PolicySignatureFile {
  const contentSha256 = policySha256(text);
  const kept = existing?.contentSha256 === contentSha256 ? existing.signatures : [];
  return { contentSha256, signatures: [...kept.filter((s) => s.keyId !== entry.keyId), entry] };
}

/**
 * The sensitive parts `next` changes relative to `previous`: who administers the policy, which keys
 * prove identities (including the keys file's content), what is pinned (globally or per class),
 * and the guard itself. Pure.
 */
export function sensitiveChanges(previous: GuardedPolicy | null, next: GuardedPolicy): string[] {
  if (!previous) return [];
  const pinsOf = (p: GuardedPolicy) => ({
    pins: p.pins,
    classes: Object.fromEntries(Object.entries(p.taskClasses).map(([name, tc]) => [name, tc.pins])),
  });
  const parts: [string, (p: GuardedPolicy) => unknown][] = [
    ['admins', (p) => [...p.admins].sort()],
    ['answers', (p) => ({ answers: p.answers, trust: p.answerTrust })],
    ['pins', pinsOf],
    ['policyGuard', (p) => p.policyGuard ?? null],
  ];
  return parts
    .filter(([, of]) => canonicalJson(of(previous)) !== canonicalJson(of(next)))
    .map(([name]) => name);
}

/** Verifies one signature against the admins and keys of `governing`; returns why it does not count, or the signer. */
function checkOne(
  governing: GuardedPolicy,
  message: Uint8Array,
  entry: { keyId: string; signature: string },
): PolicySigner | string {
  const trust = governing.answerTrust;
  if (trust.revoked.includes(entry.keyId)) return `key "${entry.keyId}" is revoked`;
  const key: AnswerKey | undefined = trust.keys.find((k) => k.id === entry.keyId);
  if (!key) return `key "${entry.keyId}" is not a key of the policy in force`;
  if (key.kind !== 'operator' || !key.person) return `key "${entry.keyId}" is not an operator's own key`;
  if (!governing.admins.includes(key.person))
    return `key "${entry.keyId}" belongs to ${key.person}, who is not an admin`;
  let valid: boolean;
  try {
    valid = ed25519.verify(fromBase64Url(entry.signature), message, fromBase64Url(key.publicKey));
  } catch {
    // Malformed base64 or key bytes: as good as a wrong signature.
    valid = false;
  }
  if (!valid) return `signature by "${entry.keyId}" does not match this file's bytes`;
  return { keyId: key.id, person: key.person };
}

/**
 * Decides whether a new policy version may load. The policy in force governs: its `policyGuard`
 * sets how many signatures are needed and its admins and keys are the only ones that count, so a
 * version cannot vouch for itself by adding an admin or a key. Only the very first load, with no
 * policy in force, is governed by the file itself. A change to admins, answers, pins or the guard
 * needs `max(sensitiveSignatures, requireSignatures)` distinct admins. Pure.
 *
 * @param text - the new version's exact file content.
 * @param next - the new version, parsed.
 * @param inForce - the policy in force, or null for the first load.
 * @param signatures - the `.sig.json` beside the file, or null when there is none.
 */
export function checkPolicySignatures(
  text: string,
  next: GuardedPolicy,
  inForce: GuardedPolicy | null,
  signatures: PolicySignatureFile | null,
): SignatureVerdict {
  const governing = inForce ?? next;
  const guard = governing.policyGuard;
  const sensitive = sensitiveChanges(inForce, next);
  const required = !guard
    ? 0
    : sensitive.length > 0
      ? Math.max(guard.sensitiveSignatures, guard.requireSignatures)
      : guard.requireSignatures;
  const problems: string[] = [];
  const signers: PolicySigner[] = [];
  if (signatures && signatures.contentSha256 !== policySha256(text)) {
    problems.push('the signatures are for other bytes (the file changed after it was signed)');
  } else if (signatures) {
    const message = policySignatureMessage(text);
    for (const entry of signatures.signatures) {
      const result = checkOne(governing, message, entry);
      if (typeof result === 'string') problems.push(result);
      else if (!signers.some((s) => s.person === result.person)) signers.push(result);
    }
  }
  const ok = signers.length >= required;
  if (!ok) {
    const why = sensitive.length > 0 ? ` (it changes ${sensitive.join(', ')})` : '';
    problems.unshift(
      `needs ${required} signature${required === 1 ? '' : 's'} by distinct admins${why}, has ${signers.length} valid` +
        `${signers.length > 0 ? ` (${signers.map((s) => s.person).join(', ')})` : ''}; sign it with \`ladder policy sign <file> --as <admin>\``,
    );
  }
  return { ok, required, sensitive, signers, problems };
}

/**
 * Parses a `.sig.json` text. Never throws: a malformed file comes back as `error`.
 */
export function parsePolicySignatures(text: string): { file: PolicySignatureFile } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'signature file is not valid JSON' };
  }
  const parsed = policySignatureFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `signature file: ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { file: parsed.data };
}

/**
 * Reads `<policyPath>.sig.json`. `raw` is the file's text (null when absent), so a watcher can
 * notice a signature arriving for a version it refused. Never throws.
 */
export function readPolicySignatures(policyPath: string): {
  raw: string | null;
  file: PolicySignatureFile | null;
  error?: string;
} {
  let raw: string;
  try {
    raw = readFileSync(signatureFilePath(policyPath), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { raw: null, file: null };
    return {
      raw: null,
      file: null,
      error: `cannot read ${signatureFilePath(policyPath)} (${code ?? String(err)})`,
    };
  }
  const parsed = parsePolicySignatures(raw);
  return 'error' in parsed ? { raw, file: null, error: parsed.error } : { raw, file: parsed.file };
}
