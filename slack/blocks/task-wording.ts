/**
 * What rungs 0–2 ask people, and how the answer reads once given (workflows/rungs/rung-0-suggest.ts,
 * rung-1-draft.ts, rung-2-confirm.ts). The workflows pass the facts (steps, who, when, why) and post
 * what these functions return; `at` is always an ISO time from workflow time.
 *
 * Pure, and free of run-time imports (types only): workflows import this module into the deterministic
 * workflow sandbox.
 * Texts are plain; `taskMessageBlocks` escapes them for Slack.
 */
import type { StandingUse } from '../../policy/standing-approvals';

/** Who answered and when (ISO). */
export interface Answered {
  by: string;
  at: string;
  /** The approver who is away, when `by` answered as their stand-in. */
  onBehalfOf?: string;
}

/** `U2 (standing in for U1)`, or `U2`. Pure. */
function answeredBy(a: Answered): string {
  return a.onBehalfOf ? `${a.by} (standing in for ${a.onBehalfOf})` : a.by;
}

/** Rung 0: the suggestion, one numbered line per step description. Pure. */
export function suggestionText(stepDescriptions: readonly string[]): string {
  return [
    'Suggested (Ladder will not run this; do it yourself if you agree):',
    ...stepDescriptions.map((description, i) => `${i + 1}. ${description}`),
  ].join('\n');
}

/** Rung 0: the suggestion's message once it expired unanswered. */
export const SUGGESTION_EXPIRED_TEXT = 'Expired: nobody marked the suggestion done or dismissed.';

/** Rung 0: the suggestion's message once someone marked it done or dismissed it. Pure. */
export function suggestionResolvedText(a: Answered & { resolution: 'done' | 'dismissed' }): string {
  return `${a.resolution === 'done' ? 'Done' : 'Dismissed'} by ${a.by} at ${a.at}.`;
}

/** Rung 1: one step's draft: the kind of artifact and its text. */
export interface DraftFacts {
  kind: string;
  text: string;
}

/** Rung 1: the draft for review, one section per step. Pure. */
export function draftText(drafts: readonly DraftFacts[]): string {
  return [
    'Draft for review (nothing applied yet):',
    ...drafts.map((d, i) => `--- step ${i + 1} (${d.kind}) ---\n${d.text}`),
  ].join('\n');
}

/** Rung 1: the draft's message once it expired unreviewed. */
export const DRAFT_EXPIRED_TEXT = 'Expired: the draft was not reviewed in time.';

/** Rung 1: the draft's message once a reviewer rejected it, with the reason when given. Pure. */
export function draftRejectedText(a: Answered & { reason?: string }): string {
  return `Draft rejected by ${a.by} at ${a.at}${a.reason ? `: ${a.reason}` : ''}.`;
}

/** Rung 1: the draft's message once a reviewer accepted it (the steps run next). Pure. */
export function draftAcceptedText(a: Answered): string {
  return `Draft accepted by ${a.by} at ${a.at}; applying.`;
}

/** Rung 2: what an approval request shows. */
export interface ApprovalRequestFacts {
  /** Why a higher rung fell back to asking; absent for a task decided at rung 2. */
  fallbackReason?: string;
  /** Each step as the action describes it, with its blast radius. */
  steps: readonly { description: string; blastRadius: string }[];
  /** Why the policy asks a person: each rule that decided, and its message. */
  reasons: readonly { rule: string; message: string }[];
  /** The name the approver must type, or null when the policy asks for none. */
  typedName: string | null;
}

/**
 * Rung 2: the approval request: why it asks (or why it fell back), every step with its blast
 * radius, the policy's reasons, and last the name to type when one is required. Pure.
 */
