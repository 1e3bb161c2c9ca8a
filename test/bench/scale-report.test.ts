import type { LatencySummary } from '../../bench/latency-stats';
import type { TimerRunResult } from '../../bench/tasks/report-timers';
import { addRssSample, type PhaseRss } from '../../bench/tasks/rss-sampler';
import {
  phasePeakMiB,
  timerTable,
  timerTargets,
  waitingTable,
  waitingTargets,
} from '../../bench/tasks/scale-report';
import { stalledRound, type WaitingRunResult } from '../../bench/tasks/waiting-round';
import { targetTable } from '../../bench/tasks/report';

const lat = (p50: number, p99: number, max = p99): LatencySummary => ({ count: 10, p50, p99, max });

function timers(
  side: TimerRunResult['side'],
  p99: number,
  measured = 500,
  dueWhileReporting = 0,
): TimerRunResult {
  return {
    side,
    timers: 500,
    measured,
    missing: [],
    spreadSeconds: 60,
    escalateAfterMs: 90_000,
    dueWhileReporting,
    figures: {
      lateness: lat(p99 / 2, p99),
      dueToFired: lat(2, 5),
      firedToScheduled: lat(20, p99 - 20),
      scheduledToStarted: lat(3, 15),
      dueSpreadSeconds: 59.8,
    },
    submitLagMs: lat(1, 4),
    submitRetries: { count: 0, reasons: {} },
    otherLoadCores: 0.1,
    workerPeakRssMiB: 400,
  };
}

function waiting(
  side: WaitingRunResult['side'],
  rates: { posted: number; approved: number },
  rss: { waiting: number; resolving: number },
  lost = 0,
): WaitingRunResult {
  const phases: Record<string, PhaseRss> = {
    idle: { samples: 1, peakMiB: 200, lastMiB: 200 },
    waiting: { samples: 40, peakMiB: rss.waiting, lastMiB: rss.waiting },
    resolving: { samples: 40, peakMiB: rss.resolving, lastMiB: 300 },
  };
  return {
    side,
    tasks: 10_000,
    submitSeconds: 60,
    posted: 10_000,
    postedSeconds: 10_000 / rates.posted,
    postedPerSecond: rates.posted,
    submitToPostedMs: lat(900, 2_000),
    approvedSeconds: 10_000 / rates.approved,
    approvedPerSecond: lost > 0 ? NaN : rates.approved,
    answerAckMs: lat(300, 900),
    completed: 10_000 - lost,
    lost,
    notCompleted: [],
    refused: { count: 0, examples: [] },
    submitRetries: { count: 0, reasons: {} },
    answerRetries: { count: 2, reasons: { 'Temporal: deadline': 2 } },
    workerRss: { phases, hwmMiB: Math.max(rss.waiting, rss.resolving) },
    otherLoadCores: { waiting: 0.2, resolving: 0.3 },
    cpuMsPerTask: {
      waiting: { [side === 'ladder' ? 'Ladder worker' : 'baseline worker']: 20, 'dev server': 10 },
      resolving: { [side === 'ladder' ? 'Ladder worker' : 'baseline worker']: 40, 'dev server': 30 },
    },
  };
}

describe('bench:timers figures', () => {
  it('meets the lateness target at p99 ≤ 200 ms and misses it above', () => {
    expect(timerTargets(timers('ladder', 180))).toEqual([
      expect.objectContaining({ value: 180, target: '≤ 200', met: true }),
    ]);
    expect(timerTargets(timers('ladder', 201))[0].met).toBe(false);
    expect(timerTargets(undefined)).toEqual([]);
  });

  it('misses the target when some timers could not be read from history, and says how many', () => {
    const [check] = timerTargets(timers('ladder', 50, 497));
    expect(check.met).toBe(false);
    expect(check.name).toContain('(3 not read from history)');
  });

  it('says in the target when timers came due while tasks were still reporting', () => {
    expect(timerTargets(timers('ladder', 50, 500, 12))[0]).toMatchObject({
      met: true,
      name: expect.stringContaining('(12 came due while tasks were still reporting)'),
    });
  });

  it('tabulates both sides with Ladder’s p99 as a ratio to the bare one', () => {
    const table = timerTable([timers('baseline', 100), timers('ladder', 150)]);
    const rows = table.split('\n');
    expect(rows).toHaveLength(4);
    expect(rows[2]).toContain('bare Temporal');
    expect(rows[3]).toContain('| 500 (500) | 90 | 59.8 | 0 | 75 / 150 / 150 |');
    expect(rows[3]).toContain('| 1.50 |');
  });
});

