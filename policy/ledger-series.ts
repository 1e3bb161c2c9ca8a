import type { Counter, LedgerState } from './ledger';
import type { IdentifiedEvent } from './ledger-reducer';

// A bounded daily series of each class's evidence, kept by the trust ledger beside its state (not
// in it: the judge and the decision path never carry it) for the dashboard's charts. One small
// record per class per day with activity, for the last SERIES_DAYS days. Pure; time comes in as ms.

/** Days of history kept per class: a quarter, enough to see a trend across a promotion. */
export const SERIES_DAYS = 90;

/** The counters a day record keeps, in the order they appear in {@link DayRecord}. */
export const SERIES_COUNTERS = [
  'decided',
  'approved',
  'edited',
  'actions',
  'interventions',
  'executed',
  'defects',
  'auditSampled',
  'auditDisagreed',
] as const satisfies readonly Counter[];

/**
 * One class's day as a tuple, to stay small over continue-as-new (~40 bytes as JSON):
 * `[epochDay, rungAtEndOfDay, autonomousExecutions, ...counts in SERIES_COUNTERS order]`.
 */
export type DayRecord = number[];

/** Day records per task class, oldest first, at most {@link SERIES_DAYS} per class. */
export type DailySeries = Record<string, DayRecord[]>;

const MS_PER_DAY = 86_400_000;
const COUNTS_AT = 3;

/** The UTC day number (days since 1970-01-01) of a time in ms. */
export const epochDay = (ms: number): number => Math.floor(ms / MS_PER_DAY);

/** `YYYY-MM-DD` of an epoch day. */
export const dayLabel = (day: number): string => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

/** A day record's fields by name. */
export interface DayFields {
  day: number;
  rung: number;
  autonomous: number;
  counts: Record<(typeof SERIES_COUNTERS)[number], number>;
}

/** Reads a {@link DayRecord}; missing counts (a record written by an older ledger) read as 0. */
export function dayFields(record: DayRecord): DayFields {
  const counts = Object.fromEntries(
    SERIES_COUNTERS.map((k, i) => [k, record[COUNTS_AT + i] ?? 0]),
  ) as DayFields['counts'];
  return { day: record[0], rung: record[1], autonomous: record[2] ?? 0, counts };
}

/**
 * Autonomous executions per class in a batch of evidence: `executed` outcomes at rung 3 or above
 * (no person approved them).
 */
export function autonomousByClass(events: readonly IdentifiedEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { event } of events)
    if (event.kind === 'outcome' && event.outcome === 'executed' && event.rung >= 3)
      out[event.taskClass] = (out[event.taskClass] ?? 0) + 1;
  return out;
}

/**
 * Adds what changed between two ledger states to today's record of each class: the growth of each
 * lifetime counter, the autonomous executions of the batch, and the rung the class ends at. A class
 * whose nothing changed gets no record. Drops records older than {@link SERIES_DAYS} days.
 *
 * Modifies `series` in place (the ledger holds one and updates it after every batch) and returns it.
 */
export function noteDay(
  series: DailySeries,
  before: LedgerState,
  after: LedgerState,
  autonomous: Record<string, number>,
  nowMs: number,
): DailySeries {
  const today = epochDay(nowMs);
  for (const [taskClass, c] of Object.entries(after.classes)) {
    const was = before.classes[taskClass];
    const deltas = SERIES_COUNTERS.map((k) => c.lifetime[k] - (was?.lifetime[k] ?? 0));
    const auto = autonomous[taskClass] ?? 0;
    const records = (series[taskClass] ??= []);
    const last = records[records.length - 1];
    const rungMoved = was === undefined || was.rung !== c.rung;
    if (!rungMoved && auto === 0 && deltas.every((d) => d === 0)) continue;
    let record: DayRecord;
    if (last && last[0] === today) record = last;
    else {
      record = [today, c.rung, 0, ...SERIES_COUNTERS.map(() => 0)];
      records.push(record);
    }
    record[1] = c.rung;
    record[2] = (record[2] ?? 0) + auto;
    deltas.forEach((d, i) => (record[COUNTS_AT + i] = (record[COUNTS_AT + i] ?? 0) + Math.max(0, d)));
  }
  const oldest = today - SERIES_DAYS + 1;
  for (const records of Object.values(series)) {
    const keepFrom = records.findIndex((r) => r[0] >= oldest);
    records.splice(0, keepFrom === -1 ? records.length : keepFrom);
  }
  return series;
}

/** The seed's rates for one day; null where the day had nothing to divide by. */
export interface DayRates {
  /** Clean approvals (approved, not edited, no defect) over human decisions. */
  approvalRate: number | null;
  /** Interventions over actions. */
  interventionRate: number | null;
  /** Defects reported over executed actions. */
  defectEscape: number | null;
  /** Audits a reviewer disagreed with over audits sampled. */
  auditDisagreement: number | null;
  /** Autonomous executions over tasks that ended either autonomously or by a person's decision. */
  autonomousShare: number | null;
}

const ratio = (n: number, d: number): number | null => (d > 0 ? n / d : null);

/** The rates of one day record, computed as the promotion rules compute them (point estimates). */
export function dayRates(record: DayRecord): DayRates {
  const { counts: k, autonomous } = dayFields(record);
  return {
    approvalRate: ratio(Math.max(0, k.approved - k.edited - k.defects), k.decided),
    interventionRate: ratio(k.interventions, k.actions),
    defectEscape: ratio(k.defects, k.executed),
    auditDisagreement: ratio(k.auditDisagreed, k.auditSampled),
    autonomousShare: ratio(autonomous, autonomous + k.decided),
  };
}
