import {
  changeRung,
  classOf,
  count,
  countersFor,
  openProposal,
  pruneProposals,
  recentlyCounted,
  inAuditSample,
  DECIDED_AUDITS_KEPT,
  type Audit,
  type ClassLedger,
  type Counter,
  type LedgerEvent,
  type LedgerState,
  type Proposal,
  type RungChange,
} from './ledger';
import { formatDuration } from './duration';
import { own } from './own';
import type { LoadedPolicy } from './loader';
import type { Rung } from './schema';
import {
  demotionFor,
  pct,
  promotionVerdict,
  wilsonBounds,
  type ClassEvidence,
  type ClassInfrastructure,
  type DemotionEvent,
  type PromotionVerdict,
} from './trust-rules';

/** What the ledger needs to know besides its own state; the activity (or the simulation) supplies it. */
export interface LedgerContext {
  policy: LoadedPolicy;
  /** What the task class has in place for higher rungs (bounds, compensations, a passed drill, a report). */
  infrastructure: (taskClass: string) => ClassInfrastructure;
  nowMs: number;
}

/** What people must hear about after a batch of events. */
export type LedgerEffect =
  | { kind: 'demoted'; change: RungChange }
  | { kind: 'proposed'; proposal: Proposal }
  | { kind: 'audit-requested'; audit: Audit }
  /** Nobody reviewed it in time: closed, and counted as the policy's `audit.unanswered` says. */
  | { kind: 'audit-expired'; audit: Audit }
  /** The class's evidence says the rung is unsafe for everyone: cap every agent in it. */
  | { kind: 'class-rollback'; taskClass: string; cap: Rung; cause: string };

/** One piece of evidence with an id that makes it count once (e.g. `<workflowId>/<outcome>`). */
export interface IdentifiedEvent {
  id: string;
  event: LedgerEvent;
}

/**
 * Applies evidence to an agent's ledger with the policy in force: counts it, demotes at once where
 * an event calls for it (incident, defect, new model or prompt, failed rollback, unread report), and
 * opens a promotion proposal when a class has earned one. Promotion itself is never applied here:
 * a person approves it ({@link applyPromotion}).
 *
 * Pure: the state passed in is not modified; the new state and the effects come back.
 */
