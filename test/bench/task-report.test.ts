import type { ApprovalResult } from '../../bench/tasks/approvals';
import type { BatchResult } from '../../bench/tasks/batches';
import type { Side } from '../../bench/tasks/figures';
import { countHistory } from '../../bench/tasks/history-counts';
import {
  markdownReport,
  markdownTable,
  sideCost,
  targetChecks,
  throughputRows,
} from '../../bench/tasks/report';

const summary = (p50: number, p99: number) => ({ count: 10, p50, p99, max: p99 });

function batch(
  side: Side,
  n: number,
  round: number,
  tasksPerSecond: number,
  extra: Partial<BatchResult> = {},
): BatchResult {
  return {
    side,
    n,
    round,
    label: `${side} ${n} ${round}`,
    tasksPerSecond,
    seconds: n / tasksPerSecond,
    submitSeconds: 1,
    submitRetries: { count: 0, reasons: {} },
    taskWallMs: summary(1000 * round + 100, 1000 * round + 900),
    cpuMsPerTask: { [side === 'baseline' ? 'baseline worker' : 'Ladder worker']: 10, 'dev server': 20 },
    otherLoadCores: 0.5,
    workerRssMiB: { now: 200, peak: 250 + round },
    slackCallsPerTask: { total: 1, 'chat.postMessage': 1 },
    history: { ...countHistory([]), events: side === 'baseline' ? 11 : 58, workflowTasks: 2 },
    historySample: 5,
    ...(side === 'baseline' ? {} : { entityEventsPerTask: 4 }),
    ...extra,
  };
}

function approval(
  path: ApprovalResult['path'],
  mode: ApprovalResult['mode'],
  p99: number,
  ackP99 = 20,
): ApprovalResult {
  return {
    path,
    mode,
    count: 100,
    concurrency: mode === 'sequential' ? 1 : 20,
    answerToStepMs: summary(p99 / 2, p99),
    answerAckMs: summary(ackP99 / 2, ackP99),
    fromHistory: 100,
    fromFileTime: 0,
    prepareRetries: { count: 0, reasons: {} },
    otherLoadCores: 0.1,
  };
}

const batches: BatchResult[] = [
  batch('ladder-api', 300, 0, 5),
  batch('ladder-client', 300, 0, 6),
  batch('baseline', 300, 0, 25),
  batch('baseline', 300, 1, 50),
  batch('ladder-client', 300, 1, 10),
  batch('ladder-api', 300, 1, 45),
];

