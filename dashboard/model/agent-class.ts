import { dayFields, dayLabel, dayRates, type DailySeries, type DayRates } from '../../policy/ledger-series';
import type { LedgerState, RungChange } from '../../policy/ledger';
import type { LoadedPolicy } from '../../policy/loader';
import type { PromotionStepKey } from '../../policy/schema';

// One agent in one task class over time: the seed's metrics per day with the policy's threshold for
// the next rung, and the rung as a step line with each change's cause. Pure.

/** One metric's chart. */
export interface MetricChart {
  key: keyof DayRates | 'turnDuration';
  label: string;
  /** `rate` (0..1, drawn as %) or `seconds`. */
  unit: 'rate' | 'seconds';
  /** One value per day of {@link AgentClassView.days}; null where the day had nothing to measure. */
  values: (number | null)[];
  /** The policy's bar for the next rung, and which side passes; null when the policy sets none. */
  threshold: { value: number; kind: 'min' | 'max'; forRung: number } | null;
}

/** Turn duration measured on one day: the median of tasks that closed that day. */
export interface DayDuration {
  day: number;
  medianSeconds: number;
  tasks: number;
}

/** What the agent × class page shows. */
export interface AgentClassView {
  agentId: string;
  taskClass: string;
  rung: number;
  /** Epoch days with a record, oldest first (the x axis). */
  days: number[];
  dayLabels: string[];
  charts: MetricChart[];
  /** Rung changes in the class, oldest first, with their causes. */
  changes: RungChange[];
  /** Points of the rung step line: epoch seconds and rung, from the first change (or first day) to now. */
  rungSteps: { t: number; rung: number }[];
}

const RATE_CHARTS: { key: keyof DayRates; label: string; bar: 'min' | 'max'; field: string | null }[] = [
  { key: 'approvalRate', label: 'Approval rate (clean)', bar: 'min', field: 'minApprovalRate' },
  { key: 'interventionRate', label: 'Intervention rate', bar: 'max', field: 'maxInterventionRate' },
  { key: 'defectEscape', label: 'Defect escape rate', bar: 'max', field: 'maxDefectEscapeRate' },
  { key: 'auditDisagreement', label: 'Audit disagreement', bar: 'max', field: 'maxAuditDisagreement' },
  { key: 'autonomousShare', label: 'Autonomous share', bar: 'min', field: null },
];

/**
 * Shapes the agent × class page from the ledger, its daily series and turn durations per day.
 * The threshold drawn is the one for promotion from the class's current rung (none at rung 5, or
 * when the policy sets none: then promotion is impossible and the chart says so).
 */
export function agentClassViewOf(
  policy: LoadedPolicy,
  agentId: string,
  taskClass: string,
  ledger: LedgerState | null,
  series: DailySeries | null,
  durations: readonly DayDuration[],
  nowMs: number,
): AgentClassView {
  const rung = ledger?.classes[taskClass]?.rung ?? policy.agents[agentId]?.rungs[taskClass] ?? 0;
  const records = series?.[taskClass] ?? [];
  const durationByDay = new Map(durations.map((d) => [d.day, d]));
  const days = [...new Set([...records.map((r) => r[0]), ...durations.map((d) => d.day)])].sort(
    (a, b) => a - b,
  );
  const byDay = new Map(records.map((r) => [r[0], r]));
  const step = rung < 5 ? policy.promotion[`to${rung + 1}` as PromotionStepKey] : undefined;
  const charts: MetricChart[] = RATE_CHARTS.map(({ key, label, bar, field }) => {
    const bound = step && field ? (step as unknown as Record<string, number>)[field] : undefined;
    return {
      key,
      label,
      unit: 'rate',
      values: days.map((d) => {
        const r = byDay.get(d);
        return r ? dayRates(r)[key] : null;
      }),
      threshold: bound !== undefined ? { value: bound, kind: bar, forRung: rung + 1 } : null,
    };
  });
  charts.push({
    key: 'turnDuration',
    label: 'Turn duration (median, submit → done)',
    unit: 'seconds',
    values: days.map((d) => durationByDay.get(d)?.medianSeconds ?? null),
    threshold: null,
  });
  const changes = (ledger?.history ?? []).filter((h) => h.taskClass === taskClass);
  const rungSteps: { t: number; rung: number }[] = [];
  const firstDay = records[0] ? dayFields(records[0]) : null;
  if (changes.length > 0) rungSteps.push({ t: Date.parse(changes[0].at) / 1000, rung: changes[0].from });
  else if (firstDay) rungSteps.push({ t: firstDay.day * 86_400, rung: firstDay.rung });
  for (const c of changes) rungSteps.push({ t: Date.parse(c.at) / 1000, rung: c.to });
  rungSteps.push({ t: nowMs / 1000, rung });
  return { agentId, taskClass, rung, days, dayLabels: days.map(dayLabel), charts, changes, rungSteps };
}

/** The median of durations in seconds, per UTC day of closing. Pure. */
export function dailyMedians(closed: readonly { closedAtMs: number; seconds: number }[]): DayDuration[] {
  const byDay = new Map<number, number[]>();
  for (const c of closed) {
    const day = Math.floor(c.closedAtMs / 86_400_000);
    (byDay.get(day) ?? byDay.set(day, []).get(day)!).push(c.seconds);
  }
  return [...byDay.entries()]
    .sort(([a], [b]) => a - b)
    .map(([day, xs]) => {
      xs.sort((a, b) => a - b);
      const mid = Math.floor(xs.length / 2);
      const median = xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
      return { day, medianSeconds: median, tasks: xs.length };
    });
}
