import type { LoadedPolicy } from './loader';
import type { Rung } from './schema';

// Pure rules of the trust ledger (DESIGN.md §2): when an agent may be proposed for the next rung
// of a task class, and where an event demotes it. No I/O, no clock: time comes in as an argument.

/** Counts for one agent × task class since it reached its current rung. All counts are kept so rates can be recomputed. */
export interface ClassEvidence {
  /** When the agent reached its current rung (milliseconds since the epoch). */
  sinceMs: number;
  /** Human decisions on its tasks (approve or reject, accept or reject a draft). */
  decided: number;
  approved: number;
  /** Approvals that came with edits: not clean. */
  edited: number;
  /** Actions the agent took or proposed at this rung (the sample count). */
  actions: number;
  /** Human interventions: rejections, cancellations, pauses, manual overrides, manual rollbacks. */
  interventions: number;
  /** Executed actions, and defects reported after approval or autonomous execution. */
  executed: number;
  defects: number;
  /** Post-hoc audit: outcomes sampled, and those a reviewer disagreed with. */
  auditSampled: number;
  auditDisagreed: number;
  /** Approvals people had to give at this rung (the friction the next rung removes). */
  approvalsAsked: number;
}

/** What the task class has in place that higher rungs need. */
export interface ClassInfrastructure {
  boundsDefined: boolean;
  /** Every action type of the class can be compensated. */
  compensationForEveryAction: boolean;
  rollbackDrillPassed: boolean;
  reportWithReadSla: boolean;
}

export interface Criterion {
  criterion:
    | 'thresholds'
    | 'cap'
    | 'clean-period'
    | 'samples'
    | 'approval-rate'
    | 'intervention-rate'
    | 'defect-escape'
    | 'audit-disagreement'
    | 'infrastructure'
    | 'cost';
  ok: boolean;
  /** The numbers behind the verdict, for the proposal message. */
  detail: string;
}

export interface PromotionVerdict {
  eligible: boolean;
  from: Rung;
  to: Rung | null;
  criteria: Criterion[];
}

/** A rate as a percentage with one decimal, e.g. `97.5%`. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const rate = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/**
 * z for one-sided 99% confidence. Rates are judged by the bound of their Wilson score interval,
 * not the observed rate: 40 clean approvals do not show an error rate below 5% with confidence,
 * and a ledger that re-checks after every event would promote on a lucky streak otherwise
 * (`npm run simulate` measured 3 false promotions in 20 agents just above the threshold at 95%).
 */
export const CONFIDENCE_Z = 2.326;
const CONFIDENCE_LABEL = '99% confidence';

/**
 * Wilson score interval bounds for `successes` of `n` at {@link CONFIDENCE_Z}. With n = 0 nothing
 * is known: [0, 1].
 */
