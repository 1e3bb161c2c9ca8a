// The figures of bench:timers and bench:waiting, from their raw results: pure functions, so what
// the tables and targets say is tested apart from the processes that measured it.
import type { LatencySummary } from '../latency-stats';
import { ratio } from './figures';
import type { TimerRunResult } from './report-timers';
import { markdownTable, type TargetCheck } from './report';
import { WAITING_WORKER_OF, type WaitingRunResult } from './waiting-round';

/** Issue 11's bound on escalation timer lateness, p99 in ms. */
export const TIMER_LATENESS_P99_MS = 200;
/** Issue 11's bound on the worker's RSS with the waiting tasks, in MiB ("1 GB" read as 1 GiB). */
export const WORKER_RSS_LIMIT_MIB = 1024;
/** Issue 11's floor for Ladder's rates as a share of the bare workflow's. */
export const RATE_RATIO_FLOOR = 0.9;

function num(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits);
}

function ms(s: LatencySummary): string {
  return `${num(s.p50, 0)} / ${num(s.p99, 0)} / ${num(s.max, 0)}`;
}

/**
 * The timer target: Ladder's escalation lateness p99 within {@link TIMER_LATENESS_P99_MS}. A
 * round in which some escalations could not be read from history misses it, whatever the rest
 * measured. Pure.
 */
export function timerTargets(ladder: TimerRunResult | undefined): TargetCheck[] {
  if (!ladder) return [];
  const unread = ladder.timers - ladder.measured;
  const p99 = ladder.figures.lateness.p99;
  return [
    {
      name: `escalation timer lateness p99 (ms), ${ladder.timers} report timers over ${ladder.spreadSeconds} s${unread > 0 ? ` (${unread} not read from history)` : ''}${ladder.dueWhileReporting > 0 ? ` (${ladder.dueWhileReporting} came due while tasks were still reporting)` : ''}`,
      value: p99,
      target: `≤ ${TIMER_LATENESS_P99_MS}`,
      met: unread > 0 ? false : Number.isNaN(p99) ? null : p99 <= TIMER_LATENESS_P99_MS,
    },
  ];
}

const TIMER_SIDE_NAMES = { ladder: 'Ladder, rung-5 report', baseline: 'bare Temporal, sleep then post' };

/** The timer figures as a markdown table, one row per side, Ladder's p99 also as a ratio to the bare one. Pure. */
export function timerTable(results: readonly TimerRunResult[]): string {
  const bare = results.find((r) => r.side === 'baseline');
  return markdownTable([
    [
      'escalation timer → activity started',
      'timers (read)',
      'escalates after (s)',
      'due times spread (s)',
      'due while tasks still reporting',
      'lateness p50 / p99 / max ms',
      'p99 vs bare',
      'due → fired p99 ms',
      'fired → scheduled p99 ms',
      'scheduled → started p99 ms',
      'other load (cores)',
    ],
    ...results.map((r) => [
      TIMER_SIDE_NAMES[r.side],
      `${r.timers} (${r.measured})`,
      num(r.escalateAfterMs / 1000, 0),
      num(r.figures.dueSpreadSeconds),
      String(r.dueWhileReporting),
      ms(r.figures.lateness),
      r.side === 'baseline' || !bare ? '' : num(ratio(r.figures.lateness.p99, bare.figures.lateness.p99), 2),
      num(r.figures.dueToFired.p99, 0),
      num(r.figures.firedToScheduled.p99, 0),
      num(r.figures.scheduledToStarted.p99, 0),
      num(r.otherLoadCores, 2),
    ]),
  ]);
}

/** The peak RSS the sampler saw in `phase`, NaN when it took no reading there. Pure. */
export function phasePeakMiB(r: WaitingRunResult, phase: string): number {
  return r.workerRss.phases[phase]?.peakMiB ?? NaN;
}

/**
 * The waiting targets, for Ladder against the bare workflow of the same run: worker RSS within
 * {@link WORKER_RSS_LIMIT_MIB} while waiting and while resolving, both rates at least
 * {@link RATE_RATIO_FLOOR} of the bare one's, and every task completed. Pure.
 */
