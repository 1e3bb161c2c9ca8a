// Every signal, query and update of Ladder's workflows, in one module that the workflows, the
// CLI, the client and (later) Slack all import, so names and payloads cannot drift apart.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AnswerTrust, Proven } from '../policy/answer-proof';
import type { CanaryState } from '../policy/canary';
import type { Decision } from '../policy/decide';
import type { LedgerState, LedgerView, TaskOutcome } from '../policy/ledger';
import type { IdentifiedEvent } from '../policy/ledger-reducer';
import type { DailySeries } from '../policy/ledger-series';
import type { StandingClassRule } from '../policy/standing-approvals';
import type { DelegationRule } from '../policy/delegation';
import type { TaskRequest } from '../policy/task';
import type { StepEdit } from '../policy/step-edits';
import type { ApproverWatchRule } from '../policy/schema';

/** Input of the delegated-task workflow: the validated request and the hash of its exact steps. */
export interface DelegatedTaskInput {
  task: TaskRequest;
  /** SHA-256 (hex) of the canonical JSON of `task.steps`; an approval must carry it. */
  stepsHash: string;
  /** Base URL of the Temporal UI, for links in messages (the workflow cannot read config). */
  uiBaseUrl?: string;
}

export type { TaskOutcome };

export type TaskPhase =
  | 'deciding'
  | 'awaiting-human'
  | 'executing'
  | 'health-watch'
  | 'rolling-back'
  | 'outcome-unknown'
  | 'awaiting-report-read'
  | 'done';

/** What the `status` query answers. */
export interface TaskStatus {
  workflowId: string;
  phase: TaskPhase;
  rung: number | null;
  decision: Decision | null;
  /** Index of the step running or next to run. */
  currentStep: number;
  stepsTotal: number;
  /** Who the task waits for, e.g. `approvers: U1, U2` or `report reader`; null when not waiting. */
  waitingOn: string | null;
  outcome: TaskOutcome | null;
  approvedBy: string | null;
  /** Notes in order: fallbacks, rollbacks, escalations. */
  events: string[];
  /** Hash of the exact steps; an approval must carry it. */
  stepsHash: string;
  /** Answers refused by the validators, newest last (at most {@link MAX_REFUSALS_KEPT}). */
  refusals?: Refusal[];
  /** The question a person must answer while `phase` is `outcome-unknown`; absent otherwise. */
  outcomeUnknown?: OutcomeQuestion | null;
}

/**
 * The failure type of an autonomous step refused by the re-check right before it (a kill switch or
 * policy change since the decision); its details carry the rung allowed now, reasons and version.
 */
export const AUTONOMY_WITHDRAWN = 'AutonomyWithdrawn';
/**
 * Failure type of an action activity whose effect's outcome is unknown; its details carry
 * `{ marker, undoable }` (see `runEffectOnce`). Non-retryable: the workflow asks a person.
 */
export const OUTCOME_UNKNOWN_FAILURE = 'OutcomeUnknown';

/** What a person may answer about an effect whose outcome is unknown. */
export type OutcomeAnswer = 'ran' | 'run-again' | 'undo';

/**
 * An effect whose outcome is unknown: a worker died (or a connection broke) after it may have
 * reached its destination, and the action has no safe way to retry it. The task waits for a person.
 */
export interface OutcomeQuestion {
  /** Names this question; an answer must carry it, so it cannot land on a later question. */
  id: string;
  /** 0-based index of the step. */
  step: number;
  /** The step's action itself, or its compensation (undo). */
  stage: 'execute' | 'compensate';
  action: string;
  /** What is known: what was started, when, and why a retry is not safe. */
  detail: string;
  /** The answers this question takes (`undo` only for a step whose action declares an undo). */
  answers: OutcomeAnswer[];
  /** Workflow time the question was asked, ISO-8601. */
  since: string;
}

/** An answer a validator refused: who claimed to give it, what it was, why it was refused. */
export interface Refusal {
  at: string;
  answer: string;
  by: string;
  reason: string;
}
/** Refusals kept in a task's status: enough to see an attack or a confused approver, bounded. */
export const MAX_REFUSALS_KEPT = 20;