export function wilsonBounds(
  successes: number,
  n: number,
  z = CONFIDENCE_Z,
): { lower: number; upper: number } {
  if (n === 0) return { lower: 0, upper: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  return {
    lower: Math.max(0, (centre - margin) / denominator),
    upper: Math.min(1, (centre + margin) / denominator),
  };
}
const days = (ms: number): string => `${(ms / 86_400_000).toFixed(1)} d`;

/**
 * Whether an agent at `from` in a task class has earned a proposal for `from + 1`, with every
 * criterion and its numbers: enough clean operation (period **and** samples; calendar time alone
 * never promotes), rates within the policy's thresholds, the infrastructure the next rung needs,
 * and being wrong at the next rung costing less than the friction at this one.
 *
 * There are no implicit defaults: without thresholds for the next rung, promotion is impossible.
 *
 * @param nowMs - current time in milliseconds since the epoch.
 */
export function promotionVerdict(
  policy: LoadedPolicy,
  taskClass: string,
  from: Rung,
  evidence: ClassEvidence,
  infrastructure: ClassInfrastructure,
  nowMs: number,
): PromotionVerdict {
  if (from >= 5)
    return {
      eligible: false,
      from,
      to: null,
      criteria: [{ criterion: 'cap', ok: false, detail: 'already at rung 5, the top' }],
    };
  const to = (from + 1) as Rung;
  const thresholds = policy.promotion[`to${to}` as `to${1 | 2 | 3 | 4 | 5}`];
  if (!thresholds) {
    return {
      eligible: false,
      from,
      to,
      criteria: [
        {
          criterion: 'thresholds',
          ok: false,
          detail: `policy ${policy.versionId} sets no thresholds for promotion into rung ${to}: promotion is impossible until it does`,
        },
      ],
    };
  }
  const cap = policy.taskClasses[taskClass]?.cap ?? 0;
  // Not clean: approvals that needed edits, and approved work later reported as a defect.
  const cleanApprovals = Math.max(0, evidence.approved - evidence.edited - evidence.defects);
  const approvalRate = rate(cleanApprovals, evidence.decided);
  const approvalLow = wilsonBounds(cleanApprovals, evidence.decided).lower;
  const interventionRate = rate(evidence.interventions, evidence.actions);
  const interventionHigh = wilsonBounds(evidence.interventions, evidence.actions).upper;
  const defectEscape = rate(evidence.defects, evidence.executed);
  const defectHigh = wilsonBounds(evidence.defects, evidence.executed).upper;
  const disagreement = rate(evidence.auditDisagreed, evidence.auditSampled);
  const disagreementHigh = wilsonBounds(evidence.auditDisagreed, evidence.auditSampled).upper;
  const period = nowMs - evidence.sinceMs;
  /** A rate that must stay below `max`: judged by its upper bound; without any sample it says nothing. */
  const atMost = (n: number, high: number, max: number): boolean => n === 0 || high <= max;

  const missing: string[] = [];
  if (to >= 3 && !infrastructure.boundsDefined) missing.push('bounds');
  if (to >= 4 && !infrastructure.compensationForEveryAction)
    missing.push('a compensation for every action type');
  if (to >= 4 && !infrastructure.rollbackDrillPassed) missing.push('a passed rollback drill');
  if (to >= 5 && !infrastructure.reportWithReadSla) missing.push('a report channel with a read SLA');

  // Cost of being wrong at the next rung vs the friction of this one, over the same sample, with
  // the error rate at its plausible worst (the bounds above), not its observed value.
  const errorRate = Math.max(
    evidence.decided > 0 ? 1 - approvalLow : 0,
    evidence.executed > 0 ? defectHigh : 0,
    evidence.auditSampled > 0 ? disagreementHigh : 0,
  );
  const costWrong = errorRate * evidence.actions * thresholds.costOfMistakeUsd;
  const friction = evidence.approvalsAsked * thresholds.minutesPerApproval * thresholds.costPerMinuteUsd;

  const criteria: Criterion[] = [
    { criterion: 'cap', ok: to <= cap, detail: `task class cap ${cap}` },
    {
      criterion: 'clean-period',
      ok: period >= thresholds.minCleanPeriod,
      detail: `${days(period)} at rung ${from}, needs ${days(thresholds.minCleanPeriod)}`,
    },
    {
      criterion: 'samples',
      ok: evidence.actions >= thresholds.minSamples,
      detail: `${evidence.actions} samples, needs ${thresholds.minSamples}`,
    },
    {
      criterion: 'approval-rate',
      // From rung 3 up nobody approves: autonomy is judged by defects, audits and interventions.
      ok: from >= 3 ? true : evidence.decided > 0 && approvalLow >= thresholds.minApprovalRate,
      // The mark beside it must match its words: above rung 2 the rate is shown but not a condition.
      detail:
        from >= 3 && evidence.decided === 0
          ? `no approvals asked at rung ${from} (autonomous): judged by defects, audits and interventions`
          : from >= 3
            ? `not a condition from rung 3 (autonomous, judged by defects, audits and interventions); ${pct(approvalRate)} clean approvals of the ${evidence.decided} fallbacks people answered`
            : `${pct(approvalRate)} clean approvals (${cleanApprovals} of ${evidence.decided}; at least ${pct(approvalLow)} at ${CONFIDENCE_LABEL}), needs ≥ ${pct(thresholds.minApprovalRate)}`,
    },
    {
      criterion: 'intervention-rate',
      ok: atMost(evidence.actions, interventionHigh, thresholds.maxInterventionRate),
      detail:
        evidence.actions === 0
          ? 'no actions yet at this rung'
          : `${pct(interventionRate)} interventions (${evidence.interventions} of ${evidence.actions}; at most ${pct(interventionHigh)} at ${CONFIDENCE_LABEL}), allows ≤ ${pct(thresholds.maxInterventionRate)}`,
    },
    {
      criterion: 'defect-escape',
      ok: atMost(evidence.executed, defectHigh, thresholds.maxDefectEscapeRate),
      detail:
        evidence.executed === 0
          ? 'nothing executed yet at this rung'
          : `${pct(defectEscape)} defects escaped (${evidence.defects} of ${evidence.executed}; at most ${pct(defectHigh)} at ${CONFIDENCE_LABEL}), allows ≤ ${pct(thresholds.maxDefectEscapeRate)}`,
    },
    {
      criterion: 'audit-disagreement',
      ok: atMost(evidence.auditSampled, disagreementHigh, thresholds.maxAuditDisagreement),
      detail:
        evidence.auditSampled === 0
          ? 'no audits sampled yet'
          : `${pct(disagreement)} audit disagreement (${evidence.auditDisagreed} of ${evidence.auditSampled}; at most ${pct(disagreementHigh)} at ${CONFIDENCE_LABEL}), allows ≤ ${pct(thresholds.maxAuditDisagreement)}`,
    },
    {
      criterion: 'infrastructure',
      ok: missing.length === 0,
      detail:
        missing.length === 0
          ? `rung ${to} infrastructure in place`
          : `rung ${to} needs ${missing.join(', ')}`,
    },
    {
      criterion: 'cost',
      // Rungs 4 and 5 add safety (rollback, reports) rather than remove approvals: there is no
      // friction at rung 3+ for them to save, so the comparison applies into rungs 1-3.
      ok: to >= 4 ? true : costWrong < friction,
      detail:
        to >= 4
          ? `not applicable into rung ${to}: it adds safety (rollback, reports), it removes no approvals`
          : `being wrong at rung ${to} ≈ $${costWrong.toFixed(2)} (${pct(errorRate)} × ${evidence.actions} × $${thresholds.costOfMistakeUsd}) vs friction now $${friction.toFixed(2)} (${evidence.approvalsAsked} approvals × ${thresholds.minutesPerApproval} min × $${thresholds.costPerMinuteUsd})`,
    },
  ];
  return { eligible: criteria.every((c) => c.ok), from, to, criteria };
}

/** Events that move an agent down at once. */
export type DemotionEvent =
  | { kind: 'defect' | 'incident' }
  | { kind: 'rollback-failed' | 'rollback-did-not-fire' | 'bounds-missed' | 'sla-breach' }
  | { kind: 'environment-change'; what: 'model' | 'prompt' | 'data source'; from: string; to: string };

/**
 * Where an event puts an agent that is at `current`, or null when it stays. Demotion is immediate
 * and may drop several rungs; it never raises a rung.
 */
export function demotionFor(
  policy: LoadedPolicy,
  current: Rung,
  event: DemotionEvent,
): { to: Rung; cause: string } | null {
  const d = policy.demotion;
  let to: number;
  let cause: string;
  switch (event.kind) {
    case 'defect':
    case 'incident':
      to = Math.min(current, d.incidentRung);
      cause = `a wrong action with a real consequence (${event.kind}) sends the agent to the incident rung ${d.incidentRung}`;
      break;
    case 'environment-change':
      to = Math.min(current, d.environmentChangeRung);
      cause = `new ${event.what} (${event.from} → ${event.to}): re-evaluation from rung ${d.environmentChangeRung}`;
      break;
    default:
      to = Math.max(0, current - d.unanticipatedFailureDrop);
      cause = `an unanticipated failure (${event.kind}) drops ${d.unanticipatedFailureDrop} rung(s)`;
  }
  return to < current ? { to: to as Rung, cause } : null;
}
