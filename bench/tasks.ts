// `npm run bench:tasks [-- --quick]`: what a Ladder task costs next to a bare Temporal workflow
// doing the same work, measured in one run on one dev server (issue 11, item 6). Starts its own
// stack (dev server, Slack emulator with rate limits off, Ladder's worker and agent API, the
// baseline's worker), runs interleaved rung-3 batches (Ladder through its HTTP API and through
// its TypeScript client, and the baseline), approval rounds, and one CPU-profiled batch of each
// worker, compared per task; prints markdown tables and writes bench/results/tasks.json. Exits 1 when a target is missed, 2 when
// the run could not finish (what it measured until then is still printed and written).
import { join } from 'node:path';
import { runApprovalPhase, type AnswerPath, type ApprovalResult } from './tasks/approvals';
import { BatchFailed, batchOptionsOf, runBatch, warmUp, type BatchResult } from './tasks/batches';
import { beginRun, finishRun } from './tasks/finish-run';
import { awaitNoneRunning, idPrefixQuery } from './tasks/visibility';
import { interleavedPlan, SIDES } from './tasks/figures';
import { approvalCount, parseTaskBenchOptions, type TaskBenchOptions } from './tasks/options';
import { profileWorker } from './tasks/profile';
import { profileComparisonRows, profileComparisonTable } from './tasks/profile-compare';
import type { ProfileSummary } from './tasks/profile-summary';
import { markdownReport, sideCost, targetChecks, throughputRows, type BatchFailure } from './tasks/report';
import { benchLog, onBenchStack } from './tasks/run-stack';
import { ROOT, type BenchStack } from './tasks/stack';
import { runMain } from '../scripts/run-main';

const { say, progress } = benchLog();

/** The activity whose start counts as "the step started" on each side. */
const EXECUTE_ACTIVITIES = { ladder: 'executeStep', baseline: 'baselineExecute' };

/** What a run measured. */
interface Measured {
  batches: BatchResult[];
  /** Throughput batches that failed; the run waited for their tasks, then went on. */
  failures: BatchFailure[];
  approvals: ApprovalResult[];
  /** Ladder's profiled batch, then the bare workflow's. */
  profiles: { title: string; files: string[]; batch: BatchResult; summary: ProfileSummary }[];
}

/**
 * Runs every part of the benchmark on a started stack, filling `out` as it goes. The first
 * failure (a batch that stalls, a refused submission) ends the run there: what follows would be
 * measured on a stack in trouble. What was measured before it is kept.
 */
