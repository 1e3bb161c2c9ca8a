// Pure arithmetic of the task benchmark: throughput, ratios, medians and the interleaved order of
// batches. Kept apart from the code that drives processes so it can be unit-tested.

/**
 * Who runs a batch: Ladder (submitted through its HTTP API or its TypeScript client), the bare
 * workflow, or (`bench:floor` only) the bare workflow with some or all of the guards every rung-3
 * task needs: the decision in a local activity; then the search attributes; then the entity reads
 * (`baseline-guarded`, all of them).
 */
export type Side =
  | 'ladder-api'
  | 'ladder-client'
  | 'baseline'
  | 'baseline-decision'
  | 'baseline-decision-sa'
  | 'baseline-guarded';

/** Every side of `bench:tasks`, in the order of the first round. */
export const SIDES: readonly Side[] = ['ladder-api', 'ladder-client', 'baseline'];

/**
 * The sides of `bench:floor`, from the bare workflow up, one guard more at each, to Ladder: each
 * step's difference is what that piece costs.
 */
export const FLOOR_SIDES: readonly Side[] = [
  'baseline',
  'baseline-decision',
  'baseline-decision-sa',
  'baseline-guarded',
  'ladder-client',
];

/** True for the sides Ladder runs (their tasks must end `executed`), false for the bare workflows. Pure. */
export function isLadderSide(side: Side): side is 'ladder-api' | 'ladder-client' {
  return side === 'ladder-api' || side === 'ladder-client';
}

/** The bench process whose CPU is `side`'s worker: Ladder's, or the bare workflows'. Pure. */
export function workerOf(side: Side): 'Ladder worker' | 'baseline worker' {
  return isLadderSide(side) ? 'Ladder worker' : 'baseline worker';
}

/** One batch of the plan: `n` tasks of `side` in round `round` (0-based). */
export interface PlannedBatch {
  side: Side;
  n: number;
  round: number;
}

/**
 * The interleaved order of batches: for each size, `rounds` rounds of one batch per side, each
 * round in the reverse order of the one before (A B C, C B A, A B C …), so a drift of the machine
 * over time (a growing database, a warming JIT, a neighbour's load) falls on every side alike.
 * Pure.
 */
export function interleavedPlan(sizes: readonly number[], rounds: number, sides = SIDES): PlannedBatch[] {
  const plan: PlannedBatch[] = [];
  for (const n of sizes) {
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) plan.push({ side, n, round });
    }
  }
  return plan;
}

/**
 * Tasks per second from the first submission to the last completion.
 *
 * @param firstSubmitMs - epoch ms just before the first task was submitted.
 * @param lastCloseMs - epoch ms at which the last task closed (its workflow's close time).
 * @returns NaN when the span is not positive (clock trouble), so it never reads as a real figure.
 */
export function throughput(n: number, firstSubmitMs: number, lastCloseMs: number): number {
  const seconds = (lastCloseMs - firstSubmitMs) / 1000;
  return seconds > 0 ? n / seconds : NaN;
}

/** The median of `values` (the mean of the middle two for an even count); NaN for none. Pure. */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `value / baseline`, or NaN when either is missing or the baseline is 0. Pure. */
export function ratio(value: number, baseline: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return NaN;
  return value / baseline;
}

/**
 * Ratios of paired values (round by round), so each is measured against the baseline of its own
 * round. Pure.
 *
 * @returns the smallest, median and largest ratio; NaN fields when no pair has both values.
 */
export function pairedRatios(
  values: readonly number[],
  baselines: readonly number[],
): { min: number; median: number; max: number } {
  const ratios = values.map((v, i) => ratio(v, baselines[i] ?? NaN)).filter((r) => !Number.isNaN(r));
  if (ratios.length === 0) return { min: NaN, median: NaN, max: NaN };
  return { min: Math.min(...ratios), median: median(ratios), max: Math.max(...ratios) };
}

/** `total / n`, NaN for n = 0. Pure. */
export function perTask(total: number, n: number): number {
  return n > 0 ? total / n : NaN;
}

/** Each named total divided by `n` (see {@link perTask}). Pure. */
export function perTaskEach(totals: Readonly<Record<string, number>>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(totals).map(([name, total]) => [name, perTask(total, n)]));
}

/**
 * Indexes of `count` items spread evenly over `total` (first and last included when count ≥ 2),
 * for sampling histories across a batch rather than only its start. Pure.
 */
export function spreadSample(total: number, count: number): number[] {
  if (total <= 0 || count <= 0) return [];
  if (count >= total) return Array.from({ length: total }, (_, i) => i);
  if (count === 1) return [Math.floor(total / 2)];
  const step = (total - 1) / (count - 1);
  return [...new Set(Array.from({ length: count }, (_, i) => Math.round(i * step)))];
}
