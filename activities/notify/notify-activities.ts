import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { createChannelFeedLink, type ChannelFeedLink } from '../../client/channel-feed-link';
import type { FeedMessage } from '../../workflows/channel-feed-messages';
import { beginEffect } from '../actions/undo-journal';
import type { LedgerLink } from '../../client/ledger-link';
import type { ApproverWatchLink } from '../../client/approver-watch';
import { recordAllEvidence, recordEvidence, type OutcomeEvent, type OutcomeSink } from '../outcomes';
import type { Notification, Notifier } from './notifier';
import { ChannelHeat, whenLimited } from './when-limited';
import type { LadderMetrics } from '../../observability/ladder-metrics';

/** What the notify activities need from the worker. */
export interface NotifyActivityDeps {
  notifier: Notifier;
  stateDir: string;
  client: Client;
  taskQueue: string;
  /**
   * How long after a retried post the task sweeps for a late copy, in ms; default
   * {@link LATE_POST_GRACE_MS}. Tests shorten it.
   */
  latePostGraceMs?: number;
  /** Where evidence carried by an announcement goes (see `recordEvidence`). */
  outcomes: OutcomeSink;
  ledger?: LedgerLink;
  /** The rubber-stamp watches (see `recordEvidence`). */
  approverWatch?: ApproverWatchLink;
  /** The worker's metrics, which count the evidence an announcement carries. */
  metrics?: LadderMetrics;
  /** Where posts Slack's per-channel limit refused go; default: the channel feed workflows. */
  channelFeeds?: ChannelFeedLink;
}

/**
 * Default wait before sweeping for a late copy of a retried post: well beyond the notify profile's
 * 30 s attempt timeout, which bounds how long a live worker's post attempt may still be in flight
 * (a dead worker's request lands within seconds or never).
 */
export const LATE_POST_GRACE_MS = 2 * 60 * 1000;

/**
 * Least wait, in ms, before a held request (refused twice in a row) tries for its own message
 * again: longer than the feed's own wait before it lists the request, so in a burst the
 * pending-requests message gets one of the channel's slots before the requests all try again.
 */
export const HELD_REQUEST_RETRY_MS = 10_000;

/** What a notify activity answers. */
export interface NotifyResult {
  /** The message that stands for the key, or '' when it went to the channel's feed. */
  ref: string;
  attempt: number;
  /** Set when an earlier attempt may still land a copy: sweep for it this many ms later. */
  sweepAfterMs?: number;
  /** Set when Slack's limit refused the post and the channel's feed took it (a digest). */
  inFeed?: true;
}

/**
 * The activities that post and edit messages: a task's notifications and a channel feed's
 * messages. Slack allows about one post a second per channel; what a refused post does depends on
 * what it is ({@link whenLimited}): an announcement goes to the channel's feed at once, a request
 * is listed in the feed's pending-requests message and keeps trying for its own, the rest wait for
 * Retry-After.
 */
