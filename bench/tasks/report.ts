// The task benchmark's figures, from raw batch and approval results: pure functions, so what the
// table says is tested apart from the processes that measured it.
import type { LatencySummary } from '../latency-stats';
import type { ApprovalResult, AnswerPath } from './approvals';
import type { BatchResult } from './batches';
import { median, pairedRatios, ratio, SIDES, workerOf, type Side } from './figures';
import { meanCounts, type HistoryCounts } from './history-counts';
import type { ServerOps } from './server-ops';

/** Throughput of one batch size: each side's per-round figures, and Ladder's ratios to the baseline of the same round. */
export interface ThroughputRow {
  n: number;
  perSide: Record<Side, { rounds: number[]; median: number }>;
  /** Ladder (API, client) over the baseline of the same round: min, median, max. */
  ratio: Record<'ladder-api' | 'ladder-client', { min: number; median: number; max: number }>;
}

/** What one task costs on one side, over all its batches. */
export interface SideCost {
  side: Side;
  tasks: number;
  history: HistoryCounts;
  entityEventsPerTask: number | null;
  /** CPU ms per task by process, weighted by batch size. */
  cpuMsPerTask: Record<string, number>;
  slackCallsPerTask: Record<string, number>;
  /** Temporal server calls and writes per task, weighted by batch size; null when no batch read them. */
  serverOpsPerTask: ServerOps | null;
  workerPeakRssMiB: number;
  /** Submissions refused for now and tried again, in all of this side's batches, by refusal. */
  submitRetries: { count: number; reasons: Record<string, number> };
  /** Cores' worth of CPU other processes on the machine used during this side's batches, mean and max. */
  otherLoadCores: { mean: number; max: number };
  /** Task wall time (start to close) in the largest batches, p50 and p99 of the rounds' values (median over rounds). */
  burst: { n: number; p50Ms: number; p99Ms: number };
}

/** A throughput batch that did not finish (refused submissions, tasks that stopped closing…). */
export interface BatchFailure {
  side: Side;
  n: number;
  round: number;
  reason: string;
}

/** A target of issue 11 and whether this run met it; `met` is null when nothing measured it. */
export interface TargetCheck {
  name: string;
  value: number;
  target: string;
  met: boolean | null;
}

/**
 * `batches`' throughput over `base`'s, round by round (each against the base batch of its own
 * round): smallest, median and largest. Pure.
 */
export function ratiosByRound(
  batches: readonly BatchResult[],
  base: readonly BatchResult[],
): { min: number; median: number; max: number } {
  return pairedRatios(
    base.map((b) => batches.find((x) => x.round === b.round)?.tasksPerSecond ?? NaN),
    base.map((b) => b.tasksPerSecond),
  );
}

/** Throughput rows, one per batch size, in the order of `sizes`. Pure. */
export function throughputRows(batches: readonly BatchResult[], sizes: readonly number[]): ThroughputRow[] {
  return sizes.map((n) => {
    const ofSide = (side: Side): BatchResult[] =>
      batches.filter((b) => b.n === n && b.side === side).sort((a, b) => a.round - b.round);
    const perSide = Object.fromEntries(
      SIDES.map((side) => {
        const rounds = ofSide(side).map((b) => b.tasksPerSecond);
        return [side, { rounds, median: median(rounds) }];
      }),
    ) as ThroughputRow['perSide'];
    const paired = (side: 'ladder-api' | 'ladder-client') => ratiosByRound(ofSide(side), ofSide('baseline'));
    return {
      n,
      perSide,
      ratio: { 'ladder-api': paired('ladder-api'), 'ladder-client': paired('ladder-client') },
    };
  });
}

