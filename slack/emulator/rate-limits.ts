import {
  DEFAULT_POST_MESSAGE_RATES,
  DEFAULT_TIER,
  DEFAULT_TIER_RATES,
  METHOD_TIERS,
  RATE_TIERS,
  type PostMessageRates,
  type RateTier,
} from './slack-rate-tiers';
import { TokenBucket, type Rate } from './token-bucket';

/** The limits in force. */
export interface RateLimitConfig {
  enabled: boolean;
  tiers: Record<RateTier, Rate>;
  postMessage: PostMessageRates;
}

/** A change to the limits: what is left out stays as it is. */
export interface RateLimitChange {
  enabled?: boolean;
  tiers?: Partial<Record<RateTier, Rate>>;
  postMessage?: Partial<PostMessageRates>;
}

/**
 * Which limit refused a call: `channel` (chat.postMessage's one a second per channel), `app`
 * (chat.postMessage's cap per app across the workspace) or `method` (the method's tier).
 */
export type LimitScope = 'channel' | 'app' | 'method';

/** A refused call: Slack answers it with HTTP 429 and `Retry-After: retryAfterSeconds`. */
export interface RateLimitVerdict {
  scope: LimitScope;
  /** ms until the call would be let through. */
  waitMs: number;
  /** `waitMs` in whole seconds, rounded up, at least 1, as Slack's Retry-After header says it. */
  retryAfterSeconds: number;
}

/** One Web API call as the limiter sees it. */
export interface LimitedCall {
  /** Who calls: Slack counts per app, and the emulator knows an app by its bot token. */
  app: string;
  method: string;
  /** chat.postMessage's channel, as a stable key (`#name` or a DM id); ignored for other methods. */
  channel?: string;
}

/** What `GET /emulator/rate-limits` shows: the limits in force and what they did so far. */
export interface RateLimitReport extends RateLimitConfig {
  /** The tier of each method the table knows; other methods get `defaultTier`. */
  methods: Record<string, RateTier>;
  defaultTier: RateTier;
  /** Calls let through while the limits were on. */
  allowed: { total: number; byMethod: Record<string, number> };
  /** Calls refused with 429, by method, by chat.postMessage channel and by the limit that refused. */
  limited: {
    total: number;
    byMethod: Record<string, number>;
    byChannel: Record<string, number>;
    byScope: Record<LimitScope, number>;
    /** The limiter clock's reading (ms) at the last refusal; null before any. */
    lastAt: number | null;
  };
}

/** Full buckets are forgotten past this many, so a run touching many channels stays bounded. */
const MAX_BUCKETS = 10_000;

/**
 * Slack's Web API rate limits, enforced the way Slack documents them: every method is limited per
 * app by its tier, and `chat.postMessage` per channel (one a second, short bursts) and per app
 * across the workspace instead. A refused call spends nothing, so a caller that waits the
 * announced time gets through.
 *
 * The clock is passed in (ms, e.g. `Date.now` or a test's fake clock); nothing here sleeps.
 */
export class WebApiRateLimits {
  private config: RateLimitConfig;
  private readonly buckets = new Map<string, TokenBucket>();
  private counters = emptyCounters();

  constructor(
    change: RateLimitChange = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.config = {
      enabled: true,
      tiers: { ...DEFAULT_TIER_RATES },
      postMessage: { ...DEFAULT_POST_MESSAGE_RATES },
    };
    this.configure(change);
  }

  /**
   * Checks one call against the limits and, when it is let through, spends its tokens.
   *
   * @returns undefined when the call may go ahead (always, while the limits are off); otherwise
   *   the limit that refused it and how long to wait (the longest wait when several refuse).
   */
  check(call: LimitedCall): RateLimitVerdict | undefined {
    if (!this.config.enabled) return undefined;
    const now = this.clock();
    const buckets = this.bucketsFor(call);
    let refusal: { scope: LimitScope; waitMs: number } | undefined;
    for (const [scope, bucket] of buckets) {
      const waitMs = bucket.waitMs(now);
      if (waitMs > 0 && (!refusal || waitMs > refusal.waitMs)) refusal = { scope, waitMs };
    }
    if (refusal) {
      this.countLimited(call, refusal.scope, now);
      return { ...refusal, retryAfterSeconds: Math.max(1, Math.ceil(refusal.waitMs / 1000)) };
    }
    for (const [, bucket] of buckets) bucket.take(now);
    this.counters.allowed.total++;
    bump(this.counters.allowed.byMethod, call.method);
    return undefined;
  }

