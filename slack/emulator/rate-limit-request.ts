import type { RateLimitChange } from './rate-limits';
import { RATE_TIERS, type RateTier } from './slack-rate-tiers';
import type { Rate } from './token-bucket';

/** The environment variable the run command passes through to turn the emulator's limits off. */
export const RATE_LIMITS_ENV = 'LADDER_EMULATOR_RATE_LIMITS';

/**
 * Reads `LADDER_EMULATOR_RATE_LIMITS`: `on` or `off` (any case); unset or empty says nothing.
 *
 * @throws Error naming the variable and the values it takes when it holds anything else.
 */
export function rateLimitsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean | undefined {
  const value = env[RATE_LIMITS_ENV]?.trim().toLowerCase();
  if (value === undefined || value === '') return undefined;
  if (value === 'on') return true;
  if (value === 'off') return false;
  throw new Error(
    `${RATE_LIMITS_ENV}: expected on or off (got ${JSON.stringify(env[RATE_LIMITS_ENV])}); off lets every Web API call through, as the bench's throughput rounds want`,
  );
}

/** A rate-limit request that cannot be served; `field` is the dotted path of the offending field. */
export class RateLimitRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** What `POST /emulator/rate-limits` asks for: a change, and whether to refill and zero first. */
export interface RateLimitRequest {
  change: RateLimitChange;
  reset: boolean;
}

const FIELDS = ['enabled', 'tiers', 'postMessage', 'reset'];
const POST_MESSAGE_FIELDS = ['perChannel', 'perApp'] as const;
const MAX_PER_MINUTE = 6_000_000;
const MAX_BURST = 1_000_000;

/**
 * Reads the body of `POST /emulator/rate-limits`, e.g. `{"enabled":false}`,
 * `{"postMessage":{"perChannel":{"perMinute":60,"burst":3}}}` or `{"reset":true}`.
 *
 * Every field is optional: `enabled` (boolean); `tiers` (an object keyed by tier1..tier4 and
 * special, each a rate); `postMessage` (`perChannel` and/or `perApp`, each a rate); `reset`
 * (boolean: fill every bucket and zero the counters). A rate is `{perMinute, burst}` with perMinute
 * a number above 0 and burst a whole number from 1.
 *
 * @throws RateLimitRequestError naming the first field that is unknown, missing or out of range.
 */
export function parseRateLimitRequest(input: unknown): RateLimitRequest {
  const body = object(input, '', 'expected a JSON object such as {"enabled":false}');
  known(body, FIELDS, '');
  const change: RateLimitChange = {};
  if (body.enabled !== undefined) change.enabled = boolean(body.enabled, 'enabled');
  if (body.tiers !== undefined) {
    const tiers = object(body.tiers, 'tiers', `expected an object keyed by ${RATE_TIERS.join(', ')}`);
    known(tiers, RATE_TIERS, 'tiers.');
    change.tiers = {};
    for (const tier of Object.keys(tiers) as RateTier[])
      change.tiers[tier] = rate(tiers[tier], `tiers.${tier}`);
  }
  if (body.postMessage !== undefined) {
    const post = object(body.postMessage, 'postMessage', 'expected an object with perChannel and/or perApp');
    known(post, POST_MESSAGE_FIELDS, 'postMessage.');
    change.postMessage = {};
    for (const field of POST_MESSAGE_FIELDS)
      if (post[field] !== undefined) change.postMessage[field] = rate(post[field], `postMessage.${field}`);
  }
  const reset = body.reset === undefined ? false : boolean(body.reset, 'reset');
  return { change, reset };
}

function object(value: unknown, field: string, expected: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RateLimitRequestError(field, `${field || 'the body'}: ${expected}`);
  return value as Record<string, unknown>;
}

function known(body: Record<string, unknown>, fields: readonly string[], prefix: string): void {
  for (const field of Object.keys(body))
    if (!fields.includes(field))
      throw new RateLimitRequestError(
        `${prefix}${field}`,
        `unknown field "${prefix}${field}"; expected one of ${fields.map((f) => prefix + f).join(', ')}`,
      );
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean')
    throw new RateLimitRequestError(
      field,
      `field "${field}" must be true or false (got ${JSON.stringify(value)})`,
    );
  return value;
}

function rate(value: unknown, field: string): Rate {
  const body = object(value, field, 'expected a rate such as {"perMinute":60,"burst":3}');
  known(body, ['perMinute', 'burst'], `${field}.`);
  const { perMinute, burst } = body;
  if (typeof perMinute !== 'number' || !(perMinute > 0) || perMinute > MAX_PER_MINUTE)
    throw new RateLimitRequestError(
      `${field}.perMinute`,
      `field "${field}.perMinute" must be a number above 0 and at most ${MAX_PER_MINUTE} (got ${JSON.stringify(perMinute ?? null)})`,
    );
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1 || burst > MAX_BURST)
    throw new RateLimitRequestError(
      `${field}.burst`,
      `field "${field}.burst" must be a whole number from 1 to ${MAX_BURST} (got ${JSON.stringify(burst ?? null)})`,
    );
  return { perMinute, burst };
}