export function reduceLedger(
  current: LedgerState,
  events: IdentifiedEvent[],
  ctx: LedgerContext,
): { state: LedgerState; effects: LedgerEffect[] } {
  const state = copyOf(current);
  const effects: LedgerEffect[] = [];
  const nowIso = new Date(ctx.nowMs).toISOString();
  const declared = (taskClass: string): Rung =>
    (ctx.policy.agents[state.agentId]?.rungs[taskClass] ?? 0) as Rung;
  const demote = (taskClass: string, event: DemotionEvent, by: string | null): void => {
    const c = state.classes[taskClass];
    if (!c) return;
    const target = demotionFor(ctx.policy, c.rung, event);
    if (!target) return;
    const change = changeRung(state, taskClass, target.to, {
      cause: target.cause,
      by,
      nowMs: ctx.nowMs,
      nowIso,
    });
    if (change) effects.push({ kind: 'demoted', change });
  };
  const touched = new Set<string>();

  const seen = recentlyCounted(state, ctx.nowMs);
  for (const { id, event } of events) {
    if (seen.counted(id)) continue;
    switch (event.kind) {
      case 'outcome': {
        const c = classOf(state, event.taskClass, declared(event.taskClass), ctx.nowMs);
        count(c, countersFor(event.outcome, event.rung));
        touched.add(event.taskClass);
        if (
          event.outcome === 'executed' &&
          event.rung >= 3 &&
          inAuditSample(event.workflowId, ctx.policy.audit.sampleRate) &&
          // Reviewers can only answer so many: beyond the policy's bound, outcomes go unsampled.
          (state.audits ?? []).filter((a) => a.status === 'open').length < ctx.policy.audit.maxOpen
        ) {
          state.audits ??= [];
          state.nextAudit ??= 1;
          const audit: Audit = {
            id: `a${state.nextAudit++}`,
            workflowId: event.workflowId,
            taskClass: event.taskClass,
            rung: event.rung,
            at: nowIso,
            expiresAt: new Date(ctx.nowMs + auditExpiryMs(ctx.policy)).toISOString(),
            reviewers: approversOf(ctx.policy, event.taskClass),
            status: 'open',
            by: null,
            reason: null,
            messageRef: null,
          };
          state.audits.push(audit);
          effects.push({ kind: 'audit-requested', audit });
        }
        if (event.outcome === 'rollback-failed') demote(event.taskClass, { kind: 'rollback-failed' }, null);
        if (event.outcome === 'sla-breach') demote(event.taskClass, { kind: 'sla-breach' }, null);
        break;
      }
      case 'defect': {
        const c = classOf(state, event.taskClass, declared(event.taskClass), ctx.nowMs);
        count(c, ['defects']);
        const rollback = classRollbackFor(ctx.policy, event.taskClass, c.rung, c.evidence);
        demote(event.taskClass, { kind: 'defect' }, event.by);
        if (rollback) effects.push({ kind: 'class-rollback', taskClass: event.taskClass, ...rollback });
        break;
      }
      case 'incident':
        classOf(state, event.taskClass, declared(event.taskClass), ctx.nowMs);
        demote(event.taskClass, { kind: 'incident' }, event.by);
        break;
      case 'audit': {
        const c = classOf(state, event.taskClass, declared(event.taskClass), ctx.nowMs);
        const audit = state.audits?.find((a) => a.workflowId === event.workflowId && a.status === 'open');
        countVerdict(c, audit, event.agree);
        touched.add(event.taskClass);
        if (audit) {
          audit.status = event.agree ? 'agreed' : 'disagreed';
          audit.by = event.by;
          audit.reason = event.reason ?? null;
        }
        const rollback = classRollbackFor(ctx.policy, event.taskClass, c.rung, c.evidence);
        if (rollback) effects.push({ kind: 'class-rollback', taskClass: event.taskClass, ...rollback });
        break;
      }
      case 'drill': {
        const c = classOf(state, event.taskClass, declared(event.taskClass), ctx.nowMs);
        c.drill = { at: nowIso, passed: event.passed, by: event.by, detail: event.detail };
        touched.add(event.taskClass);
        break;
      }
      case 'version': {
        const changed =
          state.model !== null &&
          (state.model !== event.model || state.promptVersion !== event.promptVersion);
        if (changed) {
          const what = state.model !== event.model ? 'model' : 'prompt';
          const from = what === 'model' ? state.model! : state.promptVersion!;
          const to = what === 'model' ? event.model : event.promptVersion;
          for (const taskClass of Object.keys(state.classes))
            demote(taskClass, { kind: 'environment-change', what, from, to }, null);
        }
        state.model = event.model;
        state.promptVersion = event.promptVersion;
        break;
      }
    }
  }

  // Evidence may have earned a proposal; a class with one open already waits for its answer.
  for (const taskClass of touched) {
    const c = state.classes[taskClass];
    if (!c || openProposal(state, taskClass)) continue;
    const verdict = promotionVerdict(
      ctx.policy,
      taskClass,
      c.rung,
      c.evidence,
      infrastructureOf(ctx, c, taskClass),
      ctx.nowMs,
    );
    if (!verdict.eligible || verdict.to === null) continue;
    const proposal: Proposal = {
      id: `p${state.nextProposal++}`,
      taskClass,
      from: verdict.from,
      to: verdict.to,
      at: nowIso,
      criteria: verdict.criteria,
      approvers: approversOf(ctx.policy, taskClass),
      status: 'open',
      decidedBy: null,
      messageRef: null,
    };
    state.proposals.push(proposal);
    effects.push({ kind: 'proposed', proposal });
  }
  pruneProposals(state);
  expireAudits(state, ctx, effects);
  const decided = (state.audits ?? []).filter((a) => a.status !== 'open');
  if (decided.length > DECIDED_AUDITS_KEPT) {
    const drop = new Set(decided.slice(0, decided.length - DECIDED_AUDITS_KEPT).map((a) => a.id));
    state.audits = state.audits!.filter((a) => !drop.has(a.id));
  }
  return { state, effects };
}

