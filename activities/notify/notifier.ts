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
  | 'report'
  | 'report-escalation'
  | 'outcome'
  | 'refused';

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
  /** Buttons offered, e.g. ['approve', 'reject']; none once the task is decided. */
  actions?: string[];
  /** Link to the workflow in the Temporal UI. */
  link?: string;
}

/**
 * Where notifications go. Implementations must be idempotent per `key` (a retried activity posts
 * once): the Slack one (issue 5) stores the message ts under the key; `update` edits it in place.
 */
export interface Notifier {
  post(key: string, notification: Notification): Promise<{ ref: string }>;
  update(ref: string, notification: Notification): Promise<void>;
}
