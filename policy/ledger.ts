import type { Rung } from './schema';
import { stableFingerprint, stableShare } from './stable-hash';
import type { ClassEvidence, Criterion } from './trust-rules';

// The trust ledger's state and the pure bookkeeping on it: counting evidence, moving rungs,
// keeping proposals. No I/O and no clock (time comes in as milliseconds), so the ledger workflow
// and the calibration simulation run exactly the same code.

/** How a task ended: the one definition the workflow, Slack, the CLI and the API share. */
export type TaskOutcome =
  | 'refused'
  | 'suggestion-done'
  | 'suggestion-dismissed'
  | 'draft-rejected'
  | 'executed'
  | 'rejected'
  | 'expired'
  | 'failed'
  | 'rolled-back'
  | 'rollback-failed'
  | 'cancelled';

/**
 * What happened to a task, as the task workflow reports it to the ledger (one event per thing):
 * how it ended, and the moments on the way (approved, fell back, report read or unread).
 */
export type OutcomeKind =
  | TaskOutcome
  | 'draft-accepted'
  | 'approved'
  /** Let through by a standing approval: no person was asked, so no approval-rate counter moves. */
  | 'pre-approved'
  /**
   * Approved (or a draft accepted, a suggestion done) by a person the rubber-stamp watch has under
   * review: a sample at the rung, never a human approval in the rates promotion reads.
   */
  | 'approved-unweighted'
  | 'fell-back'
  | 'report-read'
  | 'sla-breach';

/** Evidence that reaches an agent's ledger. */
export type LedgerEvent =
  | { kind: 'outcome'; outcome: OutcomeKind; workflowId: string; taskClass: string; rung: number }
  | { kind: 'defect'; workflowId: string; taskClass: string; by: string; text: string }
  | { kind: 'incident'; taskClass: string; by: string; text: string }
  | { kind: 'version'; model: string; promptVersion: string }
  | { kind: 'audit'; workflowId: string; taskClass: string; by: string; agree: boolean; reason?: string }
  | { kind: 'drill'; taskClass: string; by: string; passed: boolean; detail: string };

/** One agent in one task class. */
export interface ClassLedger {
  rung: Rung;
  /** Counts since the agent reached `rung` (reset on every rung change). */
  evidence: ClassEvidence;
  /** Counts over the agent's whole life in the class, for `ladder history`. */
  lifetime: Omit<ClassEvidence, 'sinceMs'>;
  /** The latest rollback drill: rung 4 needs one passed. */
  drill?: { at: string; passed: boolean; by: string; detail: string };
}

/** A rung change and what caused it. */
export interface RungChange {
  at: string;
  taskClass: string;
  from: Rung;
  to: Rung;
  cause: string;
  /** Who approved a promotion or declared an incident; null for automatic changes. */
  by: string | null;
  /** The counts the change was based on, in words. */
  evidence: string;
}

export interface Proposal {
  id: string;
  taskClass: string;
  from: Rung;
  to: Rung;
  at: string;
  criteria: Criterion[];
  /** Who may approve it (admins and the class's approvers). */
  approvers: string[];
  status: 'open' | 'approved' | 'declined' | 'superseded';
  decidedBy: string | null;
  /** The Slack message that asks, so it can be closed in place. */
  messageRef: string | null;
}

/** An autonomous outcome sampled for post-hoc review (the policy's audit sample rate). */
export interface Audit {
  id: string;
  workflowId: string;
  taskClass: string;
  rung: number;
  at: string;
  /** Who may give the verdict: admins and the class's approvers. */
  reviewers: string[];
  /** `expired`: nobody reviewed it within the policy's `audit.expireAfter`. */
  status: 'open' | 'agreed' | 'disagreed' | 'expired';
  /** When it closes unanswered (ISO); absent in audits opened before audits expired. */
  expiresAt?: string;
  by: string | null;
  reason: string | null;
  messageRef: string | null;
}

export interface LedgerState {
  agentId: string;
  model: string | null;
  promptVersion: string | null;
  classes: Record<string, ClassLedger>;
  /** Newest last; trimmed to the last {@link HISTORY_KEPT}. */
  history: RungChange[];
  proposals: Proposal[];
  /**
   * Events already counted, `[fingerprint of the id, when last seen in ms]`, oldest first, so a
   * retried signal counts once: kept for {@link SEEN_WINDOW_MS} after it was last sent (an activity
   * that keeps retrying, behind a Slack outage say, keeps its id), and at most {@link SEEN_MAX}. Fingerprints, not ids, so the set
   * costs about 32 bytes an event however long ids are (it is carried over continue-as-new).
   */
  seen: [idFingerprint: number, atMs: number][];
  nextProposal: number;
  /** Open audits and the most recent decided ones (absent in ledgers started before audits). */
  audits?: Audit[];
  nextAudit?: number;
}

