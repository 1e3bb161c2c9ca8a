import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AnswerSigner } from '../client/answer-signer';
import { AnswerProofError, verifyAnswer, type AnswerTrust } from '../policy/answer-proof';

// Sign-in for an exposed dashboard: `ladder dashboard login` signs a short-lived, one-time link with
// the operator's own answer key (the same Ed25519 keys and checks as their answers to tasks), and
// the dashboard exchanges it for a session cookie. The signed subject and answer name are the
// dashboard's own, so such a link can never pass as an answer to a task.

/** The "workflow" a sign-in link is signed for: no workflow has this id. */
export const SIGN_IN_SUBJECT = 'ladder-dashboard';
/** The answer name a sign-in link is signed as: no workflow accepts it. */
export const SIGN_IN_ANSWER = 'dashboardSignIn';
/** The longest a sign-in link may stay valid, in ms. */
export const MAX_LINK_TTL_MS = 60 * 60_000;
/** How long a sign-in link is valid unless asked otherwise, in ms. */
export const DEFAULT_LINK_TTL_MS = 10 * 60_000;

const tokenSchema = z.strictObject({
  by: z.string().min(1),
  nonce: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  expiresAt: z.iso.datetime(),
  proof: z.strictObject({ keyId: z.string(), signedAt: z.string(), signature: z.string() }),
});

/** Why a sign-in link was refused, in words for the person holding it. */
export class SignInError extends Error {}

/**
 * A sign-in token for `person`, valid for `ttlMs` from `nowMs`, signed with their operator key.
 *
 * @throws {SignInError} when the key is not `person`'s own operator key or the ttl is out of range.
 */
export function createSignInToken(
  signer: AnswerSigner,
  person: string,
  ttlMs: number,
  nowMs: number,
): string {
  if (signer.kind !== 'operator' || signer.person !== person)
    throw new SignInError(
      `sign-in links are signed with ${person}'s own operator key (key ${signer.keyId} is not)`,
    );
  if (!(ttlMs > 0 && ttlMs <= MAX_LINK_TTL_MS))
    throw new SignInError(`a sign-in link lasts from 1 ms to ${MAX_LINK_TTL_MS / 60_000} min`);
  const args = {
    by: person,
    nonce: randomBytes(18).toString('base64url'),
    expiresAt: new Date(nowMs + ttlMs).toISOString(),
  };
  const signed = signer.sign(SIGN_IN_SUBJECT, SIGN_IN_ANSWER, args, new Date(nowMs));
  return Buffer.from(JSON.stringify(signed)).toString('base64url');
}

/** Sessions and used links, in memory: a restart signs everyone out. */
export interface SignIns {
  /**
   * Exchanges a sign-in token for a session id: verified against the operator keys of `trust`,
   * unexpired, and never used before.
   *
   * @throws {SignInError} saying what is wrong with the link.
   */
  exchange(
    token: string,
    trust: AnswerTrust,
    nowMs: number,
  ): { sessionId: string; person: string; expiresAtMs: number };
  /** The person signed in with `sessionId`, or null when unknown or expired. */
  person(sessionId: string | undefined, nowMs: number): string | null;
}

/** At most this many sessions and used links are remembered; the oldest go first. */
const MAX_REMEMBERED = 10_000;

// Sessions are kept by the hash of their id: a memory dump does not hand out live cookies.
const hash = (text: string): string => createHash('sha256').update(text).digest('base64url');

/** Creates the in-memory sign-in store; sessions last `sessionMs`. */
export function createSignIns(sessionMs: number): SignIns {
  const sessions = new Map<string, { person: string; expiresAtMs: number }>();
  const usedNonces = new Map<string, number>();
  const prune = <V>(m: Map<string, V>, expired: (v: V) => boolean): void => {
    for (const [k, v] of m) if (expired(v) || m.size > MAX_REMEMBERED) m.delete(k);
  };
  return {
    exchange(token, trust, nowMs) {
      let parsed: z.infer<typeof tokenSchema>;
      try {
        parsed = tokenSchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
      } catch {
        throw new SignInError('this sign-in link is not one `ladder dashboard login` made (malformed token)');
      }
      const { proof, ...args } = parsed;
      let keyId: string;
      try {
        keyId = verifyAnswer(trust, SIGN_IN_SUBJECT, SIGN_IN_ANSWER, { ...args, proof }, args.by, nowMs);
      } catch (err) {
        if (err instanceof AnswerProofError) throw new SignInError(`sign-in link refused: ${err.message}`);
        throw err;
      }
      if (trust.keys.find((k) => k.id === keyId)?.kind !== 'operator')
        throw new SignInError("sign-in link refused: it must be signed with a person's own operator key");
      const expiresAtMs = Date.parse(args.expiresAt);
      if (expiresAtMs <= nowMs)
        throw new SignInError(`sign-in link expired at ${args.expiresAt}; ask for a new one`);
      if (expiresAtMs - nowMs > MAX_LINK_TTL_MS)
        throw new SignInError('sign-in link refused: it claims to stay valid longer than links may');
      prune(usedNonces, (until) => until <= nowMs);
      if (usedNonces.has(args.nonce))
        throw new SignInError('this sign-in link was used already; ask for a new one');
      usedNonces.set(args.nonce, expiresAtMs);
      const sessionId = randomBytes(32).toString('base64url');
      prune(sessions, (s) => s.expiresAtMs <= nowMs);
      const session = { person: args.by, expiresAtMs: nowMs + sessionMs };
      sessions.set(hash(sessionId), session);
      return { sessionId, ...session };
    },
    person(sessionId, nowMs) {
      if (!sessionId || !/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return null;
      const key = hash(sessionId);
      const session = sessions.get(key);
      if (!session) return null;
      if (session.expiresAtMs <= nowMs) {
        sessions.delete(key);
        return null;
      }
      return session.person;
    },
  };
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