describe('task benchmark report', () => {
  it('pairs each Ladder round with the baseline of the same round', () => {
    const [row] = throughputRows(batches, [300]);
    expect(row.perSide.baseline).toEqual({ rounds: [25, 50], median: 37.5 });
    expect(row.perSide['ladder-api'].rounds).toEqual([5, 45]);
    expect(row.ratio['ladder-api']).toEqual({ min: 0.2, median: 0.55, max: 0.9 });
    expect(row.ratio['ladder-client']).toEqual({ min: 0.2, median: 0.22, max: 0.24 });
  });

  it('weights per-task cost by batch size and takes the burst from the largest batches', () => {
    const cost = sideCost(
      [
        batch('baseline', 100, 0, 30, { cpuMsPerTask: { 'baseline worker': 40 } }),
        batch('baseline', 300, 0, 30, { cpuMsPerTask: { 'baseline worker': 20 } }),
        batch('baseline', 300, 1, 30, { cpuMsPerTask: { 'baseline worker': 20 } }),
      ],
      'baseline',
    )!;
    expect(cost.tasks).toBe(700);
    expect(cost.cpuMsPerTask['baseline worker']).toBeCloseTo((40 * 100 + 20 * 600) / 700);
    expect(cost.burst).toEqual({ n: 300, p50Ms: 600, p99Ms: 1400 });
    expect(cost.entityEventsPerTask).toBeNull();
    expect(cost.workerPeakRssMiB).toBe(251);
    expect(sideCost(batches, 'ladder-api')!.entityEventsPerTask).toBe(4);
    expect(sideCost([], 'baseline')).toBeNull();
  });

  it('reports what a task asked of the server, weighted by batch size, only where it was read', () => {
    const ops = (workflowTasks: number, queries: number) => ({
      workflowTasks,
      activityTasks: 2,
      activitiesViaMatching: 0,
      queries,
      describes: 0.75,
      updates: 0,
      multiOperations: 0.5,
      signals: 0.25,
      signalsWithStart: 0,
      heartbeats: 0,
      mutableStateWrites: 10,
      visibilityWrites: 3,
    });
    const read = [
      batch('ladder-client', 100, 0, 10, { serverOpsPerTask: ops(4, 2) }),
      batch('ladder-client', 300, 1, 10, { serverOpsPerTask: ops(3, 1) }),
      batch('baseline', 300, 0, 30),
    ];
    const ladder = sideCost(read, 'ladder-client')!;
    expect(ladder.serverOpsPerTask!.workflowTasks).toBeCloseTo((4 * 100 + 3 * 300) / 400);
    expect(ladder.serverOpsPerTask!.queries).toBeCloseTo(1.25);
    expect(sideCost(read, 'baseline')!.serverOpsPerTask).toBeNull();
    const text = markdownReport(throughputRows(read, [300]), [ladder, sideCost(read, 'baseline')], [], []);
    expect(text).toContain(
      '| server: queries / describes / updates (+ with start) / signals (+ with start) / heartbeats | 1.25 / 0.75 / 0.50 / 0.25 / 0.00 | – |',
    );
    expect(text).toContain('| server writes: mutable state / visibility | 10.00 / 3.00 | – |');
    // Without a reading on any side, no server rows at all.
    expect(
      markdownReport(throughputRows(batches, [300]), [sideCost(batches, 'baseline')], [], []),
    ).not.toContain('server writes');
  });

  it('checks the throughput and approval targets, preferring the click path', () => {
    const rows = throughputRows(batches, [300]);
    const approvals = [
      approval('ladder-client', 'sequential', 300),
      approval('ladder-click', 'sequential', 240),
      approval('baseline', 'concurrent', 1000),
      approval('ladder-click', 'concurrent', 1600, 60),
      // A burst has no bare counterpart and no target: it is reported, not judged.
      approval('ladder-click', 'burst', 9000, 900),
    ];
    expect(targetChecks(rows, approvals).map((c) => [c.name, c.met])).toEqual([
      ['rung-3 throughput vs baseline, N = 300, HTTP API', false],
      ['rung-3 throughput vs baseline, N = 300, TypeScript client', false],
      ['Slack Approve click → step started, unloaded p99 (ms)', true],
      ['Slack Approve click → step started, 100 at 20 concurrent, p99 vs bare update → activity', false],
      ['Slack ack p99 at 20 concurrent (ms)', false],
    ]);
    const withoutClicks = targetChecks(rows, [approval('ladder-client', 'sequential', 200)]);
    expect(withoutClicks[2]).toMatchObject({
      name: 'signed client answer (no click phase ran) → step started, unloaded p99 (ms)',
      value: 200,
      met: true,
    });
  });

  it('writes markdown tables with escaped cells and a row per figure', () => {
    expect(
      markdownTable([
        ['a', 'b|c'],
        ['1', '2'],
      ]),
    ).toBe('| a | b\\|c |\n| --- | --- |\n| 1 | 2 |');
    const rows = throughputRows(batches, [300]);
    const text = markdownReport(
      rows,
      (['ladder-api', 'ladder-client', 'baseline'] as const).map((s) => sideCost(batches, s)),
      [
        approval('ladder-client', 'sequential', 300),
        approval('baseline', 'sequential', 100),
        {
          ...approval('ladder-click', 'sequential', 400, 60),
          appAckMs: { count: 100, p50AtMostMs: 5, p99AtMostMs: 25 },
        },
        approval('ladder-click', 'burst', 2000, 300),
      ],
      targetChecks(rows, []),
    );
    expect(text).toContain(
      '| N = 300 (2 round(s)) | 25.0 | 8.0 | 37.5 | 0.55 (0.20–0.90) | 0.22 (0.20–0.24) |',
    );
    expect(text).toContain(
      '| events / workflow tasks / activities / local activities | 58.0 / 2.0 / 0.0 / 0.0 |',
    );
    expect(text).toContain(
      '| Ladder, signed answer via client, one at a time | 100 | 150 / 300 | 10 / 20 |  | 3.00 | 0.10 |',
    );
    // A click's ack measured from the emulator, beside the app's own (its handler entered → ack sent).
    expect(text).toContain(
      '| Ladder, Slack Approve click, one at a time | 100 | 200 / 400 | 30 / 60 | 5 / 25 | 4.00 | 0.10 |',
    );
    expect(text).toContain(
      '| Ladder, Slack Approve click, a burst: 20 lanes, each clicking again once acked | 100 | 1000 / 2000 | 150 / 300 |  |  | 0.10 |',
    );
    expect(text).toContain('| rung-3 throughput vs baseline, N = 300, HTTP API | 0.55 | ≥ 0.9 | MISSED |');
  });

  it('counts a failed batch as a missed target and lists why it failed', () => {
    const rows = throughputRows(batches, [300, 1000]);
    const failures = [
      { side: 'ladder-api' as const, n: 1000, round: 0, reason: '503 cannot check the token now' },
    ];
    const checks = targetChecks(rows, [], failures);
    expect(checks.map((c) => [c.name, c.met])).toEqual([
      ['rung-3 throughput vs baseline, N = 300, HTTP API', false],
      ['rung-3 throughput vs baseline, N = 300, TypeScript client', false],
      ['rung-3 throughput vs baseline, N = 1000, HTTP API (1 batch(es) FAILED)', false],
      ['rung-3 throughput vs baseline, N = 1000, TypeScript client', null],
    ]);
    const text = markdownReport(rows, [], [], checks, failures);
    expect(text).toContain('| Ladder (HTTP API), N = 1000, round 1 | 503 cannot check the token now |');
    expect(text).toContain('| N = 1000 (0 round(s)) | – | – | – | – | – |');
  });
});
