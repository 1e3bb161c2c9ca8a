// `node dist/bench/waiting.js [--quick]` (part `waiting` of `npm run bench`): thousands of rung-2
// tasks waiting on one worker, then all approved (issue 11, item 6). Starts its own stack (as
// bench:tasks does, emulator rate limits off), warms both sides up with a small round, then runs
// the round on the bare approval workflow first and then on Ladder: submits every task, waits until every request is posted in the emulator,
// holds, approves all with signed answers through the client path, and counts every task closed.
// Reads the worker's RSS throughout; with --profile-approvals, CPU-profiles Ladder's worker while its tasks are approved. Prints markdown tables, writes bench/results/waiting.json;
// exits 1 when a target is missed (a lost task is one), 2 when the run could not finish.
import { join } from 'node:path';
import { runMain } from '../scripts/run-main';
import { profileWorker } from './tasks/profile';
import { ROOT, type BenchStack } from './tasks/stack';
import { beginRun, finishRun } from './tasks/finish-run';
import { targetTable } from './tasks/report';
import { benchLog, onBenchStack } from './tasks/run-stack';
import { parseWaitingBenchOptions, type WaitingBenchOptions } from './tasks/scale-options';
import { waitingTable, waitingTargets } from './tasks/scale-report';
import { runWaitingRound, type WaitingRunResult, type WaitingSide } from './tasks/waiting-round';
import { ledgerLagTable, measureLedgerLag, type LedgerLag } from './tasks/ledger-lag';
import { BENCH } from './tasks/policy';

const { say, progress } = benchLog();

/** Profiles the Ladder worker while `resolve` approves and closes the Ladder round's tasks. */
async function profileApprovals(
  stack: BenchStack,
  options: WaitingBenchOptions,
  resolve: () => Promise<void>,
): Promise<void> {
  const title = `CPU profile of the Ladder worker (all threads) while ${options.tasks} waiting rung-2 tasks are approved through the TypeScript client`;
  progress(`profiling: ${title}`);
  const { files } = await profileWorker(stack.ladderWorker, resolve, {
    rawDir: join(stack.dir, 'profile'),
    resultsDir: join(ROOT, 'bench', 'results'),
    name: options.quick ? 'waiting-profile-quick' : 'waiting-profile',
    title,
    workflowBundle: stack.ladderWorkflowBundle,
  });
  progress(`wrote ${files.map((f) => f.replace(`${ROOT}/`, '')).join(', ')}`);
}

async function run(options: WaitingBenchOptions): Promise<number> {
  const begun = await beginRun('w');
  say(
    `bench:waiting ${options.quick ? '--quick' : '(full)'}: ${options.tasks} rung-2 tasks per side; load ${begun.loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const results: WaitingRunResult[] = [];
  let ledgerLag: LedgerLag | undefined;
  // The bare side first: Ladder then meets the larger database, never the baseline.
  const sides: WaitingSide[] = ['baseline', 'ladder'];
  const round = (side: WaitingSide, tasks: number, tag: string, holdMs: number) => ({
    side,
    tasks,
    tag: `${begun.runTag}-${tag}`,
    submitConcurrency: options.submitConcurrency,
    answerConcurrency: options.answerConcurrency,
    holdMs,
    rssSampleMs: options.rssSampleMs,
    stallMs: options.stallSeconds * 1000,
  });
  const { problem, emulatorRateLimits } = await onBenchStack(options, { say, progress }, async (stack) => {
    if (options.warmUp > 0) {
      // Not counted: the first tasks create each agent's ledger and warm both workers.
      progress(`warm-up: ${options.warmUp} tasks of each side through a whole round (not counted)`);
      for (const side of sides) {
        const warm = await runWaitingRound(stack, round(side, options.warmUp, `warm-${side}`, 0), () => {});
        if (warm.lost > 0)
          throw new Error(
            `${side} warm-up: ${warm.lost} of ${warm.tasks} tasks did not complete ${warm.stalled ?? ''}`,
          );
      }
    }
    for (const side of sides) {
      progress(`${side}: ${options.tasks} tasks waiting, then all approved`);
      const roundStartMs = Date.now();
      const result = await runWaitingRound(
        stack,
        {
          ...round(side, options.tasks, side, options.holdSeconds * 1000),
          ...(side === 'ladder' && options.profileApprovals
            ? {
                profileResolving: (resolve: () => Promise<void>) => profileApprovals(stack, options, resolve),
              }
            : {}),
        },
        progress,
      );
      results.push(result);
      if (side === 'ladder') {
        progress('ladder: reading how the trust ledger kept up');
        ledgerLag = await measureLedgerLag(stack.client, {
          taskQueue: stack.ladderQueue,
          agentId: BENCH.confirmAgent,
          taskClass: BENCH.confirmClass,
          expectedApprovals: options.warmUp + options.tasks,
          sinceMs: roundStartMs,
          roundEndMs: Date.now(),
          catchUpTimeoutMs: 10 * 60_000,
        });
      }
      const peak = Math.max(...Object.values(result.workerRss.phases).map((p) => p.peakMiB));
      progress(
        `${side}: posted ${result.postedPerSecond.toFixed(1)} tasks/s, approved ${result.approvedPerSecond.toFixed(1)} tasks/s, ${result.completed} completed, ${result.lost} lost; worker RSS sampled peak ${Math.round(peak)} MiB`,
      );
    }
    const stalled = results.filter((r) => r.stalled !== undefined).map((r) => r.side);
    return stalled.length > 0 ? `the ${stalled.join(' and ')} round stalled` : undefined;
  });

  const checks = waitingTargets(
    results.find((r) => r.side === 'ladder'),
    results.find((r) => r.side === 'baseline'),
  );
  const notes = [
    ...(options.profileApprovals
      ? [
          "Ladder's approval figures were taken under the CPU profiler (--profile-approvals), which slows its worker",
        ]
      : []),
    ...results.flatMap((r) => [
      ...(r.stalled ? [`${r.side}: tasks stopped closing: ${r.stalled}`] : []),
      ...(r.notCompleted.length > 0 ? [`${r.side}: not completed, e.g. ${r.notCompleted.join(', ')}`] : []),
      ...(r.refused.count > 0 ? [`${r.side}: answers refused, e.g. ${r.refused.examples.join('; ')}`] : []),
    ]),
  ];
  return finishRun(
    {
      ...begun,
      benchmark: 'waiting',
      options,
      emulatorRateLimits,
      stack: {
        posted: 'the request message stored by the Slack emulator (its key ends with /approval-request)',
        baseline:
          'bare workflow: Ladder SlackNotifier post of the request, wait for a signed approve update, Ladder action handler execute, post; same createLadderWorker options',
      },
      figures: { results, ledgerLag },
      checks,
      sections: [
        results.length > 0 ? waitingTable(results) : '',
        ledgerLag ? ledgerLagTable(BENCH.confirmAgent, ledgerLag) : '',
        ...notes,
        targetTable(checks),
      ],
      problem,
    },
    say,
  );
}

void runMain('bench:waiting', parseWaitingBenchOptions, run, 2);
