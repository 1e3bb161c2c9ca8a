// `npm run bench:floor [-- --quick]`: where the rung-3 throughput ratio's floor lies (issue 11: "if a
// figure stays out of reach, report the floor with the cost of each remaining event and workflow
// task"). On one bench stack, in interleaved rounds: the bare workflow of bench:tasks; the same with
// the guards any rung-3 task with Ladder's guarantees needs, added one at a time (a decision in a
// local activity; the agent, class, rung and outcome as search attributes; the kill switch and the
// ledger read by the decision and the kill switch re-read before the step;
// bench/baseline/workflows.ts); and Ladder's rung-3 task (TypeScript client). Prints the throughput
// of each, the floor (all guards / bare) and what each step adds per task; writes
// bench/results/floor[-quick].json. It has no target of its own.
import { Command } from 'commander';
import { BatchFailed, batchOptionsOf, runBatch, warmUp, type BatchResult } from './tasks/batches';
import { FLOOR_SIDES, interleavedPlan } from './tasks/figures';
import { floorFigures, floorMarkdown } from './tasks/floor-report';
import { beginRun, finishRun } from './tasks/finish-run';
import { benchLog, onBenchStack } from './tasks/run-stack';
import type { BenchStack } from './tasks/stack';
import { stackOptionsOf, wholeNumber, withStackOptions, type StackBenchOptions } from './tasks/stack-options';
import { GUARDED_DECISION_BYTES } from './tasks/submitters';
import { runMain } from '../scripts/run-main';

const { say, progress } = benchLog();

/** Options of bench:floor. */
export interface FloorBenchOptions extends StackBenchOptions {
  /** Tasks per batch. */
  n: number;
  /** Interleaved rounds: each runs one batch of every side. */
  rounds: number;
  /** Tasks in flight at once while submitting, every side (bench:tasks uses 50). */
  submitConcurrency: number;
  /** Task histories fetched per batch to count events. */
  historySample: number;
}

/**
 * Parses bench:floor's arguments; `--quick` makes it two rounds of 100 (default: three of 300).
 *
 * @throws CommanderError naming the option and what was expected.
 */
export function parseFloorBenchOptions(argv: readonly string[]): FloorBenchOptions {
  const program = withStackOptions(
    new Command()
      .name('bench:floor')
      .description(
        "Ladder's rung-3 task against the bare workflow and the bare workflow with the guards every rung-3 task needs",
      ),
    'floor',
    'two rounds of 100 tasks per side (default: three of 300)',
  )
    .option('--n <tasks>', 'tasks per batch', wholeNumber(10))
    .option('--rounds <k>', 'interleaved rounds', wholeNumber(1))
    .option('--submit-concurrency <k>', 'submissions in flight at once (default 50)', wholeNumber(1))
    .option('--history-sample <k>', 'histories counted per batch (default 10)', wholeNumber(1));
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{
    n?: number;
    rounds?: number;
    submitConcurrency?: number;
    historySample?: number;
    quick?: boolean;
  }>();
  const base = stackOptionsOf(o, 'floor');
  return {
    ...base,
    n: o.n ?? (base.quick ? 100 : 300),
    rounds: o.rounds ?? (base.quick ? 2 : 3),
    submitConcurrency: o.submitConcurrency ?? 50,
    historySample: o.historySample ?? 10,
  };
}

async function measure(
  stack: BenchStack,
  options: FloorBenchOptions,
  runTag: string,
  batches: BatchResult[],
): Promise<void> {
  const batchOptions = batchOptionsOf(options);
  progress('warm-up: 20 tasks of each side (not counted)');
  await warmUp(stack, FLOOR_SIDES, runTag, batchOptions);
  const plan = interleavedPlan([options.n], options.rounds, FLOOR_SIDES);
  for (const [i, spec] of plan.entries()) {
    const result = await runBatch(
      stack,
      { ...spec, tag: `${runTag}-r${spec.round}-${spec.side}` },
      batchOptions,
    );
    batches.push(result);
    progress(
      `[${i + 1}/${plan.length}] ${result.label}: ${result.tasksPerSecond.toFixed(1)} tasks/s (${result.seconds.toFixed(1)} s; other load ${result.otherLoadCores.toFixed(2)} cores)`,
    );
  }
}

async function run(options: FloorBenchOptions): Promise<number> {
  const begun = await beginRun('f');
  say(
    `bench:floor ${options.quick ? '--quick' : '(full)'}: ${options.rounds} round(s) of ${options.n} tasks per side; ${begun.env.machine.cpus} × ${begun.env.machine.model}, Node ${begun.env.machine.node}`,
  );
  const batches: BatchResult[] = [];
  const { problem, emulatorRateLimits } = await onBenchStack(
    options,
    { say, progress },
    (stack) => measure(stack, options, begun.runTag, batches),
    (err) => err instanceof BatchFailed,
  );
  const figures = floorFigures(batches, [options.n]);
  return finishRun(
    {
      ...begun,
      benchmark: 'floor',
      options,
      emulatorRateLimits,
      stack: {
        baseline:
          'bare workflow: Ladder action handler execute (activity), then Ladder SlackNotifier post (activity); same createLadderWorker options',
        steps:
          'bare + decision: a local activity returning a decision-sized result; + search attributes: AgentId and TaskClass at start, Rung and Outcome upserted; + reads: the rest of the guarded workflow below',
        guarded: `bare workflow plus: a local activity that describes Ladder's kill switch and the agent's trust ledger (coalesced as Ladder's reads are) and returns ${GUARDED_DECISION_BYTES} bytes; the rung as a search attribute; a describe of the kill switch in the step's activity before it runs; the outcome as a search attribute; started with AgentId and TaskClass`,
      },
      figures: { ...figures, batches },
      checks: [],
      sections: [floorMarkdown(figures)],
      problem,
    },
    say,
  );
}

if (require.main === module) void runMain('bench:floor', parseFloorBenchOptions, run, 2);
