import type { AnswerProof } from '../policy/answer-proof';
import type { TaskRequest } from '../policy/task';
import type { TaskResult } from '../workflows/messages';

// The record `ladder audit export` writes, one JSON line per task workflow run: version
// `ladder.audit/v1`. The decision and the outcome are copied field by field, so internal types can
// change without changing what auditors read; `task` is the request as submitted (its validated
// schema, policy/task.ts) and an answer's `args` are the update's own arguments, both as signed or
// approved. A change to a field's meaning gets a new version tag.

/** The version tag every record carries; a change to a field's meaning gets a new tag. */
export const AUDIT_SCHEMA = 'ladder.audit/v1';

/** How the workflow execution stands (not the task's outcome: a rejected task completes). */
export type AuditExecutionStatus =
  'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed-out' | 'continued-as-new';

/** The policy's decision, as the `decideTask` activity returned it to the workflow. */
export interface AuditDecision {
  /** When the decision was recorded in history (ISO-8601). */
  decidedAt: string;
  policyVersion: string;
  agentId: string;
  taskClass: string;
  earnedRung: number;
  requestedRung: number | null;
  /** The rung decided: the minimum of earned, cap, kill switch, pins, bounds and what was asked. */
  effectiveRung: number;
  /** Set when the task must not run at all (unknown agent, class or action). */
  refused: { rule: string; message: string } | null;
  /** Every rule that lowered the rung below the earned one, in order. */
  reasons: { rule: string; ceiling: number; message: string }[];
  bounds: { applied: boolean; violations: { bound: string; message: string }[] };
  approvers: string[];
  twoPersonRule: boolean;
  /** The name an approver had to type, or null when none was asked. */
  typedConfirmation: string | null;
}

/** The message the workflow posted for the question a person answered. */
export interface AuditShown {
  /** Notification kind: approval-request, suggestion, draft, report, outcome-unknown. */
  kind: string;
  /** When the workflow asked for it to be posted (ISO-8601). */
  postedAt: string;
  channel: string;
  /** A direct recipient, when there was one. */
  to: string | null;
  title: string;
  /** The message text exactly as the workflow composed it (steps, reasons, typed name…). */
  text: string;
  fields: Record<string, string>;
  /** The buttons offered. */
  actions: string[];
  /** Ref of the posted message (Slack channel and ts); '' when it went to the channel's feed; null while unknown. */
  messageRef: string | null;
}

/** One human answer that reached history (an update the workflow's validator accepted). */
export interface AuditAnswer {
  /** The update: approve, reject, resolveSuggestion, reviewDraft, markReportRead, resolveOutcome. */
  update: string;
  /** The answer in `ladder respond` words: approve, reject, done, dismissed, accept, decline, read, ran, run-again, undo. */
  answer: string;
  /** The verified person (Slack user id) the answer is from. */
  by: string;
  /** When the answer took effect, in workflow time (its receipt), else when it was accepted (ISO-8601). */
  at: string;
  /** When the server recorded the update as accepted (ISO-8601). */
  acceptedAt: string;
  /** accepted: it took effect; refused: the handler turned it down after validation; pending: no outcome yet. */
  result: 'accepted' | 'refused' | 'pending';
  /** Why it was refused after validation (e.g. its key was revoked meanwhile); null otherwise. */
  refusal: string | null;
  /** The update's arguments without the proof: what the signature covers besides the task and answer. */
  args: Record<string, unknown>;
  /** The signature and whether it checks out against the keys the task was decided with; null for a claimed identity. */
  proof:
    | (AnswerProof & {
        keyKind: 'frontend' | 'operator' | null;
        verified: boolean;
        problem: string | null;
      })
    | null;
  /** The Temporal client identity that sent the update (process@host). */
  sentBy: string | null;
  /** The question's message as posted; null when none was found in history. */
  shown: AuditShown | null;
}

/** The workflow's result (completed executions only), without the decision the record carries already. */
export type AuditOutcome = Omit<TaskResult, 'decision'>;

/** One line of `ladder audit export`. */
export interface AuditRecord {
  schema: typeof AUDIT_SCHEMA;
  workflowId: string;
  runId: string;
  taskQueue: string | null;
  status: AuditExecutionStatus;
  startedAt: string | null;
  closedAt: string | null;
  /** The task request as submitted, and the hash of its steps an approval is bound to. */
  task: TaskRequest | null;
  stepsHash: string | null;
  decision: AuditDecision | null;
  /** The rung the task runs (or ran) at, from its last `Rung` search attribute. */
  rung: number | null;
  answers: AuditAnswer[];
  /** A cancellation asked of the workflow: when, by which client, and why. */
  cancelRequested: { at: string; sentBy: string | null; cause: string | null } | null;
  outcome: AuditOutcome | null;
  /** Why the execution ended without a result: failed, terminated, timed out. */
  failure: { message: string; sentBy?: string | null } | null;
}