export function approvalRequestText(r: ApprovalRequestFacts): string {
  return [
    r.fallbackReason
      ? `Falls back to confirmation: ${r.fallbackReason}`
      : 'Needs your approval before it runs:',
    ...r.steps.map((s, i) => `${i + 1}. ${s.description} (blast radius: ${s.blastRadius})`),
    ...(r.reasons.length
      ? ['Why confirmation:', ...r.reasons.map((reason) => `• [${reason.rule}] ${reason.message}`)]
      : []),
    r.typedName !== null ? `Type "${r.typedName}" to approve.` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Rung 2: the reminder to the class channel while a request waits. Pure. */
export function approvalReminderText(title: string): string {
  return `Still waiting for approval: ${title}`;
}

/**
 * A reminder, escalation or expiry warning once its question closed: `expects` is what was asked
 * (`approval`, `draft`, `suggestion`...), `how` whether it was answered, expired, or withdrawn by
 * the agent.
 * The request message itself says who answered and how it ended. Pure.
 */
export function nudgeClosedText(expects: string, how: 'answered' | 'expired' | 'withdrawn'): string {
  const what = expects === 'approval' ? 'This request' : `This ${expects} request`;
  if (how === 'answered') return `${what} was answered: the request message says by whom and how it ended.`;
  if (how === 'withdrawn')
    return `${what} is closed: the agent withdrew the task before anyone answered. Nothing ran.`;
  return `${what} is closed: nobody answered in time. The request message says what happened next.`;
}

/** Rung 2: the escalation to the next contact of the policy's chain while a request waits. Pure. */
export function approvalEscalationText(title: string): string {
  return `Escalated: still waiting for approval: ${title}`;
}

/**
 * Rung 2: the request's message once it expired; `expireAfterMs` is the policy's wait, in ms, and
 * `escalatedTo` the approver groups it went to in turn before (none unless `onExpiry: escalate`). Pure.
 */
export function approvalExpiredText(expireAfterMs: number, escalatedTo: readonly string[] = []): string {
  const wait = `${Math.round(expireAfterMs / 1000)} s`;
  return escalatedTo.length === 0
    ? `Expired: nobody approved within the policy's ${wait}.`
    : `Expired: nobody approved within the policy's ${wait}, nor in turn ${escalatedTo.join(', then ')} (${wait} each); rejected, nothing ran.`;
}

/**
 * Rung 2: the warning to the approvers that a request expires in `warnBeforeMs` (the message's
 * facts say when, and what happens then). Pure.
 */
export function approvalExpiryWarningText(title: string, warnBeforeMs: number): string {
  return `Expires in ${humanDuration(warnBeforeMs)}: still waiting for approval: ${title}`;
}

/** Rung 2: what the unanswered request's message says once it went on to the next approver `group`. Pure. */
export function approvalPassedOnText(group: string): string {
  return `Not answered in time: the request went on to ${group} (below), as the policy says; the approvers before may still answer there.`;
}

/** Rung 2: the request as the next approver `group` gets it, above what it asks. Pure. */
export function approvalEscalatedRequestText(group: string, requestText: string): string {
  return `Escalated to ${group}: nobody answered in time.\n${requestText}`;
}

/** A duration in ms as people say it: `90 s`, `10 min`, `2 h`. Pure. */
export function humanDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round((ms / 3_600_000) * 10) / 10} h`;
}

/** Rung 2: the request's message once an approver rejected it, with the reason. Pure. */
export function approvalRejectedText(a: Answered & { reason: string }): string {
  return `Rejected by ${answeredBy(a)} at ${a.at}: ${a.reason}`;
}

/**
 * Rung 2: the message of a task a standing approval let through instead of asking: which one, who
 * granted it, which use of how many, and until when. Pure.
 */
export function standingApprovedText(s: StandingUse): string {
  return `Approved in advance by standing approval ${s.id} (granted by ${s.grantedBy} at ${s.grantedAt}; use ${s.use} of ${s.maxUses}, in force until ${s.expiresAt}); executing.`;
}

/**
 * Rung 2: the request's message once an approver narrowed the steps (`changes` in words); the
 * edited steps are asked about again in a new message. Pure.
 */
export function stepsEditedText(e: { by: string; at: string; changes: string }): string {
  return `Edited by ${e.by} at ${e.at} before approval: ${e.changes}. The edited steps are asked about again below.`;
}

/** Rung 2: an edit whose steps the policy in force no longer lets run at rung 2 or above. Pure. */
export function editRefusedByPolicyText(e: { by: string; why: string }): string {
  return `Not run: the steps as edited by ${e.by} are decided again and ${e.why}.`;
}

/** Rung 2: the request's message once an approver approved it (the steps run next). Pure. */
export function approvedText(a: Answered): string {
  return `Approved by ${answeredBy(a)} at ${a.at}; executing.`;
}
