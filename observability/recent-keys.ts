/**
 * Remembers the last `capacity` keys seen, so something retried (an activity that records evidence
 * and then fails on its Slack post, say) is counted once. Memory is bounded: past `capacity` the
 * oldest key is forgotten, so a retry arriving after that many newer keys counts again.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  /** @param capacity - how many keys to remember; at least 1. */
  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`RecentKeys capacity must be a whole number from 1, got ${capacity}`);
  }

  /**
   * Whether `key` is new: true the first time (and it is remembered), false while it is still
   * among the last `capacity` keys.
   */
  first(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    // A Set iterates in insertion order: the first key is the oldest.
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value!);
    return true;
  }
}
