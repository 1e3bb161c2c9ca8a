// `node dist/bench/timers.js [--quick]` (part `timers` of `npm run bench`): how late the read-SLA
// escalation of a rung-5 report starts, with hundreds of report timers coming due over a minute
// (issue 11, item 6). Starts its own stack (as bench:tasks does), submits rung-5 tasks evenly over
// the spread (after the same round of a bare workflow that sleeps and then posts, unless --quick),
// lets nobody read the reports, and reads each timer's due time and its escalation activity's
// start from workflow history. The escalation delay is longer than the spread, so the timers come
// due over about as long once every task has reported. Prints markdown tables, writes
// bench/results/timers.json; exits 1 when a target is missed, 2 when the run could not finish.
import { runMain } from '../scripts/run-main';
import { beginRun, finishRun } from './tasks/finish-run';
import { targetTable } from './tasks/report';
import { runReportTimers, type TimerRunResult, type TimerSide } from './tasks/report-timers';
import { benchLog, onBenchStack } from './tasks/run-stack';
import { parseTimerBenchOptions, type TimerBenchOptions } from './tasks/scale-options';
import { timerTable, timerTargets } from './tasks/scale-report';

const { say, progress } = benchLog();

async function run(options: TimerBenchOptions): Promise<number> {
  const begun = await beginRun('t');
  say(
    `bench:timers ${options.quick ? '--quick' : '(full)'}: ${options.timers} report timers over ${options.spreadSeconds} s, escalating ${options.escalateAfterSeconds} s after each report; load ${begun.loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const results: TimerRunResult[] = [];
  const sides: TimerSide[] = options.baseline ? ['baseline', 'ladder'] : ['ladder'];
  const stackOptions = { ...options, reportEscalationAfterMs: options.escalateAfterSeconds * 1000 };
  const { problem, emulatorRateLimits } = await onBenchStack(
    stackOptions,
    { say, progress },
    async (stack) => {
      for (const side of sides) {
        progress(`${side}: ${options.timers} report tasks over ${options.spreadSeconds} s, nobody reading`);
        const result = await runReportTimers(stack, {
          side,
          count: options.timers,
          spreadMs: options.spreadSeconds * 1000,
          tag: `${begun.runTag}-${side}`,
          stallMs: options.stallSeconds * 1000,
        });
        results.push(result);
        const l = result.figures.lateness;
        progress(
          `${side}: lateness p50 ${l.p50.toFixed(0)} ms, p99 ${l.p99.toFixed(0)} ms, max ${l.max.toFixed(0)} ms (${result.measured} of ${result.timers} read; other load ${result.otherLoadCores.toFixed(2)} cores)`,
        );
      }
    },
  );

  const checks = timerTargets(results.find((r) => r.side === 'ladder'));
  const notes = results
    .filter((r) => r.missing.length > 0)
    .map(
      (r) =>
        `${r.side}: no escalation read from history for ${r.timers - r.measured} task(s), e.g. ${r.missing.join(', ')}`,
    );
  return finishRun(
    {
      ...begun,
      benchmark: 'timers',
      options,
      emulatorRateLimits,
      stack: {
        lateness:
          "from TimerStarted's time + its start-to-fire timeout to the escalation activity's ActivityTaskStarted time",
        baseline:
          'bare workflow: Ladder action handler execute, Ladder SlackNotifier post of the report, sleep, post of the escalation; same createLadderWorker options',
      },
      figures: { results },
      checks,
      sections: [results.length > 0 ? timerTable(results) : '', ...notes, targetTable(checks)],
      problem,
    },
    say,
  );
}

void runMain('bench:timers', parseTimerBenchOptions, run, 2);