export function createNotifyActivities(deps: NotifyActivityDeps) {
  const heat = new ChannelHeat();
  const feeds = deps.channelFeeds ?? createChannelFeedLink(deps.client, deps.taskQueue);

  return {
    /**
     * Posts a notification once per key; returns the message ref for later updates, the attempt
     * that posted it, and `sweepAfterMs` when an earlier attempt began a post and never learned how
     * it ended (it timed out, or its worker died): a copy may still land, so the workflow sweeps
     * for one that much later (see `removeDuplicateNotifications`). Journaled in the state folder,
     * so a retry on another worker sharing it sees the marker too. A retry after a refusal (429)
     * with no unfinished attempt does not look for an earlier copy: none can exist, and the look-up
     * is itself rate-limited. `evidence`, when given, is recorded first (as `recordOutcome` does):
     * the outcome an announcement tells of, without an activity of its own.
     */
    async notify(args: {
      key: string;
      notification: Notification;
      evidence?: OutcomeEvent;
    }): Promise<NotifyResult> {
      // Taken first: at or after the server started this attempt, so the deadline is never early.
      const startedAt = Date.now();
      // Evidence first: it never waits for Slack, and a retry records it once more for nothing.
      if (args.evidence) await recordEvidence(deps, args.evidence);
      const info = Context.current().info;
      const n = args.notification;
      const fallback = whenLimited(n);
      const entry = { key: args.key, notification: n };
      const effect = beginEffect(deps.stateDir, `notify:${args.key}`);
      // Handed to the feed by an earlier attempt (which then died, or lost the answer): the feed
      // counts a key once, so hand it over again; a message of its own would announce it twice.
      if (fallback === 'digest' && effect.handedOverBefore) {
        await feeds.announce(entry);
        effect.end();
        return { ref: '', attempt: info.attempt, inFeed: true };
      }
      // A copy may exist only if an attempt began posting and never learned how it ended.
      const canHandOver = !effect.earlierUnfinished;
      // A request refused once may be a blip: it is listed from its second refusal on.
      const held = fallback === 'list-pending' && effect.refusedBefore;
      const coolingMs = heat.remainingMs(n.channel, startedAt);
      if (coolingMs > 0 && canHandOver && (fallback === 'digest' || held)) {
        effect.endRefused();
        return refusedPost(coolingMs);
      }
      let ref: string;
      try {
        const lookFirst = info.attempt > 1 && !effect.refusedBefore;
        ({ ref } = await deps.notifier.post(
          args.key,
          n,
          lookFirst ? info.attempt : 1,
          startedAt + info.startToCloseTimeoutMs,
        ));
      } catch (err) {
        const retryAfterMs = rateLimitedFor(err);
        if (retryAfterMs === undefined) {
          if (!postMayHaveLanded(err)) effect.end();
          throw err;
        }
        effect.endRefused();
        heat.refused(n.channel, retryAfterMs, Date.now());
        if (!canHandOver || !(fallback === 'digest' || held)) throw err;
        return refusedPost(retryAfterMs, err);
      }
      effect.end();
      // A request listed while its post was held back now has its own message.
      if (fallback === 'list-pending' && info.attempt > 1) await feeds.posted(n.channel, args.key);
      // An earlier attempt that never learned how its post ended may still land a copy.
      const sweepAfterMs = effect.earlierUnfinished
        ? (deps.latePostGraceMs ?? LATE_POST_GRACE_MS)
        : undefined;
      return { ref, attempt: info.attempt, ...(sweepAfterMs !== undefined ? { sweepAfterMs } : {}) };

      /** An announcement goes to the feed; a request is listed there and tried again later. */
      async function refusedPost(waitMs: number, cause?: unknown): Promise<NotifyResult> {
        if (fallback === 'digest') {
          // Journaled first: whatever happens to this attempt from here, later ones hand over too.
          effect.handOver();
          await feeds.announce(entry);
          return { ref: '', attempt: info.attempt, inFeed: true };
        }
        await feeds.hold(entry);
        throw ApplicationFailure.create({
          message: `Slack's per-channel limit holds back ${args.key} for ${Math.ceil(waitMs / 1000)} s; listed in the channel's pending requests meanwhile`,
          type: 'SlackRateLimited',
          nextRetryDelay: Math.max(HELD_REQUEST_RETRY_MS, waitMs),
          ...(cause instanceof Error ? { cause } : {}),
        });
      }
    },

    /**
     * Removes every copy of the notification posted under `key` except `keepRef` (the one the
     * workflow holds and updates).
     *
     * @returns how many copies were removed.
     */
    async removeDuplicateNotifications(args: { key: string; keepRef: string }): Promise<number> {
      return deps.notifier.removeDuplicates(args.key, args.keepRef);
    },

    /**
     * Edits a posted notification in place (outcome, who, when, no buttons). `evidence`, when
     * given, is recorded first and in order (as `recordOutcome` does): the outcomes the edit tells
     * of, without an activity of their own.
     */
    async updateNotification(args: {
      ref: string;
      notification: Notification;
      evidence?: OutcomeEvent[];
    }): Promise<void> {
      await recordAllEvidence(deps, args.evidence ?? []);
      await deps.notifier.update(args.ref, args.notification);
    },

    /**
     * Posts a channel feed's message once per key (a 429 fails the attempt with Slack's
     * Retry-After as the next retry's delay).
     *
     * @returns the message's ref, for later edits.
     */
    async postFeedMessage(args: { key: string; message: FeedMessage }): Promise<string> {
      const startedAt = Date.now();
      const info = Context.current().info;
      const effect = beginEffect(deps.stateDir, `notify:${args.key}`);
      try {
        const lookFirst = info.attempt > 1 && !effect.refusedBefore;
        const { ref } = await deps.notifier.postFeed(
          args.key,
          args.message,
          lookFirst ? info.attempt : 1,
          startedAt + info.startToCloseTimeoutMs,
        );
        effect.end();
        return ref;
      } catch (err) {
        if (rateLimitedFor(err) !== undefined) effect.endRefused();
        else if (!postMayHaveLanded(err)) effect.end();
        throw err;
      }
    },

    /** Edits a channel feed's message in place. */
    async updateFeedMessage(args: { ref: string; message: FeedMessage }): Promise<void> {
      await deps.notifier.updateFeed(args.ref, args.message);
    },
  };
}

/** The wait Slack asked for, in ms, when `err` is its rate limit; undefined for any other failure. */
function rateLimitedFor(err: unknown): number | undefined {
  if (!(err instanceof ApplicationFailure) || err.type !== 'SlackRateLimited') return undefined;
  const delay = err.nextRetryDelay;
  return typeof delay === 'number' ? delay : 1000;
}

/**
 * Whether a failed post may still have landed: not after a rate limit (429) or a Slack error
 * answer (`ok: false`), which post nothing; after a network error, a timeout or a 5xx, it may.
 */
function postMayHaveLanded(err: unknown): boolean {
  const e = err as { code?: unknown; type?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return !(
    e?.type === 'SlackRateLimited' ||
    code === 'slack_webapi_rate_limited_error' ||
    code === 'slack_webapi_platform_error'
  );
}
