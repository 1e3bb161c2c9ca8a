import type { Proven } from '../policy/answer-proof';

/** One signed answer an entity took: its signature, and when it was signed (ms since the epoch). */
export interface UsedAnswer {
  signature: string;
  signedAtMs: number;
}

/** What an entity's taken answers carry into its next run. */
export interface UsedAnswersCarry {
  /** Oldest taken first. */
  taken: UsedAnswer[];
  /** Answers signed at or before this (ms since the epoch) were forgotten: refused, never taken again. */
  forgottenUpToMs: number;
}

/**
 * How many taken answers an entity remembers. Only answers still inside their TTL are kept (15
 * minutes by default), so this is reached only by more than this many proven answers to one entity
 * in one TTL; then the oldest is forgotten first. 1,000 entries carry about 110 KB over
 * continue-as-new.
 */
export const MAX_USED_ANSWERS = 1_000;

/**
 * The signed answers an entity workflow has taken, so the same signature is never taken twice.
 *
 * A signature stays valid for the policy's `answers.ttl`: without this, whoever read an answer from
 * the entity's history (an unfreeze, a grant, an incident) could send it again within that time and
 * undo what happened since (a freeze after the unfreeze, a revocation after the grant). Ed25519
 * signatures are deterministic, so the signature itself identifies the answer; a frontend's own
 * retry under the same update id is answered by Temporal from the first delivery and never reaches
 * this check.
 *
 * Bounded: an answer is forgotten once its TTL has passed (the proof check refuses it as expired
 * then), or, past {@link MAX_USED_ANSWERS}, oldest first. Whatever was signed at or before the
 * newest forgotten answer is refused from then on, so forgetting never lets one be taken again,
 * even after the policy lengthens the TTL. Travels over continue-as-new. Pure and deterministic:
 * callers pass workflow time.
 */
export class UsedAnswers {
  private readonly taken = new Map<string, number>();
  private forgottenUpToMs: number;

  /** @param carried - what the previous run had taken (its {@link UsedAnswers.carried}). */
  constructor(carried?: UsedAnswersCarry) {
    for (const used of carried?.taken ?? []) this.taken.set(used.signature, used.signedAtMs);
    this.forgottenUpToMs = carried?.forgottenUpToMs ?? 0;
  }

  /**
   * Throws when this answer's signature was taken before, or was signed no later than an answer
   * already forgotten (validators call it, so a replay is refused before it reaches history).
   * Answers without a proof (the demo's claimed identities) pass: they carry nothing to remember.
   */
  refuseTaken(args: Proven): void {
    const proof = args.proof;
    if (proof === undefined) return;
    if (this.taken.has(proof.signature))
      throw new Error(
        `this signed answer (signed at ${proof.signedAt}) was already taken: a signature counts once, so nothing changed; answer again to sign a new one`,
      );
    if (Date.parse(proof.signedAt) <= this.forgottenUpToMs)
      throw new Error(
        `this signed answer (signed at ${proof.signedAt}) is older than answers this entity no longer remembers (up to ${new Date(this.forgottenUpToMs).toISOString()}), so it cannot tell whether it was taken; answer again to sign a new one`,
      );
  }

  /**
   * Takes an answer whose proof its handler has just checked: refuses it if taken meanwhile (two
   * copies in one activation pass their validators together), else remembers it. Forgets answers
   * older than `ttlMs` at `nowMs`, then the oldest beyond {@link MAX_USED_ANSWERS}.
   *
   * @param ttlMs - the TTL of signed answers in the policy in force, in ms.
   * @param nowMs - workflow time, in ms since the epoch.
   */
  take(args: Proven, ttlMs: number, nowMs: number): void {
    this.refuseTaken(args);
    const proof = args.proof;
    if (proof === undefined) return;
    for (const [signature, signedAtMs] of this.taken)
      if (nowMs - signedAtMs > ttlMs) this.forget(signature, signedAtMs);
    this.taken.set(proof.signature, Date.parse(proof.signedAt));
    // Map keeps insertion order: the first entries are the oldest taken.
    for (const [signature, signedAtMs] of this.taken) {
      if (this.taken.size <= MAX_USED_ANSWERS) break;
      this.forget(signature, signedAtMs);
    }
  }

  /** What the next run must remember. */
  carried(): UsedAnswersCarry {
    return {
      taken: [...this.taken].map(([signature, signedAtMs]) => ({ signature, signedAtMs })),
      forgottenUpToMs: this.forgottenUpToMs,
    };
  }

  private forget(signature: string, signedAtMs: number): void {
    this.taken.delete(signature);
    if (signedAtMs > this.forgottenUpToMs) this.forgottenUpToMs = signedAtMs;
  }
}