/** What a task costs on `side`, over all of its batches; null when the side ran none. Pure. */
export function sideCost(batches: readonly BatchResult[], side: Side): SideCost | null {
  const mine = batches.filter((b) => b.side === side);
  if (mine.length === 0) return null;
  const tasks = mine.reduce((sum, b) => sum + b.n, 0);
  const entity = mine.filter((b) => b.entityEventsPerTask !== undefined);
  const largest = Math.max(...mine.map((b) => b.n));
  const burst = mine.filter((b) => b.n === largest);
  return {
    side,
    tasks,
    history: meanCounts(mine.map((b) => b.history)),
    entityEventsPerTask:
      entity.length === 0
        ? null
        : entity.reduce((sum, b) => sum + b.entityEventsPerTask! * b.n, 0) /
          entity.reduce((sum, b) => sum + b.n, 0),
    cpuMsPerTask: weightedByBatch(mine, (b) => b.cpuMsPerTask),
    slackCallsPerTask: weightedByBatch(mine, (b) => b.slackCallsPerTask),
    serverOpsPerTask: serverOpsOf(mine),
    workerPeakRssMiB: Math.max(...mine.map((b) => b.workerRssMiB.peak)),
    submitRetries: mine.reduce(
      (acc, b) => {
        acc.count += b.submitRetries.count;
        for (const [reason, n] of Object.entries(b.submitRetries.reasons))
          acc.reasons[reason] = (acc.reasons[reason] ?? 0) + n;
        return acc;
      },
      { count: 0, reasons: {} as Record<string, number> },
    ),
    otherLoadCores: {
      mean: mine.reduce((sum, b) => sum + b.otherLoadCores, 0) / mine.length,
      max: Math.max(...mine.map((b) => b.otherLoadCores)),
    },
    burst: {
      n: largest,
      p50Ms: median(burst.map((b) => b.taskWallMs.p50)),
      p99Ms: median(burst.map((b) => b.taskWallMs.p99)),
    },
  };
}

/**
 * The table rows of what a task asked of the Temporal server (entity workflows included), when
 * any side read the server's metrics. Pure.
 */
function serverOpRows(costs: readonly SideCost[]): string[][] {
  if (costs.every((c) => c.serverOpsPerTask === null)) return [];
  const row = (label: string, pick: (ops: ServerOps) => number[]): string[] => [
    label,
    ...costs.map((c) =>
      c.serverOpsPerTask
        ? pick(c.serverOpsPerTask)
            .map((v) => num(v, 2))
            .join(' / ')
        : '–',
    ),
  ];
  return [
    row('server: workflow tasks / activity tasks (of them through matching, not eager)', (o) => [
      o.workflowTasks,
      o.activityTasks,
      o.activitiesViaMatching,
    ]),
    row('server: queries / describes / updates (+ with start) / signals (+ with start) / heartbeats', (o) => [
      o.queries,
      o.describes,
      o.updates + o.multiOperations,
      o.signals + o.signalsWithStart,
      o.heartbeats,
    ]),
    row('server writes: mutable state / visibility', (o) => [o.mutableStateWrites, o.visibilityWrites]),
  ];
}

/**
 * Per-task figures averaged over `batches`, each weighted by its size; a key a batch lacks counts
 * 0 there. Pure.
 */
function weightedByBatch(
  batches: readonly BatchResult[],
  pick: (b: BatchResult) => Readonly<Record<string, number>>,
): Record<string, number> {
  const tasks = batches.reduce((sum, b) => sum + b.n, 0);
  const keys = new Set(batches.flatMap((b) => Object.keys(pick(b))));
  return Object.fromEntries(
    [...keys].sort().map((k) => [k, batches.reduce((sum, b) => sum + (pick(b)[k] ?? 0) * b.n, 0) / tasks]),
  );
}

/** Server operations per task over the batches that read them, weighted by batch size; null when none did. */
function serverOpsOf(batches: readonly BatchResult[]): ServerOps | null {
  const read = batches.filter((b) => b.serverOpsPerTask !== undefined);
  return read.length === 0 ? null : (weightedByBatch(read, (b) => b.serverOpsPerTask!) as ServerOps);
}

/** The approval result of one path and mode, if that phase ran. Pure. */
export function approvalOf(
  approvals: readonly ApprovalResult[],
  path: AnswerPath,
  mode: ApprovalResult['mode'],
): ApprovalResult | undefined {
  return approvals.find((a) => a.path === path && a.mode === mode);
}

/**
 * Issue 11's targets that this benchmark measures, checked against this run. Pure.
 *
 * The click targets apply to the Slack path; when it did not run, the client path stands in and
 * says so in the name.
 */
