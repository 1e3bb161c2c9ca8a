// `npm run bench:tasks [-- --quick]`: what a Ladder task costs next to a bare Temporal workflow
// doing the same work, measured in one run on one dev server (issue 11, item 6). Starts its own
// stack (dev server, Slack emulator with rate limits off, Ladder's worker and agent API, the
// baseline's worker), runs interleaved rung-3 batches (Ladder through its HTTP API and through
// its TypeScript client, and the baseline), approval rounds, and one CPU-profiled batch; prints
// markdown tables and writes bench/results/tasks.json. Exits 1 when a target is missed, 2 when
// the run could not finish (what it measured until then is still printed and written).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { runApprovalPhase, type AnswerPath, type ApprovalResult } from './tasks/approvals';
import { BatchFailed, runBatch, type BatchResult } from './tasks/batches';
import { awaitNoneRunning, idPrefixQuery } from './tasks/visibility';
import { interleavedPlan, SIDES } from './tasks/figures';
import { parseTaskBenchOptions, type TaskBenchOptions } from './tasks/options';
import { profileWorker } from './tasks/profile';
import { markdownReport, sideCost, targetChecks, throughputRows, type BatchFailure } from './tasks/report';
import { ROOT, startBenchStack, type BenchStack } from './tasks/stack';
import { writeJson } from './tasks/write-json';
import { runMain } from '../scripts/run-main';

const say = (line = ''): void => void process.stdout.write(`${line}\n`);
const runStartedAt = Date.now();
/** A progress line with the seconds since the run started. */
const progress = (line: string): void =>
  say(`[${String(Math.round((Date.now() - runStartedAt) / 1000)).padStart(4)} s] ${line}`);

