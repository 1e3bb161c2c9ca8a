import { Command } from 'commander';
import { stackOptionsOf, wholeNumber, withStackOptions, type StackBenchOptions } from './stack-options';

/** What one `bench:timers` run measures. */
export interface TimerBenchOptions extends StackBenchOptions {
  /** Report tasks per side, each with one escalation timer. */
  timers: number;
  /** Over how many seconds the submissions (and so the timers' due times) are spread. */
  spreadSeconds: number;
  /**
   * When an unread report first escalates, in seconds after it was posted: by default long enough
   * for every report of the round to be posted before the first timer comes due (the spread plus
   * half of it, at least 10 s more), so the timers fire on a worker that is not also running tasks.
   */
  escalateAfterSeconds: number;
  /** Whether the bare report workflow runs the same round first, for comparison. */
  baseline: boolean;
}

/** What one `bench:waiting` run measures. */
export interface WaitingBenchOptions extends StackBenchOptions {
  /** Rung-2 tasks per side, all waiting on one worker at once. */
  tasks: number;
  /** Submissions in flight at once, every side. */
  submitConcurrency: number;
  /** Signed answers in flight at once, every side. */
  answerConcurrency: number;
  /** Seconds the tasks are left waiting, all posted, before the answers start (RSS is sampled meanwhile). */
  holdSeconds: number;
  /** How often the worker's RSS is read, in ms. */
  rssSampleMs: number;
  /**
   * Tasks per side run through a whole round first, not counted, so the measured burst meets
   * entity workflows (the agent's trust ledger) that exist already, as bench:tasks's warm-up does.
   */
  warmUp: number;
  /** Profile the Ladder worker's every thread while the Ladder round's tasks are approved. */
  profileApprovals: boolean;
}

const TIMERS_FULL = { timers: 500, spreadSeconds: 60, baseline: true };
// No bare round in the quick run: the target is absolute, and the quick run stays short.
const TIMERS_QUICK = { timers: 100, spreadSeconds: 20, baseline: false };

/** The default escalation delay for a spread: the spread plus half of it, at least 10 s more. Pure. */
export function defaultEscalateAfterSeconds(spreadSeconds: number): number {
  return spreadSeconds + Math.max(10, Math.ceil(spreadSeconds / 2));
}

/**
 * Parses `bench:timers` arguments: `--quick` picks the small preset (100 timers over 20 s, no bare
 * round, instead of 500 over 60 s after the same round of the bare workflow), and an explicit
 * option overrides the preset's value.
 *
 * @throws CommanderError (exit code 1) naming the option and what was expected.
 */
export function parseTimerBenchOptions(argv: readonly string[]): TimerBenchOptions {
  const program = withStackOptions(
    new Command()
      .name('bench:timers')
      .description(
        "Escalation timer lateness of rung-5 reports nobody reads: from each timer's due time to the escalation activity starting",
      ),
    'timers',
    `the small preset (${TIMERS_QUICK.timers} timers over ${TIMERS_QUICK.spreadSeconds} s, no bare round)`,
  )
    .option('--timers <n>', `report tasks per side (default ${TIMERS_FULL.timers})`, wholeNumber(1))
    .option(
      '--spread-seconds <s>',
      `seconds the submissions are spread over (default ${TIMERS_FULL.spreadSeconds})`,
      wholeNumber(1),
    )
    .option(
      '--escalate-after-seconds <s>',
      'when an unread report escalates (default: the spread plus half of it, at least 10 s more)',
      wholeNumber(1),
    )
    .option('--baseline', 'run the bare report workflow first (default without --quick)')
    .option('--no-baseline', 'skip the bare report workflow');
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{
    quick?: boolean;
    timers?: number;
    spreadSeconds?: number;
    escalateAfterSeconds?: number;
    baseline?: boolean;
  }>();
  const preset = o.quick === true ? TIMERS_QUICK : TIMERS_FULL;
  const spreadSeconds = o.spreadSeconds ?? preset.spreadSeconds;
  return {
    ...stackOptionsOf(program.opts(), 'timers'),
    timers: o.timers ?? preset.timers,
    spreadSeconds,
    escalateAfterSeconds: o.escalateAfterSeconds ?? defaultEscalateAfterSeconds(spreadSeconds),
    baseline: o.baseline ?? preset.baseline,
  };
}

const WAITING_FULL = { tasks: 10_000, holdSeconds: 15 };
const WAITING_QUICK = { tasks: 1_000, holdSeconds: 5 };

/**
 * Parses `bench:waiting` arguments: `--quick` picks the small preset (1,000 waiting tasks instead
 * of 10,000), and an explicit option overrides the preset's value.
 *
 * @throws CommanderError (exit code 1) naming the option and what was expected.
 */
export function parseWaitingBenchOptions(argv: readonly string[]): WaitingBenchOptions {
  const program = withStackOptions(
    new Command()
      .name('bench:waiting')
      .description(
        'Rung-2 tasks waiting on one worker, then all approved: worker RSS, request-posted and approval rates against a bare workflow',
      ),
    'waiting',
    `the small preset (${WAITING_QUICK.tasks} tasks per side)`,
  )
    .option('--tasks <n>', `waiting tasks per side (default ${WAITING_FULL.tasks})`, wholeNumber(1))
    .option('--submit-concurrency <n>', 'submissions in flight at once, every side', wholeNumber(1), 50)
    .option('--answer-concurrency <n>', 'signed answers in flight at once, every side', wholeNumber(1), 50)
    .option(
      '--hold-seconds <s>',
      `seconds all tasks wait, posted, before the answers start (default ${WAITING_FULL.holdSeconds})`,
      wholeNumber(0),
    )
    .option('--rss-sample-ms <ms>', "how often the worker's RSS is read", wholeNumber(50), 250)
    .option(
      '--warm-up <n>',
      "tasks per side through a whole round first, not counted (0: the burst is the agent's first contact)",
      wholeNumber(0),
      20,
    )
    .option(
      '--profile-approvals',
      "CPU-profile the Ladder worker while its round's tasks are approved (bench/results/waiting-profile*.txt)",
    );
  program.parse([...argv], { from: 'user' });
  const o = program.opts<{
    quick?: boolean;
    profileApprovals?: boolean;
    tasks?: number;
    submitConcurrency: number;
    answerConcurrency: number;
    holdSeconds?: number;
    rssSampleMs: number;
    warmUp: number;
  }>();
  const preset = o.quick === true ? WAITING_QUICK : WAITING_FULL;
  return {
    ...stackOptionsOf(program.opts(), 'waiting'),
    tasks: o.tasks ?? preset.tasks,
    submitConcurrency: o.submitConcurrency,
    answerConcurrency: o.answerConcurrency,
    holdSeconds: o.holdSeconds ?? preset.holdSeconds,
    rssSampleMs: o.rssSampleMs,
    warmUp: o.warmUp,
    profileApprovals: o.profileApprovals === true,
  };
}