export function waitingTargets(
  ladder: WaitingRunResult | undefined,
  baseline: WaitingRunResult | undefined,
): TargetCheck[] {
  if (!ladder) return [];
  const checks: TargetCheck[] = [];
  for (const [phase, words] of [
    ['waiting', 'while waiting'],
    ['resolving', 'while they resolve'],
  ] as const) {
    const peak = phasePeakMiB(ladder, phase);
    checks.push({
      name: `Ladder worker RSS ${words}, ${ladder.tasks} rung-2 tasks, sampled peak (MiB)`,
      value: peak,
      target: `≤ ${WORKER_RSS_LIMIT_MIB} (1 GiB)`,
      met: Number.isNaN(peak) ? null : peak <= WORKER_RSS_LIMIT_MIB,
    });
  }
  const rates = [
    ['submission → request posted rate', ladder.postedPerSecond, baseline?.postedPerSecond],
    [
      'bulk-approval rate (signed answers, client path)',
      ladder.approvedPerSecond,
      baseline?.approvedPerSecond,
    ],
  ] as const;
  for (const [what, mine, bare] of rates) {
    const r = ratio(mine, bare ?? NaN);
    checks.push({
      name: `${what}, ${ladder.tasks} tasks, vs bare workflow`,
      value: r,
      target: `≥ ${RATE_RATIO_FLOOR}`,
      // Lost tasks leave no rate (NaN): that misses the target rather than going unmeasured.
      met: ladder.lost > 0 ? false : Number.isNaN(r) ? null : r >= RATE_RATIO_FLOOR,
    });
  }
  checks.push({
    name: `waiting tasks that did not complete, of ${ladder.tasks}`,
    value: ladder.lost,
    target: '0',
    met: ladder.lost === 0,
  });
  return checks;
}

const WAITING_SIDE_NAMES = { ladder: 'Ladder, rung 2', baseline: 'bare Temporal, update' };

/** A process's CPU ms per task while waiting and while resolving, as `w / r`. Pure. */
function cpuPair(r: WaitingRunResult, name: string): string {
  return `${num(r.cpuMsPerTask.waiting[name], 1)} / ${num(r.cpuMsPerTask.resolving[name], 1)}`;
}

/** A process's CPU ms per task over the whole round. Pure. */
function cpuSum(r: WaitingRunResult, name: string): number {
  return (r.cpuMsPerTask.waiting[name] ?? NaN) + (r.cpuMsPerTask.resolving[name] ?? NaN);
}

/** The waiting figures as a markdown table, one column per side and a ratio column. Pure. */
export function waitingTable(results: readonly WaitingRunResult[]): string {
  const ladder = results.find((r) => r.side === 'ladder');
  const bare = results.find((r) => r.side === 'baseline');
  const sides = [ladder, bare].filter((r): r is WaitingRunResult => r !== undefined);
  const row = (
    what: string,
    cell: (r: WaitingRunResult) => string,
    value?: (r: WaitingRunResult) => number,
  ): string[] => [
    what,
    ...sides.map(cell),
    ladder && bare && value ? num(ratio(value(ladder), value(bare)), 2) : '',
  ];
  return markdownTable([
    [
      `${sides[0]?.tasks ?? ''} waiting tasks`,
      ...sides.map((r) => WAITING_SIDE_NAMES[r.side]),
      'Ladder / bare',
    ],
    row(
      'submission → request posted (tasks/s)',
      (r) => num(r.postedPerSecond),
      (r) => r.postedPerSecond,
    ),
    row('per task, submission → request posted, p50 / p99 / max ms', (r) => ms(r.submitToPostedMs)),
    row(
      'bulk approval, first answer → last task closed (tasks/s)',
      (r) => num(r.approvedPerSecond),
      (r) => r.approvedPerSecond,
    ),
    row('answer acknowledged, p50 / p99 / max ms', (r) => ms(r.answerAckMs)),
    row(
      'worker RSS MiB: idle before / peak waiting / peak resolving / kernel peak',
      (r) =>
        `${num(r.workerRss.phases.idle?.lastMiB, 0)} / ${num(phasePeakMiB(r, 'waiting'), 0)} / ${num(phasePeakMiB(r, 'resolving'), 0)} / ${num(r.workerRss.hwmMiB, 0)}`,
      (r) => Math.max(phasePeakMiB(r, 'waiting'), phasePeakMiB(r, 'resolving')),
    ),
    row(
      'worker CPU ms per task, waiting / resolving',
      (r) => cpuPair(r, WAITING_WORKER_OF[r.side]),
      (r) => cpuSum(r, WAITING_WORKER_OF[r.side]),
    ),
    row(
      'dev-server CPU ms per task, waiting / resolving',
      (r) => cpuPair(r, 'dev server'),
      (r) => cpuSum(r, 'dev server'),
    ),
    row('requests posted / completed / lost', (r) => `${r.posted} / ${r.completed} / ${r.lost}`),
    row('answers refused at once / retried', (r) => `${r.refused.count} / ${r.answerRetries.count}`),
    row('submissions retried', (r) => String(r.submitRetries.count)),
    row(
      'other load while waiting / resolving (cores)',
      (r) => `${num(r.otherLoadCores.waiting, 2)} / ${num(r.otherLoadCores.resolving, 2)}`,
    ),
  ]);
}