/** The policy's `audit.expireAfter` in ms (7 days when unset). */
function auditExpiryMs(policy: LoadedPolicy): number {
  return policy.audit.expireAfter ?? 7 * 86_400_000;
}

/**
 * Closes the open audits whose time is up (an audit opened before audits expired gets the
 * policy's term from when it was opened) and counts each as the policy's `audit.unanswered` says.
 */
function expireAudits(state: LedgerState, ctx: LedgerContext, effects: LedgerEffect[]): void {
  const termMs = auditExpiryMs(ctx.policy);
  const counted = ctx.policy.audit.unanswered ?? 'not-counted';
  for (const audit of state.audits ?? []) {
    if (audit.status !== 'open') continue;
    const expiresAt = audit.expiresAt ? Date.parse(audit.expiresAt) : Date.parse(audit.at) + termMs;
    if (expiresAt > ctx.nowMs) continue;
    audit.status = 'expired';
    audit.reason = `nobody reviewed it within ${formatDuration(termMs)}; counted as ${counted}`;
    const c = state.classes[audit.taskClass];
    if (c && counted !== 'not-counted') countVerdict(c, audit, counted === 'agree');
    effects.push({ kind: 'audit-expired', audit: { ...audit } });
  }
}

/**
 * Counts an audit's verdict: in the class's current evidence window only when the audit was
 * opened in it (the window starts afresh at every rung change); a verdict on an audit opened
 * before a demotion or promotion goes to the lifetime counters only, so it can neither block nor
 * earn a promotion from the rung the class is at now.
 */
function countVerdict(c: ClassLedger, audit: Audit | undefined, agree: boolean): void {
  const counters: Counter[] = agree ? ['auditSampled'] : ['auditSampled', 'auditDisagreed'];
  const inWindow = audit === undefined || Date.parse(audit.at) >= c.evidence.sinceMs;
  if (inWindow) count(c, counters);
  else for (const k of counters) c.lifetime[k]++;
}

/** Who may approve a promotion in a class: the policy's admins and the class's approvers. */
export function approversOf(
  policy: { admins: readonly string[]; approversByClass: Readonly<Record<string, readonly string[]>> },
  taskClass: string,
): string[] {
  return [...new Set([...policy.admins, ...(own(policy.approversByClass, taskClass) ?? [])])];
}

/**
 * Applies an approved proposal: one rung up, a fresh evidence window, the approver on record.
 * Pure like {@link reduceLedger}. Refuses (returns a reason) when the proposal is not open.
 */
export function applyPromotion(
  current: LedgerState,
  proposalId: string,
  by: string,
  nowMs: number,
): { ok: true; state: LedgerState; change: RungChange } | { ok: false; reason: string } {
  const state = copyOf(current);
  const proposal = state.proposals.find((p) => p.id === proposalId);
  if (!proposal) return { ok: false, reason: `no proposal ${proposalId}` };
  if (proposal.status !== 'open')
    return { ok: false, reason: `proposal ${proposalId} is ${proposal.status}` };
  if (state.classes[proposal.taskClass]?.rung !== proposal.from)
    return { ok: false, reason: `the agent is no longer at rung ${proposal.from} in ${proposal.taskClass}` };
  const change = changeRung(state, proposal.taskClass, proposal.to, {
    cause: `promotion approved (${proposal.criteria.map((c) => c.detail).join('; ')})`,
    by,
    nowMs,
    nowIso: new Date(nowMs).toISOString(),
  })!;
  const decided = state.proposals.find((p) => p.id === proposalId)!;
  decided.status = 'approved';
  decided.decidedBy = by;
  return { ok: true, state, change };
}

