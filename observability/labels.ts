import type { Decision } from '../policy/decide';

// Pure mappings from Ladder's domain objects to metric label values. Every value returned here
// comes from a small fixed set, or from code-defined identifiers checked against a strict pattern,
// so no task id, agent id or free text ever becomes a label (each distinct value is a time series).

/** Label value for anything that does not fit its pattern: one series instead of many. */
export const OTHER = 'other';

/** What a code-defined identifier (a decision rule, an action type) must look like to be a label. */
const IDENTIFIER = /^[a-z][a-z0-9._-]{0,63}$/;

/** `value` when it is a short lower-case identifier, else {@link OTHER}. */
export function identifierLabel(value: string): string {
  return IDENTIFIER.test(value) ? value : OTHER;
}

/** A rung as a label: `"0"` to `"5"`; anything else (never expected) `"unknown"`. */
export function rungLabel(rung: number): string {
  return Number.isInteger(rung) && rung >= 0 && rung <= 5 ? String(rung) : 'unknown';
}

/**
 * Why a decision came out as it did, as one label value: the refusal's rule when the task was
 * refused, else the rule of the first reason that lowered the rung with anything after `:`
 * dropped (`pin:prod-migrations` → `pin`, since pin ids are the policy's words), else `earned`
 * (the task runs at the rung the agent earned).
 */
export function decisionReason(decision: Pick<Decision, 'refused' | 'reasons'>): string {
  const rule = decision.refused?.rule ?? decision.reasons[0]?.rule;
  if (rule === undefined) return 'earned';
  return identifierLabel(rule.split(':')[0]);
}

/** The rung label of a decision: `"refused"` when the task must not run, else its effective rung. */
export function decisionRung(decision: Pick<Decision, 'refused' | 'effectiveRung'>): string {
  return decision.refused ? 'refused' : rungLabel(decision.effectiveRung);
}

/**
 * Why a rung changed, as a bounded category. The trust ledger records causes as sentences
 * (`policy/trust-rules.ts` `demotionFor`, `policy/ledger-reducer.ts` `applyPromotion`); this reads
 * the event kind each sentence names:
 *
 * - promotions: `approved` (a person approved an earned proposal; the only way up);
 * - a wrong action with a real consequence: `defect`, `incident`;
 * - an environment change: `model-change`, `prompt-change`, `data-source-change`;
 * - an unanticipated failure: `rollback-failed`, `rollback-did-not-fire`, `bounds-missed`, `sla-breach`;
 * - anything else: `other` (a new cause sentence this function does not know yet).
 */
export function rungChangeCause(cause: string): string {
  if (cause.startsWith('promotion approved')) return 'approved';
  const environment = /^new (model|prompt|data source) /.exec(cause);
  if (environment) return `${environment[1].replace(' ', '-')}-change`;
  const kind = /\((defect|incident|rollback-failed|rollback-did-not-fire|bounds-missed|sla-breach)\)/.exec(
    cause,
  );
  return kind ? kind[1] : OTHER;
}

/**
 * Why a task class was capped for every agent (a class rollback trigger, `classRollbackFor` in
 * `policy/ledger-reducer.ts`): `audit-disagreement`, `defect-escape`, or `other`.
 */
export function classRollbackCause(cause: string): string {
  if (cause.startsWith('audit disagreement')) return 'audit-disagreement';
  if (cause.startsWith('defect escape')) return 'defect-escape';
  return OTHER;
}

/** The kinds of Slack request whose ack time is measured. */
export const SLACK_ACK_KINDS = ['command', 'block_actions', 'view_submission', 'event', 'other'] as const;
/** One of {@link SLACK_ACK_KINDS}: the `kind` label of `ladder_slack_ack_seconds`. */
export type SlackAckKind = (typeof SLACK_ACK_KINDS)[number];

/**
 * The kind of a parsed Slack request body: a slash command (form fields, no `type`), an
 * interaction (`block_actions`, `view_submission`), an Events API callback (`event`), or `other`
 * (`view_closed`, shortcuts, …).
 */
export function slackAckKind(body: Record<string, unknown>): SlackAckKind {
  if (body.type === undefined && 'command' in body) return 'command';
  if (body.type === 'block_actions' || body.type === 'view_submission') return body.type;
  if (body.type === 'event_callback') return 'event';
  return 'other';
}

/** What a Web API method name looks like (`chat.postMessage`, `conversations.list`). */
const SLACK_METHOD = /^[a-z][a-zA-Z]*(\.[a-zA-Z]+){1,3}$/;
/** What Slack's error codes look like (`ratelimited`, `channel_not_found`). */
const SLACK_ERROR = /^[a-z][a-z0-9_]{0,63}$/;

/** A Web API method name as a label; anything else (an absolute URL, a typo'd path) `other`. */
export function slackMethodLabel(method: string): string {
  return SLACK_METHOD.test(method) ? method : OTHER;
}

/** A Slack error code as a label (`channel_not_found`); anything else `other`. */
export function slackErrorLabel(error: string): string {
  return SLACK_ERROR.test(error) || /^http_\d{3}$/.test(error) ? error : OTHER;
}

/** An HTTP status as a label: the three digits, or `aborted` when no answer was sent. */
export function statusLabel(status: number | 'aborted'): string {
  return status === 'aborted'
    ? status
    : Number.isInteger(status) && status >= 100 && status <= 599
      ? String(status)
      : OTHER;
}