/** What the workflow returns. */
export interface TaskResult {
  outcome: TaskOutcome;
  rung: number;
  decision: Decision;
  approvedBy: string | null;
  /** Workflow time of the approval, ISO-8601. */
  approvedAt: string | null;
  executedSteps: number;
  reportRead: boolean | null;
  events: string[];
  error: string | null;
  /** Narrowing edits an approver made before approving, in order (absent: none): the agent reads them here. */
  edits?: StepEditRecord[];
}

/** One edit of the steps before approval: who made it, when, and what changed. */
export interface StepEditRecord {
  by: string;
  at: string;
  edits: StepEdit[];
  /** The steps hash after this edit: what the next approval binds to. */
  stepsHash: string;
}

/** An approver narrows the steps before approving (policy `edits` of the class), from the version `stepsHash` shows. */
export interface EditStepsArgs extends Proven {
  approver: string;
  stepsHash: string;
  steps: TaskRequest['steps'];
}

export interface ApproveArgs extends Proven {
  /** Verified Slack user id of the approver; never taken from button text. */
  approver: string;
  /** Must equal the task's steps hash: an approval of another version is refused. */
  stepsHash: string;
  /** The resource name, when the policy asks for typed confirmation. */
  typedConfirmation?: string;
}
export interface RejectArgs extends Proven {
  approver: string;
  reason: string;
}
export interface ResolveSuggestionArgs extends Proven {
  by: string;
  resolution: 'done' | 'dismissed';
}
export interface ReviewDraftArgs extends Proven {
  by: string;
  accept: boolean;
  reason?: string;
}
export interface ReportReadArgs extends Proven {
  by: string;
}
export interface ResolveOutcomeArgs extends Proven {
  /** Verified identity: the agent's owner or an approver of the class. */
  by: string;
  /** The {@link OutcomeQuestion.id} the person answers. */
  question: string;
  answer: OutcomeAnswer;
}
/** What a successful human decision returns to the caller. */
export interface Receipt {
  accepted: true;
  by: string;
  at: string;
}

/** Rung 2: approve the exact steps (validated: authorised approver, two-person rule, typed confirmation, hash). */
export const approveUpdate = defineUpdate<Receipt, [ApproveArgs]>('approve');
/** Rung 2: reject with a reason (validated: authorised approver). */
export const rejectUpdate = defineUpdate<Receipt, [RejectArgs]>('reject');
/**
 * Rung 2: narrow the steps before approving; the edited steps are validated and asked about again,
 * bound to their new hash. Validated: an approver, the version shown, only narrowing edits.
 */
export const editStepsUpdate = defineUpdate<Receipt, [EditStepsArgs]>('editSteps');
/** Rung 0: mark a suggestion done or dismissed. */
export const resolveSuggestionUpdate = defineUpdate<Receipt, [ResolveSuggestionArgs]>('resolveSuggestion');
/** Rung 1: accept (then the draft is applied) or reject the draft. */
export const reviewDraftUpdate = defineUpdate<Receipt, [ReviewDraftArgs]>('reviewDraft');
/** Rung 5: acknowledge the report. */
export const markReportReadUpdate = defineUpdate<Receipt, [ReportReadArgs]>('markReportRead');
/**
 * After an unknown outcome: the effect ran (record it, do not repeat it), run it again, or undo it.
 * Validated: the agent's owner or an approver, the question being asked, an answer it takes.
 */
export const resolveOutcomeUpdate = defineUpdate<Receipt, [ResolveOutcomeArgs]>('resolveOutcome');
/**
 * The agent withdraws its own task (the agent API's and MCP's cancel). Accepted only while the
 * task is deciding or its question waits unanswered, checked in the workflow, so an approval that
 * lands first wins and the steps it approved are never cut short by the agent; refused otherwise.
 * It ends the task as a cancellation does (`cancelled`). Only people stop a task once its steps
 * start (`ladder cancel`, the Temporal UI).
 */
export const withdrawUpdate = defineUpdate<WithdrawReceipt, [WithdrawArgs]>('withdraw');
/** A withdrawal carries nothing: who withdraws is the task's agent, whose frontend sends it. */
export type WithdrawArgs = Record<string, never>;
/** What a withdrawal returns: when it was accepted. */
export interface WithdrawReceipt {
  accepted: true;
  at: string;
}
export const statusQuery = defineQuery<TaskStatus>('status');
/** The task as submitted (validated): what a standing approval made from its message would cover. */
export const taskRequestQuery = defineQuery<TaskRequest>('taskRequest');
/** The task as it was submitted, before any approver narrowed its steps: what a retry must match. */
export const submittedRequestQuery = defineQuery<TaskRequest>('submittedRequest');
/**
 * Answers once the task has decided its rung (or ended), with its status: sent with the start
 * (update-with-start), it gives the submitter the decision in one round trip instead of a poll.
 */