export function targetChecks(
  rows: readonly ThroughputRow[],
  approvals: readonly ApprovalResult[],
  failures: readonly BatchFailure[] = [],
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const row of rows) {
    for (const side of ['ladder-api', 'ladder-client'] as const) {
      const r = row.ratio[side].median;
      const failed = failures.filter((f) => f.side === side && f.n === row.n).length;
      const path = side === 'ladder-api' ? 'HTTP API' : 'TypeScript client';
      checks.push({
        // A batch Ladder could not finish misses the target whatever the others measured.
        name: `rung-3 throughput vs baseline, N = ${row.n}, ${path}${failed > 0 ? ` (${failed} batch(es) FAILED)` : ''}`,
        value: r,
        target: '≥ 0.9',
        met: failed > 0 ? false : Number.isNaN(r) ? null : r >= 0.9,
      });
    }
  }
  const click = approvalOf(approvals, 'ladder-click', 'sequential') ? 'ladder-click' : 'ladder-client';
  const via = click === 'ladder-click' ? 'Slack Approve click' : 'signed client answer (no click phase ran)';
  const seq = approvalOf(approvals, click, 'sequential');
  if (seq)
    checks.push({
      name: `${via} → step started, unloaded p99 (ms)`,
      value: seq.answerToStepMs.p99,
      target: '≤ 250',
      met: seq.answerToStepMs.p99 <= 250,
    });
  const conc = approvalOf(approvals, click, 'concurrent');
  const base = approvalOf(approvals, 'baseline', 'concurrent');
  if (conc && base) {
    const r = ratio(conc.answerToStepMs.p99, base.answerToStepMs.p99);
    checks.push({
      name: `${via} → step started, ${conc.count} at ${conc.concurrency} concurrent, p99 vs bare update → activity`,
      value: r,
      target: '≤ 1.5×',
      met: Number.isNaN(r) ? null : r <= 1.5,
    });
  }
  const clickConc = approvalOf(approvals, 'ladder-click', 'concurrent');
  if (clickConc)
    checks.push({
      name: `Slack ack p99 at ${clickConc.concurrency} concurrent (ms)`,
      value: clickConc.answerAckMs.p99,
      target: '≤ 50',
      met: clickConc.answerAckMs.p99 <= 50,
    });
  return checks;
}

/** How each side is named in the tables. */
export const SIDE_NAMES: Record<Side, string> = {
  'ladder-api': 'Ladder (HTTP API)',
  'ladder-client': 'Ladder (TS client)',
  baseline: 'bare Temporal',
  'baseline-decision': 'bare + decision',
  'baseline-decision-sa': 'bare + decision + search attributes',
  'baseline-guarded': 'bare + all guards (+ reads)',
};
const PATH_NAMES: Record<AnswerPath, string> = {
  'ladder-client': 'Ladder, signed answer via client',
  'ladder-click': 'Ladder, Slack Approve click',
  baseline: 'bare Temporal, update',
};

/** How a phase's answers were sent, for its row. */
function modeLabel(a: ApprovalResult): string {
  if (a.mode === 'sequential') return 'one at a time';
  if (a.mode === 'burst') return `a burst: ${a.concurrency} lanes, each clicking again once acked`;
  return `${a.concurrency} concurrent`;
}