/**
 * What a task's decision reads from an agent's ledger: the earned rung per class and the model and
 * prompt version the rungs were earned with. Its size depends on the number of task classes only,
 * never on how many tasks the agent ran (the whole {@link LedgerState} is for people and the CLI).
 */
export interface LedgerView {
  agentId: string;
  model: string | null;
  promptVersion: string | null;
  /** Rung changes kept so far; tasks that saw the same view name a version change alike. */
  changes: number;
  rungs: Record<string, Rung>;
}

/** The {@link LedgerView} of a ledger state. */
export function ledgerViewOf(state: LedgerState): LedgerView {
  return {
    agentId: state.agentId,
    model: state.model,
    promptVersion: state.promptVersion,
    changes: state.history.length,
    rungs: Object.fromEntries(Object.entries(state.classes).map(([c, l]) => [c, l.rung])),
  };
}

export const HISTORY_KEPT = 200;
/** Decided (or expired) audits kept for `ladder history`; open ones are bounded by the policy. */
export const DECIDED_AUDITS_KEPT = 20;

/** When the earliest open audit expires, in ms since the epoch, or undefined with none open. */
export function nextAuditExpiryMs(state: LedgerState): number | undefined {
  let next: number | undefined;
  for (const a of state.audits ?? []) {
    if (a.status !== 'open' || !a.expiresAt) continue;
    const at = Date.parse(a.expiresAt);
    if (next === undefined || at < next) next = at;
  }
  return next;
}
/**
 * How long a counted event's id is kept after it was last sent, in ms. Evidence is sent by
 * activities whose attempts time out after 30 s and retry within 30 s, so the next retry of a
 * signal that landed arrives within a minute, however long the retries go on; a quarter of an hour
 * leaves room for a worker restart in between.
 */
export const SEEN_WINDOW_MS = 15 * 60_000;
/** The most ids kept whatever the window holds: a burst of ~20 events a second for the whole window. */
export const SEEN_MAX = 20_000;

/** Evidence of a class with nothing counted yet, counting from `sinceMs`. */
export function emptyEvidence(sinceMs: number): ClassEvidence {
  return { sinceMs, ...ZERO };
}

const ZERO: Omit<ClassEvidence, 'sinceMs'> = {
  decided: 0,
  approved: 0,
  edited: 0,
  actions: 0,
  interventions: 0,
  executed: 0,
  defects: 0,
  auditSampled: 0,
  auditDisagreed: 0,
  approvalsAsked: 0,
};

export function newLedger(agentId: string): LedgerState {
  return {
    agentId,
    model: null,
    promptVersion: null,
    classes: {},
    history: [],
    proposals: [],
    seen: [],
    nextProposal: 1,
    audits: [],
    nextAudit: 1,
  };
}

/**
 * Whether an outcome falls in the audit sample: a stable hash of the workflow id (FNV-1a), so the
 * same task is always in or out and the choice needs no randomness in workflow code.
 */
export function inAuditSample(workflowId: string, sampleRate: number): boolean {
  return sampleRate > 0 && stableShare(workflowId) < sampleRate;
}

/** The class's ledger, created at the policy's declared rung the first time the agent meets it. */
export function classOf(
  state: LedgerState,
  taskClass: string,
  declaredRung: Rung,
  nowMs: number,
): ClassLedger {
  let c = state.classes[taskClass];
  if (!c) {
    c = { rung: declaredRung, evidence: { sinceMs: nowMs, ...ZERO }, lifetime: { ...ZERO } };
    state.classes[taskClass] = c;
  }
  return c;
}

/**
 * The events `state` counted lately, for one batch of signals: `counted(id)` says whether `id`
 * was counted already and marks it seen at `nowMs` (a repeat moves its time on, so retries that
 * go on past the window still count once); ids not seen for {@link SEEN_WINDOW_MS} (and past
 * {@link SEEN_MAX}) are dropped as the batch begins. One set per batch, so a burst costs a lookup
 * per new event; only a repeat scans.
 */
