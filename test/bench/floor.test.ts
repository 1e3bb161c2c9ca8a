import { parseFloorBenchOptions } from '../../bench/floor';
import type { BatchResult } from '../../bench/tasks/batches';
import { FLOOR_SIDES, isLadderSide, type Side } from '../../bench/tasks/figures';
import { floorFigures, floorMarkdown } from '../../bench/tasks/floor-report';
import { countHistory } from '../../bench/tasks/history-counts';
import type { ServerOps } from '../../bench/tasks/server-ops';

const WORKER: Record<string, string> = {
  'ladder-client': 'Ladder worker',
  baseline: 'baseline worker',
  'baseline-decision': 'baseline worker',
  'baseline-guarded': 'baseline worker',
};

/** What each side of a floor run costs per task in these tests. */
const SHAPE: Record<
  string,
  { events: number; las: number; upserts: number; describes: number; worker: number; server: number }
> = {
  baseline: { events: 17, las: 0, upserts: 0, describes: 0, worker: 24, server: 45 },
  'baseline-decision': { events: 18, las: 1, upserts: 0, describes: 0, worker: 27, server: 47 },
  'baseline-guarded': { events: 20, las: 1, upserts: 2, describes: 2, worker: 30, server: 50 },
  'ladder-client': { events: 20, las: 1, upserts: 2, describes: 1.75, worker: 37, server: 55 },
};

function batch(side: Side, round: number, tasksPerSecond: number): BatchResult {
  const s = SHAPE[side];
  return {
    side,
    n: 300,
    round,
    label: `${side} ${round}`,
    tasksPerSecond,
    seconds: 300 / tasksPerSecond,
    submitSeconds: 1,
    submitRetries: { count: 0, reasons: {} },
    taskWallMs: { count: 300, p50: 500, p99: 900, max: 900 },
    cpuMsPerTask: { [WORKER[side]]: s.worker, 'dev server': s.server },
    otherLoadCores: 0,
    workerRssMiB: { now: 300, peak: 400 },
    slackCallsPerTask: { total: 1 },
    history: {
      ...countHistory([]),
      events: s.events,
      workflowTasks: 3,
      activities: 2,
      localActivities: s.las,
      eventTypes: s.upserts > 0 ? { UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: s.upserts } : {},
    },
    historySample: 10,
    serverOpsPerTask: { describes: s.describes } as ServerOps,
  };
}

const batches: BatchResult[] = [
  batch('ladder-client', 0, 18),
  batch('baseline', 0, 24),
  batch('baseline-guarded', 0, 21),
  batch('baseline-guarded', 1, 19),
  batch('baseline', 1, 20),
  batch('ladder-client', 1, 16),
  batch('baseline-decision', 0, 23),
  batch('baseline-decision', 1, 20),
];

describe('bench:floor', () => {
  it('climbs from the bare workflow one guard at a time to Ladder; only Ladder must end executed', () => {
    expect(FLOOR_SIDES).toEqual([
      'baseline',
      'baseline-decision',
      'baseline-decision-sa',
      'baseline-guarded',
      'ladder-client',
    ]);
    expect(FLOOR_SIDES.filter(isLadderSide)).toEqual(['ladder-client']);
  });

  it('pairs every ratio round by round: the floor, Ladder over bare, Ladder over the floor', () => {
    const [row] = floorFigures(batches, [300]).rows;
    expect(row.perSide.baseline).toEqual({ rounds: [24, 20], median: 22 });
    expect(row.perSide['baseline-decision-sa']).toEqual({ rounds: [], median: NaN });
    // 21/24 = 0.875 and 19/20 = 0.95
    expect(row.floor.min).toBeCloseTo(0.875);
    expect(row.floor.max).toBeCloseTo(0.95);
    expect(row.ladder.min).toBeCloseTo(0.75);
    expect(row.ladder.max).toBeCloseTo(0.8);
    expect(row.ladderOverFloor.min).toBeCloseTo(16 / 19);
    expect(row.ladderOverFloor.max).toBeCloseTo(18 / 21);
  });

  it('prices each step between neighbours that ran, skipping a side that did not', () => {
    const { steps } = floorFigures(batches, [300]);
    expect(steps.map((s) => [s.from, s.to])).toEqual([
      ['baseline', 'baseline-decision'],
      ['baseline-decision', 'baseline-guarded'],
      ['baseline-guarded', 'ladder-client'],
    ]);
    expect(steps[0]).toEqual({
      from: 'baseline',
      to: 'baseline-decision',
      events: 1,
      workflowTasks: 0,
      localActivities: 1,
      upserts: 0,
      describes: 0,
      workerCpuMs: 3,
      serverCpuMs: 2,
    });
    expect(steps[2]).toEqual({
      from: 'baseline-guarded',
      to: 'ladder-client',
      events: 0,
      workflowTasks: 0,
      localActivities: 0,
      upserts: 0,
      describes: -0.25,
      workerCpuMs: 7,
      serverCpuMs: 5,
    });
    const md = floorMarkdown(floorFigures(batches, [300]));
    expect(md).toContain(
      '| bare + decision → bare + all guards (+ reads) | +2.0 | +0.0 | +0.0 | +2.0 | +2.00 | +3.0 | +3.0 |',
    );
    expect(md).toContain(
      '| N = 300 (2 round(s)) | 22.0 | 21.5 | – | 20.0 | 17.0 | 0.91 (0.88–0.95) | 0.78 (0.75–0.80) | 0.85 (0.84–0.86) |',
    );
  });

  it('shows – for a size that was not measured', () => {
    const f = floorFigures(batches, [300, 1000]);
    expect(Number.isNaN(f.rows[1].floor.median)).toBe(true);
    expect(floorMarkdown(f)).toContain('| N = 1000 (0 round(s)) | – | – | – | – | – | – | – | – |');
  });

  it('runs three rounds of 300 by default, two of 100 with --quick, and refuses a bad size by name', () => {
    expect(parseFloorBenchOptions([])).toMatchObject({
      n: 300,
      rounds: 3,
      submitConcurrency: 50,
      out: 'bench/results/floor.json',
    });
    expect(parseFloorBenchOptions(['--quick'])).toMatchObject({
      n: 100,
      rounds: 2,
      out: 'bench/results/floor-quick.json',
    });
    expect(() => parseFloorBenchOptions(['--n', 'lots'])).toThrow(
      /--n.*expected a whole number ≥ 10, got "lots"/,
    );
  });
});
