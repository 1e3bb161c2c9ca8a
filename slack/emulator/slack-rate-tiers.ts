import type { Rate } from './token-bucket';

/**
 * Slack's Web API rate-limit tiers. Slack counts calls per method, per app, per workspace; a tier
 * says how many calls a minute a method allows ("Tier 3: 50+ per minute") with some burst on top.
 * `special` is the name of the tier Slack gives methods such as `auth.test` ("hundreds of requests
 * per minute"); `chat.postMessage` has its own rule (see `PostMessageRates`).
 */
export type RateTier = 'tier1' | 'tier2' | 'tier3' | 'tier4' | 'special';

export const RATE_TIERS: readonly RateTier[] = ['tier1', 'tier2', 'tier3', 'tier4', 'special'];

/**
 * The tier of each Web API method the emulator serves (and a few Ladder may call next), as Slack's
 * method reference lists them (also in Slack's own Java SDK table, `MethodsRateLimits`).
 * `chat.postMessage` is absent: it is limited per channel and per app, not by tier.
 */
export const METHOD_TIERS: Readonly<Record<string, RateTier>> = {
  'auth.test': 'special',
  'chat.delete': 'tier3',
  'chat.postEphemeral': 'tier4',
  'chat.update': 'tier3',
  'conversations.history': 'tier3',
  'conversations.list': 'tier2',
  'conversations.open': 'tier3',
  'conversations.replies': 'tier3',
  'users.info': 'tier4',
  'views.open': 'tier4',
  'views.publish': 'tier4',
  'views.push': 'tier4',
  'views.update': 'tier4',
};

/** The tier a method without an entry in `METHOD_TIERS` gets: the one most methods have. */
export const DEFAULT_TIER: RateTier = 'tier2';

/**
 * Slack's published rates. A tier's burst is one minute's worth: Slack lets "occasional bursts"
 * through and a minute's quota spent at once is the most its per-minute wording promises.
 */
export const DEFAULT_TIER_RATES: Readonly<Record<RateTier, Rate>> = {
  tier1: { perMinute: 1, burst: 1 },
  tier2: { perMinute: 20, burst: 20 },
  tier3: { perMinute: 50, burst: 50 },
  tier4: { perMinute: 100, burst: 100 },
  special: { perMinute: 600, burst: 600 },
};

/** `chat.postMessage`'s own limits. */
export interface PostMessageRates {
  /** One message a second per channel, "short bursts allowed" (Slack promises no burst size). */
  perChannel: Rate;
  /**
   * Slack also caps an app's posts to the whole workspace at "several hundred messages per
   * minute" without a figure; 300 a minute is the low end of that, so the emulator errs strict.
   */
  perApp: Rate;
}

export const DEFAULT_POST_MESSAGE_RATES: Readonly<PostMessageRates> = {
  perChannel: { perMinute: 60, burst: 3 },
  perApp: { perMinute: 300, burst: 50 },
};
