import { Command, InvalidArgumentError } from 'commander';
import { stackOptionsOf, wholeNumber, withStackOptions, type StackBenchOptions } from './stack-options';

/** What one `bench:tasks` run measures; `--quick` and the full run differ only in these numbers. */
export interface TaskBenchOptions extends StackBenchOptions {
  /** Batch sizes of the rung-3 throughput rounds (tasks per batch). */
  sizes: number[];
  /** Interleaved rounds per batch size: each round runs one batch of every side. */
  rounds: number;
  /** Tasks submitted at once (in flight) by every side, so all sides are driven alike. */
  submitConcurrency: number;
  /** Task histories fetched per batch to count events, workflow tasks and activities. */
  historySample: number;
  /** Rung-2 approvals answered one at a time (unloaded). */
  approvalsSequential: number;
  /** Rung-2 approvals answered by `approvalConcurrency` answerers at once. */
  approvalsConcurrent: number;
  approvalConcurrency: number;
  /** Approve clicks through the Slack emulator and the real Slack app (0 skips that phase). */
  clicksSequential: number;
  /** Clicks by `approvalConcurrency` people at once, each clicking again once told the last was recorded. */
  clicksConcurrent: number;
  /** Clicks by `approvalConcurrency` lanes that click again as soon as Slack's ack is back (0 skips). */
  clicksBurst: number;
  /** Tasks in the profiled rung-3 batch (0: no profile). */
  profileTasks: number;
}

const FULL: Omit<TaskBenchOptions, Exclude<keyof StackBenchOptions, 'stallSeconds'>> = {
  sizes: [300, 1000],
  rounds: 3,
  submitConcurrency: 50,
  historySample: 20,
  approvalsSequential: 50,
  approvalsConcurrent: 100,
  approvalConcurrency: 20,
  clicksSequential: 50,
  clicksConcurrent: 100,
  clicksBurst: 100,
  profileTasks: 300,
  stallSeconds: 90,
};

/** About five minutes on a 2-core machine: enough to see a change, not the closing figures. */
const QUICK: typeof FULL = {
  sizes: [100, 300],
  // Two rounds, so one batch slowed by a neighbour's load does not decide a ratio alone.
  rounds: 2,
  submitConcurrency: 50,
  historySample: 10,
  approvalsSequential: 20,
  approvalsConcurrent: 40,
  approvalConcurrency: 20,
  clicksSequential: 20,
  clicksConcurrent: 40,
  clicksBurst: 0,
  profileTasks: 100,
  stallSeconds: 90,
};

function sizeList(value: string): number[] {
  const sizes = value.split(',').map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1))
    throw new InvalidArgumentError(`expected batch sizes such as 300,1000, got "${value}"`);
  return sizes;
}

/**
 * Parses `bench:tasks` arguments: `--quick` picks the small preset, and any explicit option
 * overrides the preset's value.
 *
 * @throws CommanderError (exit code 1) naming the option and what was expected.
 */
export function parseTaskBenchOptions(argv: readonly string[]): TaskBenchOptions {
  const program = withStackOptions(
    new Command()
      .name('bench:tasks')
      .description(
        'Rung-3 throughput, per-task cost and approval latency of Ladder against a bare Temporal workflow, in one run',
      ),
    'tasks',
    'the small preset (N = 100 and 300, two rounds, 20 approvals): about five minutes',
  )
    .option('--sizes <list>', 'rung-3 batch sizes, comma-separated', sizeList)
    .option('--rounds <n>', 'interleaved rounds per batch size', wholeNumber(1))
    .option('--submit-concurrency <n>', 'submissions in flight at once, every side', wholeNumber(1))
    .option('--history-sample <n>', 'histories counted per batch', wholeNumber(1))
    .option('--approvals-sequential <n>', 'rung-2 approvals answered one at a time', wholeNumber(0))
    .option('--approvals-concurrent <n>', 'rung-2 approvals answered concurrently', wholeNumber(0))
    .option('--approval-concurrency <n>', 'answerers at once in the concurrent phase', wholeNumber(1))
    .option('--clicks-sequential <n>', 'Approve clicks through Slack, one at a time', wholeNumber(0))
    .option(
      '--clicks-concurrent <n>',
      'Approve clicks through Slack, concurrently (each lane waits to be told its click was recorded)',
      wholeNumber(0),
    )
    .option(
      '--clicks-burst <n>',
      "Approve clicks through Slack, each lane clicking again once Slack's ack is back",
      wholeNumber(0),
    )
    .option('--profile-tasks <n>', 'tasks in the CPU-profiled rung-3 batch (0: none)', wholeNumber(0));
  program.parse([...argv], { from: 'user' });
  const o = program.opts<Partial<TaskBenchOptions> & { quick?: boolean }>();
  const quick = o.quick === true;
  const preset = quick ? QUICK : FULL;
  const pick = <K extends keyof typeof FULL>(key: K): (typeof FULL)[K] =>
    (o[key] as (typeof FULL)[K] | undefined) ?? preset[key];
  return {
    ...stackOptionsOf(o, 'tasks'),
    sizes: pick('sizes'),
    rounds: pick('rounds'),
    submitConcurrency: pick('submitConcurrency'),
    historySample: pick('historySample'),
    approvalsSequential: pick('approvalsSequential'),
    approvalsConcurrent: pick('approvalsConcurrent'),
    approvalConcurrency: pick('approvalConcurrency'),
    clicksSequential: pick('clicksSequential'),
    clicksConcurrent: pick('clicksConcurrent'),
    clicksBurst: pick('clicksBurst'),
    profileTasks: pick('profileTasks'),
    stallSeconds: pick('stallSeconds'),
  };
}

/**
 * How many answers the approval phase of `path` and `mode` sends: the `approvals*` counts for the
 * update paths, the `clicks*` counts for Slack clicks; a burst is for clicks only (0 otherwise).
 */
export function approvalCount(
  options: Pick<
    TaskBenchOptions,
    'approvalsSequential' | 'approvalsConcurrent' | 'clicksSequential' | 'clicksConcurrent' | 'clicksBurst'
  >,
  path: 'ladder-client' | 'ladder-click' | 'baseline',
  mode: 'sequential' | 'concurrent' | 'burst',
): number {
  if (path !== 'ladder-click')
    return mode === 'sequential'
      ? options.approvalsSequential
      : mode === 'concurrent'
        ? options.approvalsConcurrent
        : 0;
  return mode === 'sequential'
    ? options.clicksSequential
    : mode === 'concurrent'
      ? options.clicksConcurrent
      : options.clicksBurst;
}