export const awaitDecisionUpdate = defineUpdate<TaskStatus, []>('awaitDecision');

// ---- the per-agent daily quota ledger ----

/** A task asks for one autonomous execution today. */
export interface QuotaRequest {
  requesterWorkflowId: string;
  costUsd: number;
  limits: { count: number; costUsd: number };
}
export interface QuotaReply {
  granted: boolean;
  /** Usage after this request was considered. */
  countUsed: number;
  costUsedUsd: number;
  reason: string | null;
}
export interface QuotaUsage {
  countUsed: number;
  costUsedUsd: number;
}
/**
 * Reserves for a batch of tasks, answered in order (one reply per request; a repeated request
 * gets its first answer). A worker sends at most one batch at a time per ledger, so a burst of
 * any size stays far below the server's limit of in-flight updates per workflow.
 */
export const reserveQuotaUpdate = defineUpdate<QuotaReply[], [QuotaRequest[]]>('reserveQuota');
export const quotaUsageQuery = defineQuery<QuotaUsage>('usage');

/** Workflow IDs: prefix + business key. */
export const taskWorkflowId = (agentId: string, taskId: string): string => `task/${agentId}/${taskId}`;
/**
 * One quota ledger per deployment (task queue) × agent × task class × UTC day. The task queue is
 * part of the key because the ledger runs on it: deployments sharing a namespace keep separate books.
 */
export const quotaWorkflowId = (taskQueue: string, agentId: string, taskClass: string, day: string): string =>
  `quota/${taskQueue}/${agentId}/${taskClass}/${day}`;

// ---- report digests (rung 5 with report mode `digest`) ----

/** One executed task in an agent's digest. */
export interface DigestItem {
  workflowId: string;
  taskClass: string;
  title: string;
  summary: string;
}
/** Input of `reportDigest`: where and when to post, and the read SLA of the class. */
export interface DigestInput {
  agentId: string;
  /** End of the digest period (ISO-8601); the digest is posted then. */
  periodEnd: string;
  channel: string;
  owner: string | null;
  escalation: { afterMs: number; notify: string }[];
  readSlaMs: number;
  uiBaseUrl?: string;
  /** Keys the read answer is verified with (the starting task's, from its decision). */
  answerTrust: AnswerTrust;
  /** Who may mark the digest read. */
  readers: string[];
}
export interface DigestResult {
  /** The first {@link DIGEST_ITEMS_LISTED} tasks, as listed in the message. */
  items: DigestItem[];
  /** Every task the digest counted, listed or not. */
  total: number;
  read: boolean;
  readBy: string | null;
}
/** Tasks a digest lists by name; beyond them it counts (the message and the workflow stay small). */
export const DIGEST_ITEMS_LISTED = 100;
export const addDigestItemSignal = defineSignal<[DigestItem]>('addDigestItem');
export const digestWorkflowId = (taskQueue: string, agentId: string, periodStart: string): string =>
  `digest/${taskQueue}/${agentId}/${periodStart}`;

// ---- the run-time kill switch (`ladder freeze`, later `/ladder freeze`) ----

/** One engaged freeze: every agent (`agentId` absent) or one agent capped at `cap`. */
export interface Freeze {
  agentId?: string;
  cap: number;
  by: string;
  reason: string;
}
export interface KillSwitchState {
  /** The freeze on every agent, if engaged. */
  all: (Freeze & { at: string }) | null;
  /** Freezes on single agents, by agent id. */
  agents: Record<string, Freeze & { at: string }>;
  /**
   * Task classes whose scope was reduced for every agent (a class rollback trigger fired), by
   * class.
   */
  classes: Record<string, ClassCap & { at: string }>;
}
/** A cap on every agent in one task class, and why. */
export interface ClassCap {
  taskClass: string;
  cap: number;
  by: string;
  reason: string;
}
/** A class rollback trigger (sent by the worker's ledger judge, not by a person). */
export const capClassSignal = defineSignal<[ClassCap]>('capClass');
/** Whether an unproven `capClass` signal is a class cap: a policy-style class name and a rung 0-5. */
export function isClassCap(cap: unknown): cap is ClassCap {
  const c = cap as Partial<ClassCap> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.taskClass === 'string' &&
    /^[a-z0-9][a-z0-9._-]*$/.test(c.taskClass) &&
    Number.isInteger(c.cap) &&
    c.cap! >= 0 &&
    c.cap! <= 5 &&
    typeof c.by === 'string' &&
    typeof c.reason === 'string'
  );
}