export function recentlyCounted(state: LedgerState, nowMs: number): { counted(id: string): boolean } {
  const keepFrom = state.seen.findIndex(([, at]) => at >= nowMs - SEEN_WINDOW_MS);
  state.seen.splice(0, keepFrom === -1 ? state.seen.length : keepFrom);
  const ids = new Set(state.seen.map(([fingerprint]) => fingerprint));
  return {
    counted(id) {
      const fingerprint = stableFingerprint(id);
      if (ids.has(fingerprint)) {
        const at = state.seen.findIndex(([f]) => f === fingerprint);
        if (at !== -1) state.seen.splice(at, 1);
        state.seen.push([fingerprint, nowMs]);
        return true;
      }
      ids.add(fingerprint);
      state.seen.push([fingerprint, nowMs]);
      if (state.seen.length > SEEN_MAX) ids.delete(state.seen.shift()![0]);
      return false;
    },
  };
}

/** A counter of a class's evidence. */
export type Counter = keyof Omit<ClassEvidence, 'sinceMs'>;

/** Which counters one outcome moves (DESIGN.md §2's metrics). */
export function countersFor(outcome: OutcomeKind, rung: number): Counter[] {
  switch (outcome) {
    case 'suggestion-done':
    case 'draft-accepted':
    case 'approved':
      // A person's time is spent at every one of these, a suggestion too (they do the work
      // themselves): the friction a promotion would remove.
      return ['decided', 'approved', 'actions', 'approvalsAsked'];
    case 'suggestion-dismissed':
    case 'draft-rejected':
    case 'rejected':
      return ['decided', 'actions', 'interventions', 'approvalsAsked'];
    case 'approved-unweighted':
      // The task was still done at this rung (a sample) and a person was still asked (friction),
      // but their approval says nothing of its quality: no approval-rate counter moves.
      return ['actions', 'approvalsAsked'];
    case 'cancelled':
      return ['interventions'];
    case 'executed':
      // An executed rung-2 task was counted when approved; autonomous ones are samples here.
      return rung >= 3 ? ['executed', 'actions'] : ['executed'];
    case 'failed':
    case 'rolled-back':
    case 'rollback-failed':
      return rung >= 3 ? ['actions'] : [];
    default:
      return [];
  }
}

/** Adds one to each counter of the class (current window and lifetime). */
export function count(c: ClassLedger, counters: Counter[]): void {
  for (const k of counters) {
    c.evidence[k]++;
    c.lifetime[k]++;
  }
}

/** Evidence in words, for history entries and messages. */
export function describeEvidence(e: ClassEvidence): string {
  return `${e.actions} samples, ${e.approved}/${e.decided} approved, ${e.interventions} interventions, ${e.defects}/${e.executed} defects, ${e.auditDisagreed}/${e.auditSampled} audit disagreements`;
}

/**
 * Moves the class to `to` (up or down), starts a fresh evidence window, closes open proposals for
 * the class (they were about the old rung) and records why.
 */
export function changeRung(
  state: LedgerState,
  taskClass: string,
  to: Rung,
  change: { cause: string; by: string | null; nowMs: number; nowIso: string },
): RungChange | null {
  const c = state.classes[taskClass];
  if (!c || c.rung === to) return null;
  const entry: RungChange = {
    at: change.nowIso,
    taskClass,
    from: c.rung,
    to,
    cause: change.cause,
    by: change.by,
    evidence: describeEvidence(c.evidence),
  };
  c.rung = to;
  c.evidence = { sinceMs: change.nowMs, ...ZERO };
  for (const p of state.proposals)
    if (p.taskClass === taskClass && p.status === 'open') p.status = 'superseded';
  state.history.push(entry);
  if (state.history.length > HISTORY_KEPT) state.history.splice(0, state.history.length - HISTORY_KEPT);
  return entry;
}

/** The open proposal for a class, if any. */
export function openProposal(state: LedgerState, taskClass: string): Proposal | undefined {
  return state.proposals.find((p) => p.taskClass === taskClass && p.status === 'open');
}

/** Drops decided proposals beyond the newest few, so the state stays small. */
export function pruneProposals(state: LedgerState, keep = 20): void {
  const decided = state.proposals.filter((p) => p.status !== 'open');
  if (decided.length <= keep) return;
  const drop = new Set(decided.slice(0, decided.length - keep).map((p) => p.id));
  state.proposals = state.proposals.filter((p) => !drop.has(p.id));
}
