/** A sustained rate with a burst allowance: `burst` calls at once, then `perMinute` calls a minute. */
export interface Rate {
  /** Calls per minute sustained, > 0. */
  perMinute: number;
  /** Calls a full bucket allows at once, a whole number ≥ 1. */
  burst: number;
}

/**
 * A token bucket of `rate.burst` tokens refilled at `rate.perMinute` a minute, with the clock passed
 * in on every call (ms; any monotonic origin) so tests drive it without sleeping.
 *
 * It is kept as the time the bucket will next be full (the generic cell rate algorithm), which
 * behaves exactly like a token bucket but needs no fractional token count: with whole-ms clocks and
 * rates that divide a minute evenly, a caller who waits the announced `waitMs` is always let
 * through, never refused by a rounding error.
 */
export class TokenBucket {
  /** ms between two tokens. */
  private readonly interval: number;
  /** How far ahead of now `fullAt` may run: the burst less the call being made. */
  private readonly tolerance: number;
  /** When the bucket is next full; at or before now it is full. */
  private fullAt = Number.NEGATIVE_INFINITY;

  constructor(readonly rate: Rate) {
    if (!(rate.perMinute > 0) || !Number.isFinite(rate.perMinute))
      throw new RangeError(`a rate needs perMinute > 0 (got ${rate.perMinute})`);
    if (!Number.isInteger(rate.burst) || rate.burst < 1)
      throw new RangeError(`a rate needs a whole burst ≥ 1 (got ${rate.burst})`);
    this.interval = 60_000 / rate.perMinute;
    this.tolerance = (rate.burst - 1) * this.interval;
  }

  /** ms until a call at `now` would be let through; 0 when a token is there now. */
  waitMs(now: number): number {
    return Math.max(0, this.fullAt - now - this.tolerance);
  }

  /** Spends one token at `now`. The caller checks `waitMs(now) === 0` first. */
  take(now: number): void {
    this.fullAt = Math.max(this.fullAt, now) + this.interval;
  }

  /** True when the bucket holds all its tokens at `now`, so forgetting it changes nothing. */
  isFull(now: number): boolean {
    return this.fullAt <= now;
  }
}