  /**
   * Changes the limits. A changed rate starts its buckets full; turning the limits off or on
   * starts every bucket full, as if the app had been quiet for a while. Counters stay.
   */
  configure(change: RateLimitChange): void {
    const next: RateLimitConfig = {
      enabled: change.enabled ?? this.config.enabled,
      tiers: { ...this.config.tiers, ...change.tiers },
      postMessage: { ...this.config.postMessage, ...change.postMessage },
    };
    // Fails on a bad rate before anything changes.
    for (const tier of RATE_TIERS) new TokenBucket(next.tiers[tier]);
    new TokenBucket(next.postMessage.perChannel);
    new TokenBucket(next.postMessage.perApp);
    if (JSON.stringify(next) !== JSON.stringify(this.config)) this.buckets.clear();
    this.config = next;
  }

  /** Fills every bucket and zeroes the counters; the limits stay as configured. */
  reset(): void {
    this.buckets.clear();
    this.counters = emptyCounters();
  }

  get enabled(): boolean {
    return this.config.enabled;
  }

  /** Buckets held in memory: one per app × method, app × channel and app that called lately. */
  get trackedBuckets(): number {
    return this.buckets.size;
  }

  /** Calls refused so far (since the last reset). */
  get limitedTotal(): number {
    return this.counters.limited.total;
  }

  report(): RateLimitReport {
    return structuredClone({
      ...this.config,
      methods: { ...METHOD_TIERS },
      defaultTier: DEFAULT_TIER,
      ...this.counters,
    });
  }

  private bucketsFor(call: LimitedCall): [LimitScope, TokenBucket][] {
    if (call.method === 'chat.postMessage') {
      const { perChannel, perApp } = this.config.postMessage;
      return [
        ['channel', this.bucket(['channel', call.app, call.channel ?? ''], perChannel)],
        ['app', this.bucket(['app', call.app], perApp)],
      ];
    }
    const tier = METHOD_TIERS[call.method] ?? DEFAULT_TIER;
    return [['method', this.bucket(['method', call.app, call.method], this.config.tiers[tier])]];
  }

  private bucket(key: string[], rate: Rate): TokenBucket {
    const id = JSON.stringify(key);
    let bucket = this.buckets.get(id);
    if (!bucket) {
      if (this.buckets.size >= MAX_BUCKETS) this.forgetFullBuckets();
      bucket = new TokenBucket(rate);
      this.buckets.set(id, bucket);
    }
    return bucket;
  }

  private forgetFullBuckets(): void {
    const now = this.clock();
    for (const [id, bucket] of this.buckets) if (bucket.isFull(now)) this.buckets.delete(id);
  }

  private countLimited(call: LimitedCall, scope: LimitScope, now: number): void {
    const limited = this.counters.limited;
    limited.total++;
    bump(limited.byMethod, call.method);
    if (call.method === 'chat.postMessage') bump(limited.byChannel, call.channel ?? '');
    limited.byScope[scope]++;
    limited.lastAt = now;
  }
}

function emptyCounters(): Pick<RateLimitReport, 'allowed' | 'limited'> {
  return {
    allowed: { total: 0, byMethod: counts() },
    limited: {
      total: 0,
      byMethod: counts(),
      byChannel: counts(),
      byScope: { channel: 0, app: 0, method: 0 },
      lastAt: null,
    },
  };
}

/** A count per key with no prototype, so a channel named `__proto__` is just a key. */
function counts(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