/** `v` with `digits` decimals, or – when it was not measured. Pure. */
export function num(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

/** `median (min–max)`, or just the median when there was one round, or – when nothing was measured. */
export function range(r: { min: number; median: number; max: number }): string {
  if (Number.isNaN(r.median)) return '–';
  return r.min === r.max ? num(r.median, 2) : `${num(r.median, 2)} (${num(r.min, 2)}–${num(r.max, 2)})`;
}

function ms(s: LatencySummary): string {
  return `${num(s.p50, 0)} / ${num(s.p99, 0)}`;
}

/** A markdown table from rows of cells; the first row is the header. Pure. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

/** The figures as markdown tables: throughput, per-task cost, approvals, targets. Pure. */
export function markdownReport(
  rows: readonly ThroughputRow[],
  costs: readonly (SideCost | null)[],
  approvals: readonly ApprovalResult[],
  checks: readonly TargetCheck[],
  failures: readonly BatchFailure[] = [],
): string {
  const out: string[] = [];
  out.push(
    markdownTable([
      [
        'rung-3 throughput (tasks/s, median of rounds)',
        ...SIDES.map((s) => SIDE_NAMES[s]),
        'ratio API',
        'ratio client',
      ],
      ...rows.map((r) => [
        `N = ${r.n} (${r.perSide.baseline.rounds.length} round(s))`,
        ...SIDES.map((s) => num(r.perSide[s].median)),
        range(r.ratio['ladder-api']),
        range(r.ratio['ladder-client']),
      ]),
    ]),
  );
  const present = costs.filter((c): c is SideCost => c !== null);
  const cpu = (c: SideCost, name: string): string => num(c.cpuMsPerTask[name], 1);
  const calls = (c: SideCost): string =>
    `${num(c.slackCallsPerTask.total, 2)} (${Object.entries(c.slackCallsPerTask)
      .filter(([k]) => k !== 'total')
      .map(([k, v]) => `${k} ${num(v, 2)}`)
      .join(', ')})`;
  out.push(
    '',
    markdownTable([
      ['per task', ...present.map((c) => SIDE_NAMES[c.side])],
      [
        'events / workflow tasks / activities / local activities',
        ...present.map(
          (c) =>
            `${num(c.history.events)} / ${num(c.history.workflowTasks)} / ${num(c.history.activities)} / ${num(c.history.localActivities)}`,
        ),
      ],
      [
        'events in entity workflows (ledgers, kill switch…)',
        ...present.map((c) => num(c.entityEventsPerTask)),
      ],
      ['worker CPU ms', ...present.map((c) => cpu(c, workerOf(c.side)))],
      ['dev-server CPU ms', ...present.map((c) => cpu(c, 'dev server'))],
      ['agent API CPU ms', ...present.map((c) => cpu(c, 'agent API'))],
      ['Slack emulator CPU ms', ...present.map((c) => cpu(c, 'Slack emulator'))],
      ['bench driver (client) CPU ms', ...present.map((c) => cpu(c, 'bench driver'))],
      ['Slack Web API calls', ...present.map(calls)],
      [
        `task wall time in a burst, p50 / p99 ms`,
        ...present.map((c) => `${num(c.burst.p50Ms, 0)} / ${num(c.burst.p99Ms, 0)} (N = ${c.burst.n})`),
      ],
      ...serverOpRows(present),
      ['worker RSS peak (MiB)', ...present.map((c) => num(c.workerPeakRssMiB, 0))],
      [
        'submissions refused for now and retried (all batches)',
        ...present.map((c) =>
          c.submitRetries.count === 0
            ? '0'
            : `${c.submitRetries.count}: ${Object.entries(c.submitRetries.reasons)
                .sort((a, b) => b[1] - a[1])
                .slice(0, 2)
                .map(([reason, n]) => `${n}× ${reason}`)
                .join('; ')}`,
        ),
      ],
      [
        'other processes on the machine meanwhile (cores, mean / max)',
        ...present.map((c) => `${num(c.otherLoadCores.mean, 2)} / ${num(c.otherLoadCores.max, 2)}`),
      ],
    ]),
  );
  if (failures.length > 0) {
    out.push(
      '',
      markdownTable([
        ['failed batch', 'why'],
        ...failures.map((f) => [
          `${SIDE_NAMES[f.side]}, N = ${f.n}, round ${f.round + 1}`,
          f.reason.slice(0, 400),
        ]),
      ]),
    );
  }
  if (approvals.length > 0) {
    out.push(
      '',
      markdownTable([
        [
          'approval → execute activity started',
          'answers',
          'p50 / p99 ms',
          'ack p50 / p99 ms',
          "app's own ack p50 / p99 ms (at most)",
          'p99 vs bare',
          'other load (cores)',
        ],
        ...approvals.map((a) => {
          const base = approvalOf(approvals, 'baseline', a.mode);
          return [
            `${PATH_NAMES[a.path]}, ${modeLabel(a)}`,
            String(a.count),
            ms(a.answerToStepMs),
            ms(a.answerAckMs),
            a.appAckMs ? `${num(a.appAckMs.p50AtMostMs, 0)} / ${num(a.appAckMs.p99AtMostMs, 0)}` : '',
            a.path === 'baseline' || !base
              ? ''
              : num(ratio(a.answerToStepMs.p99, base.answerToStepMs.p99), 2),
            num(a.otherLoadCores, 2),
          ];
        }),
      ]),
    );
  }
  if (checks.length > 0) out.push('', targetTable(checks));
  return out.join('\n');
}

/** A markdown table of target checks: name, measured, target, met / MISSED / not measured; '' for none. Pure. */
export function targetTable(checks: readonly TargetCheck[]): string {
  if (checks.length === 0) return '';
  return markdownTable([
    ['target (issue 11)', 'measured', 'target', 'result'],
    ...checks.map((c) => [
      c.name,
      num(c.value, 2),
      c.target,
      c.met === null ? 'not measured' : c.met ? 'met' : 'MISSED',
    ]),
  ]);
}
