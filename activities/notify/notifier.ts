import type { LadderAction } from '../../slack/action-ids';
import type { FeedMessage } from '../../workflows/channel-feed-messages';
import type { TaskFacts } from '../../slack/blocks/task-facts';
/** Kinds of messages the task workflow sends people. */
export type NotificationKind =
  | 'suggestion'
  | 'draft'
  | 'approval-request'
  | 'approval-reminder'
  | 'fallback'
  | 'executed'
  | 'rollback'
  | 'rollback-failed'
  | 'outcome-unknown'
  | 'report'
  | 'report-escalation'
  | 'outcome'
  | 'refused'
  | 'promotion-proposal'
  | 'rung-change'
  | 'audit'
  /** The rubber-stamp watch put an approver under review: their class's owners are told. */
  | 'approver-review';

/** One message about one task; the Slack implementation renders it as Block Kit. */
export interface Notification {
  kind: NotificationKind;
  workflowId: string;
  agentId: string;
  taskClass: string;
  /** Channel of the task class (or report channel). */
  channel: string;
  /** Direct recipient: a Slack user id, or `channel` for a mention in the channel. */
  to?: string;
  title: string;
  text: string;
  /** Extra facts shown as fields: rung, reasons, requester, policy version, … */
  fields?: Record<string, string>;
  /** What the buttons act on within the workflow, e.g. a promotion proposal's id. */
  subject?: string;
  /**
   * The buttons offered, by their short names (one table, `slack/action-ids.ts`), e.g.
   * `['approve', 'reject']`; none once the task is decided.
   */
  actions?: LadderAction[];
  /**
   * What the message shows beside its text, as facts (steps and their results, who may answer and
   * until when, a report's read deadline); rendered by `slack/blocks/task-facts-blocks.ts`.
   */
  facts?: TaskFacts;
  /** Link to the workflow in the Temporal UI. */
  link?: string;
}

/**
 * Where notifications go. Implementations must be idempotent per `key` (a retried activity posts
 * once, even when the worker died between posting and completing); `update` edits in place.
 */
export interface Notifier {
  /**
   * @param attempt - the notify activity's attempt (1 on the first try). Above 1, an earlier attempt
   *   may have posted and then died before reporting it, so the implementation must look first.
   * @param attemptDeadlineMs - epoch ms after which this attempt is known to have timed out (its
   *   start plus the activity's start-to-close timeout). A post answered after it is stale: its
   *   result is thrown away, so an implementation may remove its copy when another carries `key`.
   * @returns the ref of the message that stands for `key`; the workflow updates it later.
   */
  post(
    key: string,
    notification: Notification,
    attempt?: number,
    attemptDeadlineMs?: number,
  ): Promise<{ ref: string }>;
  update(ref: string, notification: Notification): Promise<void>;
  /**
   * Posts a channel feed's message (a digest of announcements, or the pending requests) once per
   * `key`, with the same idempotency and attempt rules as {@link Notifier.post}.
   */
  postFeed(
    key: string,
    message: FeedMessage,
    attempt?: number,
    attemptDeadlineMs?: number,
  ): Promise<{ ref: string }>;
  /** Edits a feed message in place (the pending requests as they change). */
  updateFeed(ref: string, message: FeedMessage): Promise<void>;
  /**
   * Deletes every message carrying `key` in `keepRef`'s channel except `keepRef`: copies left by
   * a post that outlived its attempt or a worker that died with a post in flight. Call it with the
   * ref the workflow holds, after the post's activity completed (a grace period after, so late
   * copies have landed).
   *
   * @returns how many messages were removed (0 when there was only `keepRef`).
   * @throws when `keepRef` is not among the messages carrying `key`; nothing is deleted then.
   */
  removeDuplicates(key: string, keepRef: string): Promise<number>;
}