/**
 * Marks a proposal declined. The counts stay, but the clean period starts again from now, so the
 * same evidence does not propose again at the next event. Pure.
 */
export function declinePromotion(
  current: LedgerState,
  proposalId: string,
  by: string,
  nowMs: number,
): LedgerState {
  const state = copyOf(current);
  const proposal = state.proposals.find((p) => p.id === proposalId);
  if (proposal && proposal.status === 'open') {
    proposal.status = 'declined';
    proposal.decidedBy = by;
    const c = state.classes[proposal.taskClass];
    if (c) c.evidence.sinceMs = nowMs;
  }
  return state;
}

/** Why a class cannot be promoted yet: the failing criteria, for status pages. Pure. */
export function missingForNextRung(
  state: LedgerState,
  taskClass: string,
  ctx: LedgerContext,
): PromotionVerdict | null {
  const c = state.classes[taskClass];
  if (!c) return null;
  return promotionVerdict(
    ctx.policy,
    taskClass,
    c.rung,
    c.evidence,
    infrastructureOf(ctx, c, taskClass),
    ctx.nowMs,
  );
}

/**
 * A deep copy of JSON-shaped state. (Not `structuredClone`: the workflow sandbox, where this code
 * also runs, does not provide it.)
 */
function copyOf<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Below this many audits (or executions) a bound says too little to act on for a whole class: one
 * disagreement out of one has a 99% lower bound of 15.6%. Agent-level demotions act on single
 * events; reducing every agent's scope needs a pattern.
 */
export const MIN_SAMPLES_FOR_CLASS_ROLLBACK = 10;

/**
 * A task-class rollback trigger: audit disagreement or defect escape *clearly* above what the
 * policy tolerates at this rung (the lower 99% bound is above the threshold, so a bad day on a few
 * samples does not trigger it). The class is then capped one rung lower for every agent. Pure.
 */
export function classRollbackFor(
  policy: LoadedPolicy,
  taskClass: string,
  rung: Rung,
  evidence: ClassEvidence,
): { cap: Rung; cause: string } | null {
  if (rung < 3) return null; // below 3 a person checks every action already
  const bar = policy.promotion[`to${rung}` as 'to3'];
  if (!bar) return null;
  const disagreement = wilsonBounds(evidence.auditDisagreed, evidence.auditSampled).lower;
  const defects = wilsonBounds(evidence.defects, evidence.executed).lower;
  const cap = (rung - 1) as Rung;
  if (evidence.auditSampled >= MIN_SAMPLES_FOR_CLASS_ROLLBACK && disagreement > bar.maxAuditDisagreement)
    return {
      cap,
      cause: `audit disagreement in ${taskClass} is at least ${pct(disagreement)} (${evidence.auditDisagreed} of ${evidence.auditSampled}), above the ${pct(bar.maxAuditDisagreement)} rung ${rung} allows`,
    };
  if (evidence.executed >= MIN_SAMPLES_FOR_CLASS_ROLLBACK && defects > bar.maxDefectEscapeRate)
    return {
      cap,
      cause: `defect escape in ${taskClass} is at least ${pct(defects)} (${evidence.defects} of ${evidence.executed}), above the ${pct(bar.maxDefectEscapeRate)} rung ${rung} allows`,
    };
  return null;
}

/** The class's infrastructure, with the passed rollback drill this agent's ledger holds. */
function infrastructureOf(ctx: LedgerContext, c: ClassLedger, taskClass: string): ClassInfrastructure {
  const infra = ctx.infrastructure(taskClass);
  return { ...infra, rollbackDrillPassed: infra.rollbackDrillPassed || c.drill?.passed === true };
}