describe('bench:waiting figures', () => {
  const bare = waiting('baseline', { posted: 200, approved: 100 }, { waiting: 500, resolving: 550 });

  it('meets every target when RSS stays under 1 GiB, both rates reach 0.9× and nothing is lost', () => {
    const ladder = waiting('ladder', { posted: 190, approved: 95 }, { waiting: 900, resolving: 1000 });
    const checks = waitingTargets(ladder, bare);
    expect(checks.map((c) => [c.value, c.met])).toEqual([
      [900, true],
      [1000, true],
      [0.95, true],
      [0.95, true],
      [0, true],
    ]);
  });

  it('misses RSS above 1 GiB in either phase and rates below 0.9×', () => {
    const ladder = waiting('ladder', { posted: 170, approved: 95 }, { waiting: 1025, resolving: 900 });
    const met = waitingTargets(ladder, bare).map((c) => c.met);
    expect(met).toEqual([false, true, false, true, true]);
  });

  it('counts a lost task as a miss of the completion and rate targets', () => {
    const ladder = waiting('ladder', { posted: 200, approved: 100 }, { waiting: 500, resolving: 500 }, 1);
    const checks = waitingTargets(ladder, bare);
    expect(checks[4]).toMatchObject({ value: 1, met: false });
    expect(checks[3]).toMatchObject({ met: false });
    expect(checks[3].value).toBeNaN();
  });

  it('counts every task of a round whose requests stopped being posted as lost', () => {
    const stalled = stalledRound('ladder', 10_000, 90, 80, {
      stalled: 'requests stopped being posted: 90 of 10000 ladder requests posted',
      submitRetries: { count: 0, reasons: {} },
      workerRss: { phases: { waiting: { samples: 9, peakMiB: 1300, lastMiB: 1200 } }, hwmMiB: 1300 },
      otherLoadCores: 0.2,
    });
    expect(stalled).toMatchObject({ posted: 90, completed: 0, lost: 10_000 });
    expect(waitingTargets(stalled, bare).map((c) => c.met)).toEqual([false, null, false, false, false]);
    expect(waitingTable([bare, stalled])).toContain(
      '| requests posted / completed / lost | 90 / 0 / 10000 |',
    );
  });

  it("shows each side's worker and dev-server CPU per task, by phase, with the ratio of the sums", () => {
    const ladder = waiting('ladder', { posted: 200, approved: 100 }, { waiting: 500, resolving: 500 });
    ladder.cpuMsPerTask = {
      waiting: { 'Ladder worker': 30, 'dev server': 12 },
      resolving: { 'Ladder worker': 90, 'dev server': 48 },
    };
    const table = waitingTable([bare, ladder]);
    expect(table).toContain(
      '| worker CPU ms per task, waiting / resolving | 30.0 / 90.0 | 20.0 / 40.0 | 2.00 |',
    );
    expect(table).toContain(
      '| dev-server CPU ms per task, waiting / resolving | 12.0 / 48.0 | 10.0 / 30.0 | 1.50 |',
    );
  });

  it('leaves a rate unmeasured (not met, not missed) without a baseline', () => {
    const ladder = waiting('ladder', { posted: 200, approved: 100 }, { waiting: 500, resolving: 500 });
    expect(waitingTargets(ladder, undefined).map((c) => c.met)).toEqual([true, true, null, null, true]);
    expect(waitingTargets(undefined, bare)).toEqual([]);
  });

  it('reads a phase peak, NaN for a phase without readings', () => {
    const ladder = waiting('ladder', { posted: 1, approved: 1 }, { waiting: 700, resolving: 800 });
    expect(phasePeakMiB(ladder, 'resolving')).toBe(800);
    expect(phasePeakMiB(ladder, 'after')).toBeNaN();
  });

  it('tabulates both sides with ratios, and the targets with their results', () => {
    const ladder = waiting('ladder', { posted: 100, approved: 50 }, { waiting: 800, resolving: 900 });
    const table = waitingTable([bare, ladder]);
    expect(table).toContain('| submission → request posted (tasks/s) | 100.0 | 200.0 | 0.50 |');
    expect(table).toContain('| 200 / 800 / 900 / 900 | 200 / 500 / 550 / 550 | 1.64 |');
    expect(targetTable(waitingTargets(ladder, bare))).toContain('| MISSED |');
  });
});

describe('RSS readings by phase', () => {
  it('keeps the count, peak and last reading of each phase, skipping unreadable ones', () => {
    const phases: Record<string, PhaseRss> = {};
    addRssSample(phases, 'waiting', 1024 * 300);
    addRssSample(phases, 'waiting', 1024 * 500);
    addRssSample(phases, 'waiting', NaN);
    addRssSample(phases, 'waiting', 1024 * 400);
    addRssSample(phases, 'resolving', 1024 * 100);
    expect(phases).toEqual({
      waiting: { samples: 3, peakMiB: 500, lastMiB: 400 },
      resolving: { samples: 1, peakMiB: 100, lastMiB: 100 },
    });
  });
});