/** The activity whose start counts as "the step started" on each side. */
const EXECUTE_ACTIVITIES = { ladder: 'executeStep', baseline: 'baselineExecute' };

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function environment() {
  const cli = await resolveTemporalCli({ root: ROOT });
  const cliVersion = (() => {
    try {
      return execFileSync(cli.path, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const sdk = (
    JSON.parse(readFileSync(join(ROOT, 'node_modules', '@temporalio', 'worker', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return {
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      kernel: release(),
    },
    versions: {
      temporalCli: cliVersion,
      temporalSdk: sdk,
      commit: git(['rev-parse', '--short', 'HEAD']),
      uncommittedFiles: git(['status', '--porcelain']).split('\n').filter(Boolean).length,
    },
  };
}

/** What a run measured; `problem` says why it stopped early, when it did. */
interface Measured {
  batches: BatchResult[];
  /** Throughput batches that failed; the run waited for their tasks, then went on. */
  failures: BatchFailure[];
  approvals: ApprovalResult[];
  profile?: { title: string; files: string[]; batch: BatchResult };
  problem?: string;
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
  const batchOptions = {
    concurrency: options.submitConcurrency,
    stallMs: options.stallSeconds * 1000,
    historySample: options.historySample,
  };
  // Not counted: first tasks start the entity workflows (ledgers, quota) and warm both workers' JITs.
  progress('warm-up: 20 tasks of each side (not counted)');
  for (const side of SIDES)
    await runBatch(
      stack,
      { side, n: 20, round: 0, tag: `${runTag}-warm-${side}` },
      { ...batchOptions, historySample: 1 },
    );

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
  if (options.clicksSequential + options.clicksConcurrent > 0) {
    await stack.startSlackApp();
    paths.push('ladder-click');
  }
  for (const mode of ['sequential', 'concurrent'] as const) {
    for (const path of paths) {
      const clicks = path === 'ladder-click';
      const count =
        mode === 'sequential'
          ? clicks
            ? options.clicksSequential
            : options.approvalsSequential
          : clicks
            ? options.clicksConcurrent
            : options.approvalsConcurrent;
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
        `approvals ${path} ${mode} (${result.count}): answer → step p50 ${result.answerToStepMs.p50.toFixed(0)} ms, p99 ${result.answerToStepMs.p99.toFixed(0)} ms; other load ${result.otherLoadCores.toFixed(2)} cores`,
      );
    }
  }

  if (options.profileTasks > 0) {
    const title = `CPU profile of the Ladder worker (all threads) during one rung-3 batch of ${options.profileTasks} tasks submitted through the TypeScript client`;
    progress(`profiling: ${title}`);
    const profiled = await profileWorker(
      stack.ladderWorker,
      () =>
        runBatch(
          stack,
          { side: 'ladder-client', n: options.profileTasks, round: 0, tag: `${runTag}-profile` },
          batchOptions,
        ),
      {
        rawDir: join(stack.dir, 'profile'),
        resultsDir: join(ROOT, 'bench', 'results'),
        name: options.quick ? 'tasks-profile-quick' : 'tasks-profile',
        title,
        workflowBundle: stack.ladderWorkflowBundle,
      },
    );
    out.profile = {
      title,
      files: profiled.files.map((f) => f.replace(`${ROOT}/`, '')),
      batch: profiled.value,
    };
    progress(`wrote ${out.profile.files.join(', ')}`);
  }
}

async function run(options: TaskBenchOptions): Promise<number> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  const env = await environment();
  const runTag = `b${startedAt.getTime().toString(36)}`;
  say(
    `bench:tasks ${options.quick ? '--quick' : '(full)'}: sizes ${options.sizes.join(', ')}, ${options.rounds} round(s); ${env.machine.cpus} × ${env.machine.model}, Node ${env.machine.node}`,
  );
  // Installed before anything starts: a first Ctrl-C stops every process cleanly, a second one
  // exits at once (the exit hook in processes.ts still kills every child).
  const running: { stack?: BenchStack; stopping?: boolean } = {};
  const interrupted = (signal: NodeJS.Signals): void => {
    if (running.stopping) process.exit(130);
    running.stopping = true;
    const dir = running.stack ? ` (its folder is kept: ${running.stack.dir})` : '';
    say(`\n${signal}: stopping every process this run started…${dir}`);
    void (running.stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  const stack = await startBenchStack(say, {
    logLevel: options.logLevel,
    inMemoryServer: options.inMemoryServer,
  });
  running.stack = stack;
  const measured: Measured = { batches: [], failures: [], approvals: [] };
  try {
    await measure(stack, options, runTag, measured);
  } catch (err) {
    measured.problem = err instanceof Error ? err.message : String(err);
    progress(`STOPPED: ${measured.problem}`);
    if (!(err instanceof BatchFailed)) say(err instanceof Error ? (err.stack ?? '') : '');
  } finally {
    await stack
      .stop()
      .catch((err: unknown) => say(`could not stop the stack cleanly: ${(err as Error).message}`));
    if (options.keep || measured.problem !== undefined)
      say(`The run's folder (policy, logs, raw profiles) is kept: ${stack.dir}`);
    else rmSync(stack.dir, { recursive: true, force: true });
  }

  const rows = throughputRows(measured.batches, options.sizes);
  const costs = SIDES.map((side) => sideCost(measured.batches, side));
  const checks = targetChecks(rows, measured.approvals, measured.failures);
  const report = {
    benchmark: 'tasks',
    date: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    ...env,
    load: { before: loadBefore, after: loadavg() },
    options,
    stack: {
      emulatorRateLimits: stack.emulatorRateLimits,
      devServerDatabase: options.inMemoryServer ? 'memory' : 'SQLite file (WAL)',
      executeActivities: EXECUTE_ACTIVITIES,
      baseline:
        'bare workflow: Ladder action handler execute (activity), then Ladder SlackNotifier post (activity); same createLadderWorker options',
    },
    throughput: rows,
    failedBatches: measured.failures,
    costPerTask: costs,
    approvals: measured.approvals,
    targets: checks,
    problem: measured.problem ?? null,
    profile: measured.profile
      ? {
          title: measured.profile.title,
          files: measured.profile.files,
          tasksPerSecond: measured.profile.batch.tasksPerSecond,
        }
      : null,
    batches: measured.batches,
  };
  const out = resolve(ROOT, options.out);
  mkdirSync(join(out, '..'), { recursive: true });
  await writeJson(out, report);

  say('');
  say(
    `## bench:tasks — ${startedAt.toISOString()} — ${env.machine.cpus} × ${env.machine.model}, ${env.machine.ramGiB} GiB, Node ${env.machine.node}, Temporal SDK ${env.versions.temporalSdk}, commit ${env.versions.commit}${env.versions.uncommittedFiles ? ` + ${env.versions.uncommittedFiles} uncommitted files` : ''}`,
  );
  say('');
  say(markdownReport(rows, costs, measured.approvals, checks, measured.failures));
  say('');
  say(`Slack emulator rate limits: ${stack.emulatorRateLimits}. Wrote ${options.out}.`);
  const missed = checks.filter((c) => c.met === false);
  if (missed.length > 0) say(`MISSED ${missed.length} of ${checks.length} targets.`);
  if (measured.problem !== undefined) {
    say(`INCOMPLETE: the run stopped early, so the figures above are partial: ${measured.problem}`);
    return 2;
  }
  return missed.length > 0 ? 1 : 0;
}

void runMain('bench:tasks', parseTaskBenchOptions, run, 2);
