import { ed25519 } from '@noble/curves/ed25519';
import { canonicalJson } from './canonical-json';

export { canonicalJson };

// Proof of who gave a human answer. A frontend that verified the person (the Slack app after
// Slack's request signature, the CLI with an operator's own key) signs the answer; the workflow's
// validator checks the signature against public keys the policy names. Pure and deterministic, so
// it runs inside the workflow sandbox: @noble/curves is plain JS with its own SHA-512, and
// verification uses no randomness.

// The base point's precomputed table, built once per workflow thread: the worker's bundle preloads
// this module (workflowPreloadModules). A window of 4 builds in a few ms; noble's default (8,
// thousands of points, about 40 ms) verifies only ~6% faster (1.49 against 1.58 ms a verify,
// measured outside the sandbox), so the small table stays. It was chosen when the sandbox still
// evaluated this module for every workflow, and each task's first check paid for the table.
ed25519.ExtendedPoint.BASE.precompute(4);

/** Signature version tag: a signature made for anything else never verifies as an answer. */
const PROOF_CONTEXT = 'ladder-answer/v1';

/** A public key that may vouch for human answers. */
export interface AnswerKey {
  /** Stable name of the key, e.g. `slack-app` or `operator-U0ADMIN01`. */
  id: string;
  /** Raw 32-byte Ed25519 public key, base64url. */
  publicKey: string;
  /**
   * `frontend`: a process that verified the person itself (the Slack app) and may sign for anyone;
   * `operator`: one person's own key, valid only for answers given as `person`.
   */
  kind: 'frontend' | 'operator';
  /** For operator keys: the only person this key may answer as. */
  person?: string;
}

/** The keys and rules a workflow checks answers with, as the policy in force at decision time had them. */
export interface AnswerTrust {
  keys: AnswerKey[];
  /** Ids of keys revoked (kept so a revoked key is named as such, not as unknown). */
  revoked: string[];
  /** How long a signature stays valid after it was made, in milliseconds of workflow time. */
  ttlMs: number;
  /**
   * Demo only: accept answers without proof, trusting the claimed identity. The policy must say so
   * explicitly, `policy check` warns about it and the run command prints it.
   */
  allowClaimedIdentities: boolean;
}

/** What a signature travels with: which key made it, when, and the signature itself. */
export interface AnswerProof {
  keyId: string;
  /** ISO-8601 time the frontend signed at. */
  signedAt: string;
  /** Ed25519 signature of {@link answerMessage}, base64url. */
  signature: string;
}

/** Fields every signed answer carries; the rest of the update's arguments are what was answered. */
export interface Proven {
  proof?: AnswerProof;
  /**
   * The message the person answered, as their frontend showed it: signed with the rest, so "they
   * approved what they saw" can be checked afterwards against the message kept in Slack.
   */
  shown?: ShownMessage;
}

/** Which message an answer was given to, and a hash of exactly what it showed. */
export interface ShownMessage {
  /** Where it was: `<channel id>/<message ts>` for a message, `home/<view id>` for an App Home. */
  ref: string;
  /** SHA-256 (lowercase hex) of the message's `{ text, blocks }` as canonical JSON. */
  sha256: string;
}

/**
 * The exact bytes a frontend signs for one answer: the workflow it is for, the update's name, its
 * arguments without the proof (so the person, steps hash, proposal id, reason… are all bound), the
 * key and the signing time. A signature for another task, another answer or other steps never fits.
 */
export function answerMessage(
  workflowId: string,
  answer: string,
  args: object,
  keyId: string,
  signedAt: string,
): Uint8Array {
  const rest = Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'proof'));
  const text = `${PROOF_CONTEXT}\n${canonicalJson({ workflowId, answer, args: rest, keyId, signedAt })}`;
  return new TextEncoder().encode(text);
}

/** Thrown by {@link verifyAnswer} with words a person can act on. */
export class AnswerProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnswerProofError';
  }
}

/**
 * Checks that `args.proof` is a valid signature, by a key in `trust`, made at most `trust.ttlMs`
 * before `nowMs` (and not in the future beyond a minute of clock skew), over exactly this answer.
 * An operator key must answer as its own person. Pure; `nowMs` is the workflow's time.
 *
 * @param person - who the answer claims to be from (the update's approver/by field).
 * @returns the id of the key that vouched, or `claimed` when the policy allows unproven answers.
 * @throws {AnswerProofError} when the proof is missing, unknown, revoked, expired, or does not fit.
 */
export function verifyAnswer(
  trust: AnswerTrust | null | undefined,
  workflowId: string,
  answer: string,
  args: object,
  person: string,
  nowMs: number,
): string {
  const proof = (args as Proven).proof;
  if (!proof) {
    if (trust?.allowClaimedIdentities) return 'claimed';
    throw new AnswerProofError(
      `unsigned answer refused: "${answer}" must be signed by a frontend that verified ${person} (Slack, or an operator's key)`,
    );
  }
  if (!trust) throw new AnswerProofError('no answer keys are known to this workflow yet; try again');
  if (trust.revoked.includes(proof.keyId)) {
    throw new AnswerProofError(`answer signed with revoked key "${proof.keyId}"`);
  }
  const key = trust.keys.find((k) => k.id === proof.keyId);
  if (!key) throw new AnswerProofError(`answer signed with unknown key "${proof.keyId}"`);
  if (key.kind === 'operator' && key.person !== person) {
    throw new AnswerProofError(
      `key "${key.id}" belongs to ${key.person ?? 'nobody'} and cannot answer as ${person}`,
    );
  }
  const signedAtMs = Date.parse(proof.signedAt);
  if (!Number.isFinite(signedAtMs)) throw new AnswerProofError('answer proof has no valid signing time');
  if (signedAtMs > nowMs + CLOCK_SKEW_MS) {
    throw new AnswerProofError(`answer signed in the future (${proof.signedAt}); check the frontend's clock`);
  }
  if (nowMs - signedAtMs > trust.ttlMs) {
    throw new AnswerProofError(
      `answer signature expired: signed at ${proof.signedAt}, valid for ${Math.round(trust.ttlMs / 1000)} s`,
    );
  }
  let valid: boolean;
  try {
    valid = ed25519.verify(
      fromBase64Url(proof.signature),
      answerMessage(workflowId, answer, args, proof.keyId, proof.signedAt),
      fromBase64Url(key.publicKey),
    );
  } catch {
    valid = false;
  }
  if (!valid) {
    throw new AnswerProofError(
      `answer signature does not match this answer (made for another task, answer or steps, or altered)`,
    );
  }
  return key.id;
}

/** Clock skew tolerated between a frontend and the workflow's time, in milliseconds. */
export const CLOCK_SKEW_MS = 60_000;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Decodes base64url (padding optional) without Node's Buffer, which the workflow sandbox lacks. */
export function fromBase64Url(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const out: number[] = [];
  let bits = 0;
  let acc = 0;
  for (const ch of clean) {
    const v = B64URL.indexOf(ch);
    if (v < 0) throw new AnswerProofError('not base64url');
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}
