// `bench:floor`'s figures (issue 11: "if a figure stays out of reach, report the floor with the cost
// of each remaining event and workflow task"). The sides run in interleaved rounds, from the bare
// workflow up one guard at a time to the guarded bare workflow (every guard a rung-3 task needs),
// then Ladder's rung-3 task. The guarded one over the bare one is the floor the guarantees set;
// Ladder over the guarded one is what Ladder's own code costs on top; each step between neighbours
// prices one piece. Pure functions, tested apart from the processes that measured.
import type { BatchResult } from './batches';
import { FLOOR_SIDES, median, workerOf, type Side } from './figures';
import { markdownTable, num, range, ratiosByRound, SIDE_NAMES, sideCost, type SideCost } from './report';

/** Throughput of one batch size on each floor side, and the paired ratios to the bare workflow. */
export interface FloorRow {
  n: number;
  /** Tasks per second of each round, and their median, by side. */
  perSide: Partial<Record<Side, { rounds: number[]; median: number }>>;
  /** The guarded bare workflow over the bare one, round by round: the floor. */
  floor: { min: number; median: number; max: number };
  /** Ladder over the bare workflow, round by round (what `bench:tasks` reports as the ratio). */
  ladder: { min: number; median: number; max: number };
  /** Ladder over the guarded bare workflow, round by round: Ladder's own share. */
  ladderOverFloor: { min: number; median: number; max: number };
}

/** What one extra piece of a task costs between two sides, per task. */
export interface FloorStep {
  from: Side;
  to: Side;
  /** Extra history events, workflow tasks, local activities and upserts per task. */
  events: number;
  workflowTasks: number;
  localActivities: number;
  upserts: number;
  /** Extra describes per task (entity reads). */
  describes: number;
  /** Extra CPU ms per task in the side's worker and in the dev server. */
  workerCpuMs: number;
  serverCpuMs: number;
}

/** Everything a floor run reports. */
export interface FloorFigures {
  rows: FloorRow[];
  costs: SideCost[];
  /** Between neighbours of {@link FLOOR_SIDES} that ran: one guard each, then Ladder's own code. */
  steps: FloorStep[];
}

/** Throughput rows and per-task costs of a floor run, from its batches. Pure. */
export function floorFigures(batches: readonly BatchResult[], sizes: readonly number[]): FloorFigures {
  const rows = sizes.map((n): FloorRow => {
    const ofSide = (side: Side): BatchResult[] =>
      batches.filter((b) => b.n === n && b.side === side).sort((a, b) => a.round - b.round);
    const perSide: FloorRow['perSide'] = {};
    for (const side of FLOOR_SIDES) {
      const rounds = ofSide(side).map((b) => b.tasksPerSecond);
      perSide[side] = { rounds, median: median(rounds) };
    }
    return {
      n,
      perSide,
      floor: ratiosByRound(ofSide('baseline-guarded'), ofSide('baseline')),
      ladder: ratiosByRound(ofSide('ladder-client'), ofSide('baseline')),
      ladderOverFloor: ratiosByRound(ofSide('ladder-client'), ofSide('baseline-guarded')),
    };
  });
  const costs = FLOOR_SIDES.map((side) => sideCost(batches, side)).filter((c): c is SideCost => c !== null);
  // A side that did not run is skipped: the step from the one before it goes to the one after.
  const steps = costs.slice(1).map((to, i) => stepBetween(costs[i], to));
  return { rows, costs, steps };
}

function upserts(c: SideCost): number {
  return c.history.eventTypes.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES ?? 0;
}

function workerCpu(c: SideCost): number {
  return c.cpuMsPerTask[workerOf(c.side)] ?? NaN;
}

function stepBetween(a: SideCost, b: SideCost): FloorStep {
  return {
    from: a.side,
    to: b.side,
    events: b.history.events - a.history.events,
    workflowTasks: b.history.workflowTasks - a.history.workflowTasks,
    localActivities: b.history.localActivities - a.history.localActivities,
    upserts: upserts(b) - upserts(a),
    describes: (b.serverOpsPerTask?.describes ?? NaN) - (a.serverOpsPerTask?.describes ?? NaN),
    workerCpuMs: workerCpu(b) - workerCpu(a),
    serverCpuMs: (b.cpuMsPerTask['dev server'] ?? NaN) - (a.cpuMsPerTask['dev server'] ?? NaN),
  };
}

function signed(v: number, digits = 1): string {
  return Number.isNaN(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;
}

/** The floor run as markdown: throughput and ratios, cost per task by side, and what each step adds. Pure. */
export function floorMarkdown(f: FloorFigures): string {
  const sides = FLOOR_SIDES;
  const throughput = markdownTable([
    [
      'rung-3 throughput (tasks/s, median of rounds)',
      ...sides.map((s) => SIDE_NAMES[s]),
      'floor: guarded / bare',
      'Ladder / bare',
      'Ladder / guarded',
    ],
    ...f.rows.map((r) => [
      `N = ${r.n} (${r.perSide.baseline?.rounds.length ?? 0} round(s))`,
      ...sides.map((s) => num(r.perSide[s]?.median)),
      range(r.floor),
      range(r.ladder),
      range(r.ladderOverFloor),
    ]),
  ]);
  const cost = markdownTable([
    ['per task', ...f.costs.map((c) => SIDE_NAMES[c.side])],
    [
      'events / workflow tasks / activities / local activities / upserts',
      ...f.costs.map(
        (c) =>
          `${num(c.history.events)} / ${num(c.history.workflowTasks)} / ${num(c.history.activities)} / ${num(c.history.localActivities)} / ${num(upserts(c))}`,
      ),
    ],
    ['describes (entity reads)', ...f.costs.map((c) => num(c.serverOpsPerTask?.describes, 2))],
    ['worker CPU ms', ...f.costs.map((c) => num(workerCpu(c)))],
    ['dev-server CPU ms', ...f.costs.map((c) => num(c.cpuMsPerTask['dev server']))],
  ]);
  const steps = markdownTable([
    [
      'step',
      'events',
      'workflow tasks',
      'local activities',
      'upserts',
      'describes',
      'worker CPU ms',
      'dev-server CPU ms',
    ],
    ...f.steps.map((s) => [
      `${SIDE_NAMES[s.from]} → ${SIDE_NAMES[s.to]}`,
      signed(s.events),
      signed(s.workflowTasks),
      signed(s.localActivities),
      signed(s.upserts),
      signed(s.describes, 2),
      signed(s.workerCpuMs),
      signed(s.serverCpuMs),
    ]),
  ]);
  return [throughput, cost, steps].join('\n\n');
}