async function measure(
  stack: BenchStack,
  options: TaskBenchOptions,
  runTag: string,
  out: Measured,
): Promise<void> {
  const batchOptions = batchOptionsOf(options);
  progress('warm-up: 20 tasks of each side (not counted)');
  await warmUp(stack, SIDES, runTag, batchOptions);

  const plan = interleavedPlan(options.sizes, options.rounds);
  for (const [i, spec] of plan.entries()) {
    let result: BatchResult;
    try {
      result = await runBatch(
        stack,
        { ...spec, tag: `${runTag}-n${spec.n}-r${spec.round}-${spec.side}` },
        batchOptions,
      );
    } catch (err) {
      if (!(err instanceof BatchFailed)) throw err;
      // A batch Ladder could not finish is a result too: recorded, and once its tasks have
      // stopped running (so they load no later batch) the plan goes on.
      out.failures.push({ side: spec.side, n: spec.n, round: spec.round, reason: err.reason });
      progress(`[${i + 1}/${plan.length}] ${err.label}: FAILED: ${err.reason}`);
      const drained = await awaitNoneRunning(stack.client, idPrefixQuery(err.prefix), batchOptions.stallMs);
      if (!drained)
        throw new Error(
          `${err.label} failed and its tasks were still running ${options.stallSeconds} s later: ${err.reason}`,
          { cause: err },
        );
      continue;
    }
    out.batches.push(result);
    progress(
      `[${i + 1}/${plan.length}] ${result.label}: ${result.tasksPerSecond.toFixed(1)} tasks/s (${result.seconds.toFixed(1)} s; submitted in ${result.submitSeconds.toFixed(1)} s; other load ${result.otherLoadCores.toFixed(2)} cores)`,
    );
  }

  const paths: AnswerPath[] = ['ladder-client', 'baseline'];
  if (options.clicksSequential + options.clicksConcurrent + options.clicksBurst > 0) {
    await stack.startSlackApp();
    paths.push('ladder-click');
  }
  for (const mode of ['sequential', 'concurrent', 'burst'] as const) {
    for (const path of paths) {
      const count = approvalCount(options, path, mode);
      if (count === 0) continue;
      const result = await runApprovalPhase(
        stack,
        {
          path,
          mode,
          count,
          concurrency: options.approvalConcurrency,
          tag: `${runTag}-appr-${mode}-${path}`,
        },
        EXECUTE_ACTIVITIES,
      );
      out.approvals.push(result);
      progress(
        `approvals ${path} ${mode} (${result.count}): answer → step p50 ${result.answerToStepMs.p50.toFixed(0)} ms, p99 ${result.answerToStepMs.p99.toFixed(0)} ms; ack p99 ${result.answerAckMs.p99.toFixed(0)} ms; CPU ms per answer ${Object.entries(
          result.cpuMsPerAnswer ?? {},
        )
          .map(([name, ms]) => `${name} ${ms.toFixed(1)}`)
          .join(', ')}; other load ${result.otherLoadCores.toFixed(2)} cores`,
      );
    }
  }

  if (options.profileTasks > 0) {
    // The bare worker runs the same SDK, so a function that costs both is the SDK's; what only
    // Ladder's profile shows is Ladder's to cut.
    const profiles = [
      {
        side: 'ladder-client',
        worker: stack.ladderWorker,
        bundle: stack.ladderWorkflowBundle,
        who: 'the Ladder worker',
        how: 'submitted through the TypeScript client',
        suffix: '',
      },
      {
        side: 'baseline',
        worker: stack.baselineWorker,
        bundle: stack.baselineWorkflowBundle,
        who: 'the bare workflow worker',
        how: 'of the bare workflow',
        suffix: '-bare',
      },
    ] as const;
    for (const p of profiles) {
      const title = `CPU profile of ${p.who} (all threads) during one rung-3 batch of ${options.profileTasks} tasks ${p.how}`;
      progress(`profiling: ${title}`);
      const profiled = await profileWorker(
        p.worker,
        () =>
          runBatch(
            stack,
            { side: p.side, n: options.profileTasks, round: 0, tag: `${runTag}-profile${p.suffix}` },
            batchOptions,
          ),
        {
          rawDir: join(stack.dir, `profile${p.suffix}`),
          resultsDir: join(ROOT, 'bench', 'results'),
          name: `${options.quick ? 'tasks-profile-quick' : 'tasks-profile'}${p.suffix}`,
          title,
          workflowBundle: p.bundle,
        },
      );
      out.profiles.push({
        title,
        files: profiled.files.map((f) => f.replace(`${ROOT}/`, '')),
        batch: profiled.value,
        summary: profiled.summary,
      });
      progress(`wrote ${profiled.files.map((f) => f.replace(`${ROOT}/`, '')).join(', ')}`);
    }
  }
}

async function run(options: TaskBenchOptions): Promise<number> {
  const begun = await beginRun('b');
  const { env, runTag } = begun;
  say(
    `bench:tasks ${options.quick ? '--quick' : '(full)'}: sizes ${options.sizes.join(', ')}, ${options.rounds} round(s); ${env.machine.cpus} × ${env.machine.model}, Node ${env.machine.node}`,
  );
  const measured: Measured = { batches: [], failures: [], approvals: [], profiles: [] };
  const { problem, emulatorRateLimits } = await onBenchStack(
    options,
    { say, progress },
    (stack) => measure(stack, options, runTag, measured),
    (err) => err instanceof BatchFailed,
  );

  const rows = throughputRows(measured.batches, options.sizes);
  const costs = SIDES.map((side) => sideCost(measured.batches, side));
  const checks = targetChecks(rows, measured.approvals, measured.failures);
  const [ladderProfile, bareProfile] = measured.profiles;
  const profileComparison =
    ladderProfile && bareProfile
      ? profileComparisonRows(
          ladderProfile.summary,
          ladderProfile.batch.n,
          bareProfile.summary,
          bareProfile.batch.n,
        )
      : null;
  return finishRun(
    {
      ...begun,
      benchmark: 'tasks',
      options,
      emulatorRateLimits,
      stack: {
        executeActivities: EXECUTE_ACTIVITIES,
        baseline:
          'bare workflow: Ladder action handler execute (activity), then Ladder SlackNotifier post (activity); same createLadderWorker options',
      },
      figures: {
        throughput: rows,
        failedBatches: measured.failures,
        costPerTask: costs,
        approvals: measured.approvals,
        profiles: measured.profiles.map((p) => ({
          title: p.title,
          files: p.files,
          tasksPerSecond: p.batch.tasksPerSecond,
        })),
        profileComparison,
        batches: measured.batches,
      },
      checks,
      sections: [
        markdownReport(rows, costs, measured.approvals, checks, measured.failures),
        profileComparison ? profileComparisonTable(profileComparison) : '',
      ],
      problem,
    },
    say,
  );
}

void runMain('bench:tasks', parseTaskBenchOptions, run, 2);