export interface UncapClassArgs extends Proven {
  taskClass: string;
  by: string;
}
export interface FreezeArgs extends Freeze, Proven {}
export interface UnfreezeArgs extends Proven {
  agentId?: string;
  by: string;
}
/** Admins only, with proof of who they are; refused before history otherwise. */
export const freezeUpdate = defineUpdate<Receipt, [FreezeArgs]>('freeze');
export const unfreezeUpdate = defineUpdate<Receipt, [UnfreezeArgs]>('unfreeze');
export const uncapClassUpdate = defineUpdate<Receipt, [UncapClassArgs]>('uncapClass');
/**
 * Asks the kill switch to reload its admins and keys from the worker's last good policy. Carries
 * nothing: whoever sends it can only make the workflow read what the worker already trusts.
 */
export const refreshAuthoritySignal = defineSignal('refreshAuthority');
export const killSwitchQuery = defineQuery<KillSwitchState>('killSwitch');
/**
 * The memo key under which the kill switch keeps its {@link KillSwitchState}: what every task's
 * decision and step check read (a describe, answered by the server without a query to a worker).
 */
export const KILL_SWITCH_MEMO = 'killSwitch';

/**
 * Who may answer an entity workflow (kill switch, trust ledger), read by an activity from the
 * worker's last good policy: its admins, agents, task classes and answer keys.
 */
export interface ControlAuthority {
  policyVersion: string;
  admins: string[];
  agents: string[];
  taskClasses: string[];
  /** Approvers per task class (groups expanded): they may report defects and incidents there. */
  approversByClass: Record<string, string[]>;
  /** Owner per agent: owners may report defects and incidents of their agent. */
  owners: Record<string, string>;
  answerTrust: AnswerTrust;
  /** Classes that allow standing approvals, with their limits (absent in authority carried from before). */
  standingByClass?: Record<string, StandingClassRule>;
  /** Who may stand in for whom while away (absent: the policy declares no delegation, or authority from before). */
  delegation?: DelegationRule;
  /** The rubber-stamp watch's thresholds (absent: nobody is watched, or authority from before). */
  approverWatch?: ApproverWatchRule;
  /** Owners per task class that declares them (the admins own the others). */
  classOwners?: Record<string, string[]>;
}
/** One kill switch per deployment (task queue). */
export const killSwitchWorkflowId = (taskQueue: string): string => `control/${taskQueue}/kill-switch`;

/** The scope reduction on a task class, or undefined when none applies. */
export function classCapFor(state: KillSwitchState, taskClass: string): number | undefined {
  return state.classes[taskClass]?.cap;
}

/** The cap a kill switch state puts on one agent, or undefined when none applies. */
export function killSwitchCapFor(state: KillSwitchState, agentId: string): number | undefined {
  const caps = [state.all?.cap, state.agents[agentId]?.cap].filter((c): c is number => c !== undefined);
  return caps.length > 0 ? Math.min(...caps) : undefined;
}

// ---- the trust ledger (one entity workflow per agent) ----

/** Input of `trustLedger`; `state` and `pending` (at most a few batches) carry over a continue-as-new. */
export interface LedgerInput {
  agentId: string;
  uiBaseUrl?: string;
  state?: LedgerState;
  pending?: IdentifiedEvent[];
  /** Carried over a continue-as-new: who may answer and with which keys. */
  authority?: ControlAuthority;
  /** Carried with `authority`: when it was loaded (workflow time, epoch ms). */
  authorityLoadedAtMs?: number;
  /**
   * How often the authority is reloaded from the worker's policy, in ms (default 10 minutes),
   * however busy the ledger is; tests shorten it.
   */
  authorityRefreshMs?: number;
  /** Carried over a continue-as-new: the bounded daily series for the dashboard. */
  series?: DailySeries;
}
export interface DecideProposalArgs extends Proven {
  proposalId: string;
  /** Verified identity of the person deciding; must be one of the proposal's approvers. */
  by: string;
  approve: boolean;
}
/**
 * Machine evidence for an agent's ledger (outcomes, versions, drills), sent by the worker's
 * activities, batched per agent (one signal in flight per agent per worker); each event's `id`
 * makes a retried signal count once. People's evidence comes as updates.
 */
