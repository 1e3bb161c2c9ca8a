import { createHash } from 'node:crypto';
import type { Journal, JournalEntry } from './journal';

/** Longest `Idempotency-Key` accepted, in characters. */
export const MAX_KEY_CHARS = 512;

/** SHA-256 (hex) of what makes two requests "the same": method, path and exact body. */
export function requestFingerprint(method: string, path: string, body: string): string {
  return createHash('sha256').update(`${method} ${path}\n${body}`).digest('hex');
}

/** What to do with a mutating request, given its key. */
export type KeyVerdict =
  /** No key, or a key never seen: apply the effect (and store the answer under the key). */
  | { kind: 'apply' }
  /** The key was used for this exact request: answer as the first time, apply nothing. */
  | { kind: 'replay'; entry: JournalEntry }
  /** The key was used for a different request: 422, apply nothing. */
  | { kind: 'conflict'; entry: JournalEntry }
  /** The header is there but unusable (empty or too long): 400. */
  | { kind: 'invalid'; reason: string };

/**
 * The demo service's idempotency store: an index by key over the journal, so it holds exactly
 * the answers of effects that were applied and survives a restart with the journal.
 */
export class IdempotencyStore {
  private readonly byKey = new Map<string, JournalEntry>();

  constructor(journal: Journal) {
    for (const entry of journal.all()) this.remember(entry);
  }

  /** Indexes an entry the journal just appended (or loaded). */
  remember(entry: JournalEntry): void {
    if (entry.key !== null && !this.byKey.has(entry.key)) this.byKey.set(entry.key, entry);
  }

  /**
   * Decides a request with `key` (the header's value, undefined when absent) and `fingerprint`
   * (see {@link requestFingerprint}). Pure over the store's contents.
   */
  verdict(key: string | undefined, fingerprint: string): KeyVerdict {
    if (key === undefined) return { kind: 'apply' };
    if (key.trim() === '') return { kind: 'invalid', reason: 'Idempotency-Key is empty' };
    if (key.length > MAX_KEY_CHARS)
      return { kind: 'invalid', reason: `Idempotency-Key is longer than ${MAX_KEY_CHARS} characters` };
    const entry = this.byKey.get(key);
    if (!entry) return { kind: 'apply' };
    return entry.fingerprint === fingerprint ? { kind: 'replay', entry } : { kind: 'conflict', entry };
  }
}
