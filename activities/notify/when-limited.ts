import { isSlackUserId } from '../../policy/slack-ids';
import type { Notification } from './notifier';

/**
 * What a post does when Slack's per-channel limit refuses it:
 * - `digest`: an announcement (a task that ran on its own authority) goes to the channel's feed,
 *   which posts it in its next digest; the task does not wait for Slack.
 * - `list-pending`: a request that waits for an answer keeps trying for its own message (it stands
 *   on its own, with its buttons) and is listed in the channel's pending-requests message meanwhile.
 * - `wait`: anything else (direct messages, reports, edits) waits for Slack's Retry-After.
 */
export type WhenLimited = 'digest' | 'list-pending' | 'wait';

/** Kinds that ask someone in the channel for an answer. */
const REQUESTS: ReadonlySet<Notification['kind']> = new Set([
  'approval-request',
  'suggestion',
  'draft',
  'outcome-unknown',
]);

/** Decides {@link WhenLimited} for a notification from its kind and destination. Pure. */
export function whenLimited(n: Notification): WhenLimited {
  if (n.to !== undefined && n.to !== 'channel' && isSlackUserId(n.to)) return 'wait';
  if (n.kind === 'executed') return 'digest';
  if (REQUESTS.has(n.kind) && (n.actions ?? []).length > 0) return 'list-pending';
  return 'wait';
}

/**
 * Channels whose posts Slack refused lately, per worker process: until the refusal's Retry-After
 * (at least {@link COOL_DOWN_MIN_MS}) has passed, announcements go straight to the feed instead of
 * trying, so the feed's digests are not crowded out by a burst of tasks each trying first.
 */
export class ChannelHeat {
  private readonly coolUntil = new Map<string, number>();

  /** Notes a refusal of a post to `channel` at `nowMs` asking to wait `retryAfterMs`. */
  refused(channel: string, retryAfterMs: number, nowMs: number): void {
    const until = nowMs + Math.max(retryAfterMs, COOL_DOWN_MIN_MS);
    if ((this.coolUntil.get(channel) ?? 0) < until) this.coolUntil.set(channel, until);
  }

  /** How long, in ms from `nowMs`, posts to `channel` should not be tried (0: try). */
  remainingMs(channel: string, nowMs: number): number {
    const until = this.coolUntil.get(channel);
    if (until === undefined) return 0;
    if (until <= nowMs) {
      this.coolUntil.delete(channel);
      return 0;
    }
    return until - nowMs;
  }
}

/** Shortest cool-down after a refusal, in ms: a few of Slack's one-second slots for the feed. */
export const COOL_DOWN_MIN_MS = 5_000;
