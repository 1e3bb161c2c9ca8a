import type { FaultReport } from './faults';
import type { RateLimitChange, RateLimitReport } from './rate-limits';
import type { DeletedMessage, EmulatedMessage, Fault } from './workspace';
import { startSlackEmulator, type SlackEmulatorOptions } from './server';

export type { DeletedMessage, EmulatedMessage, Fault } from './workspace';
export type { FaultReport } from './faults';
export type { RateLimitChange, RateLimitReport } from './rate-limits';

/** The Slack Web API subset Ladder calls, served on 127.0.0.1 with Slack's response shapes and errors. */
export interface SlackWebApiEmulator {
  /** Base URL for `WebClient({ slackApiUrl })`, ending in `/api/`. */
  apiUrl: string;
  /** Messages per channel (`#name` or id), in posting order, ephemeral ones included. */
  messages(channel: string): EmulatedMessage[];
  /** The channel id for a name such as `#ops` (created on first use, as if the bot were invited). */
  channelId(name: string): string;
  /** The DM channel id with a user. */
  dmWith(user: string): string;
  /**
   * Makes the next `times` calls to `method` (or any method) fail or stall as `fault` says; the
   * same as `POST /emulator/faults`. Faults queue: the first added that matches a call answers it.
   */
  injectFault(fault: Fault, options?: { method?: string; times?: number }): void;
  /** Faults still waiting and how many calls were served one, as `GET /emulator/faults` reports. */
  faultReport(): FaultReport;
  /** Slack's rate limits in force and the calls they let through and refused, as `GET /emulator/rate-limits` shows. */
  rateLimitReport(): RateLimitReport;
  /**
   * Changes the rate limits (e.g. `{ enabled: false }`), as `POST /emulator/rate-limits` does.
   *
   * @throws RangeError naming the bad value when a rate's perMinute is not above 0 or its burst
   *   is not a whole number from 1; nothing changes then.
   */
  setRateLimits(change: RateLimitChange): void;
  /** Messages removed with `chat.delete`, oldest first. */
  deleted: DeletedMessage[];
  /** Every API call received, in order (method and status). */
  calls: { method: string; status: number; at: number }[];
  close(): Promise<void>;
}

/**
 * Starts the emulator's Web API alone (no app to deliver clicks to). Any `xoxb-` bearer token is
 * accepted; a missing or other token is answered like Slack does (`not_authed`, `invalid_auth`).
 *
 * @param port - 0 picks a free port.
 * @param rateLimits - Slack's rate limits, as `startSlackEmulator` takes them (on unless
 *   `LADDER_EMULATOR_RATE_LIMITS=off`).
 */
export async function startSlackWebApi(
  port = 0,
  rateLimits?: SlackEmulatorOptions['rateLimits'],
): Promise<SlackWebApiEmulator> {
  return startSlackEmulator({ port, rateLimits });
}