export const ledgerEventsSignal = defineSignal<[IdentifiedEvent[]]>('ledgerEvents');
/** A person's evidence: a defect found after the fact, or an incident. */
export interface HumanEvidenceArgs extends Proven {
  /** Makes a retried answer count once, e.g. `defect/<workflowId>`. */
  id: string;
  kind: 'defect' | 'incident';
  taskClass: string;
  /** Verified identity of the reporter: the agent's owner, an approver of the class, or an admin. */
  by: string;
  text: string;
  /** For defects: the task the defect was found in. */
  workflowId?: string;
}
export const reportEvidenceUpdate = defineUpdate<Receipt, [HumanEvidenceArgs]>('reportEvidence');
/** Approve (one rung up) or decline a promotion proposal. */
export const decideProposalUpdate = defineUpdate<Receipt, [DecideProposalArgs]>('decideProposal');
export const ledgerQuery = defineQuery<LedgerState>('ledger');
/** The compact view a task's decision reads (bounded by the number of task classes). */
export const ledgerViewQuery = defineQuery<LedgerView>('ledgerView');
/** The memo key under which a trust ledger keeps its {@link LedgerView}, read by every task's decision. */
export const LEDGER_VIEW_MEMO = 'ledgerView';
/**
 * The ledger for pages that show many agents at once (the dashboard): the whole state without the
 * ids of recently counted events (up to `SEEN_MAX` of them, policy/ledger.ts), so its size does not grow with a
 * burst of evidence.
 */
export const ledgerOverviewQuery = defineQuery<LedgerState>('ledgerOverview');
/** Each class's evidence per day over the last `SERIES_DAYS` days (policy/ledger-series.ts). */
export const ledgerSeriesQuery = defineQuery<DailySeries>('ledgerSeries');
/** One ledger per deployment (task queue) × agent. */
export const ledgerWorkflowId = (taskQueue: string, agentId: string): string =>
  `ledger/${taskQueue}/${agentId}`;
/** The agent of a ledger workflow id (the inverse of {@link ledgerWorkflowId}), or undefined. */
export const agentOfLedgerId = (workflowId: string): string | undefined =>
  /^ledger\/[^/]+\/(.+)$/.exec(workflowId)?.[1];
export interface AuditVerdictArgs extends Proven {
  auditId: string;
  /** Verified identity of the reviewer; must be one of the audit's reviewers. */
  by: string;
  agree: boolean;
  /** Required when disagreeing: what was wrong. */
  reason?: string;
}
/** A reviewer's verdict on a sampled autonomous outcome (post-hoc audit). */
export const auditVerdictUpdate = defineUpdate<Receipt, [AuditVerdictArgs]>('auditVerdict');

// ---- rollback drills ----

export interface DrillInput {
  agentId: string;
  taskClass: string;
  /** Verified identity of whoever asked for the drill. */
  by: string;
}
/** One drill per run: `drill/<queue>/<agent>/<class>/<id>`. */
export const drillWorkflowId = (taskQueue: string, agentId: string, taskClass: string, id: string): string =>
  `drill/${taskQueue}/${agentId}/${taskClass}/${id}`;

// ---- canary rollout of a new policy version ----

/** Input of `policyCanary`. */
export interface CanaryInput {
  nextVersionId: string;
  currentVersionId: string;
  agents: string[];
  windowMs: number;
}
/** A rollback trigger fired for a canary agent during the window: the canary is reverted. */
export const canaryTriggerSignal = defineSignal<[{ agentId: string; cause: string }]>('canaryTrigger');
export const canaryQuery = defineQuery<CanaryState>('canary');
/** One canary per deployment and next policy version. */
export const canaryWorkflowId = (taskQueue: string, nextVersionId: string): string =>
  `canary/${taskQueue}/${nextVersionId}`;
