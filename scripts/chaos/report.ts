import type { ChaosCounts } from './checks';
import type { TaskRun } from './driver';
import type { KillRecord } from './kills';
import type { ChaosOptions } from './options';

/** The rows of the table, in order, with what each counts. Every one must be 0. */
export const COUNT_ROWS: readonly [keyof ChaosCounts, string][] = [
  ['notSubmitted', 'tasks not submitted'],
  ['tasksLost', 'tasks lost (no workflow, or closed without a result)'],
  ['tasksStuck', 'tasks stuck (not finished, not waiting for a person)'],
  ['waitingUnanswered', 'tasks waiting for a person the run could not answer'],
  ['unexpectedOutcomes', 'tasks that ended otherwise than their answers say'],
  ['demoEffectsDuplicated', 'effects duplicated at the demo service (by key)'],
  ['sideEffectsDuplicated', 'effects duplicated in the side-effect file (by key)'],
  ['effectsMissing', 'effects missing at their destination'],
  ['effectsWithoutRun', 'effects at a destination for a step that did not run'],
  ['approvalsLost', 'approvals and draft reviews lost'],
  ['readsLost', 'report reads lost'],
  ['otherAnswersLost', 'other answers lost (done, dismiss)'],
  ['outcomeAnswersLost', 'outcome-unknown answers lost'],
  ['answerTimesDiffer', "approvals recorded at another time than their receipt's"],
  ['slackMissing', 'Slack messages missing'],
  ['slackDuplicated', 'Slack messages posted twice (per notification key)'],
  ['slackNotFinal', 'Slack main messages not in their final text'],
  ['processesDied', 'processes that died on their own'],
  ['killsNotDone', 'planned kills not done, or timed kills off target'],
];

/** The run's report as JSON: counts (all must be 0), what happened, and the time it took. */
export interface ChaosReport {
  ok: boolean;
  options: { tasks: number; seed: number; workerKills: number; serverKills: number; maxActive: number };
  seconds: { total: number; startUp: number; tasks: number };
  counts: Record<keyof ChaosCounts, number>;
  details: Partial<Record<keyof ChaosCounts, string[]>>;
  kills: KillRecord[];
  killsByWhat: { worker: number; devServer: number; timedInside: number };
  slackFaultsServed: Record<string, number> | null;
  outcomes: Record<string, number>;
  /** Tasks by the rung they ran at and the actions of their steps, e.g. `2 shell.exec`. */
  rungsByAction: Record<string, number>;
  answers: { slack: number; cli: number; slackFallbacksToCli: number; refusedOrRetried: number };
  outcomeQuestions: { answered: number; ran: number; runAgain: number };
}

const tally = (keys: string[]): Record<string, number> =>
  keys.reduce<Record<string, number>>((acc, k) => ((acc[k] = (acc[k] ?? 0) + 1), acc), {});

/** Assembles the report from what the run saw and counted. */
export function buildReport(
  options: ChaosOptions,
  runs: readonly TaskRun[],
  counts: ChaosCounts,
  kills: KillRecord[],
  slackFaultsServed: Record<string, number> | null,
  seconds: ChaosReport['seconds'],
): ChaosReport {
  const answers = runs.flatMap((r) => r.answers);
  const outcomeAnswers = answers.filter((a) => a.what === 'outcome');
  const numbers = Object.fromEntries(COUNT_ROWS.map(([k]) => [k, counts[k].count])) as Record<
    keyof ChaosCounts,
    number
  >;
  return {
    ok: Object.values(numbers).every((n) => n === 0),
    options: {
      tasks: options.tasks,
      seed: options.seed,
      workerKills: options.workerKills,
      serverKills: options.serverKills,
      maxActive: options.maxActive,
    },
    seconds,
    counts: numbers,
    details: Object.fromEntries(
      COUNT_ROWS.filter(([k]) => counts[k].count > 0).map(([k]) => [k, counts[k].details]),
    ),
    kills,
    killsByWhat: {
      worker: kills.filter((k) => k.what === 'worker').length,
      devServer: kills.filter((k) => k.what === 'dev server').length,
      timedInside: kills.filter((k) => k.inside === true).length,
    },
    slackFaultsServed,
    outcomes: tally(
      runs.map((r) => r.result?.outcome ?? (r.done ? `closed ${r.closedAs?.split(':')[0]}` : 'unfinished')),
    ),
    rungsByAction: tally(
      runs.flatMap((r) =>
        r.result
          ? [...new Set(r.plan.steps.map((s) => s.action))].map((a) => `rung ${r.result!.rung} ${a}`)
          : [],
      ),
    ),
    answers: {
      slack: answers.filter((a) => a.via === 'slack').length,
      cli: answers.filter((a) => a.via === 'cli').length,
      slackFallbacksToCli: runs.reduce((n, r) => n + r.slackFallbacks, 0),
      refusedOrRetried: runs.reduce((n, r) => n + r.attempts.filter((a) => !a.ok).length, 0),
    },
    outcomeQuestions: {
      answered: outcomeAnswers.length,
      ran: outcomeAnswers.filter((a) => a.answer === 'ran').length,
      runAgain: outcomeAnswers.filter((a) => a.answer === 'run-again').length,
    },
  };
}

const pad = (text: string, width: number): string => text + ' '.repeat(Math.max(1, width - text.length));
const duration = (s: number): string =>
  s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;

/** The report as the table people read. */
export function formatReport(report: ChaosReport): string {
  const o = report.options;
  const lines = [
    '',
    `Chaos run: ${o.tasks} tasks (seed ${o.seed}, at most ${o.maxActive} in flight), ${report.killsByWhat.worker} worker kills, ${report.killsByWhat.devServer} dev-server kills`,
    `Time: ${duration(report.seconds.total)} (stack start ${duration(report.seconds.startUp)}, tasks and checks ${duration(report.seconds.tasks)})`,
    '',
    `Outcomes: ${Object.entries(report.outcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `Rungs × actions: ${Object.entries(report.rungsByAction)
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `Answers accepted: ${report.answers.slack} Slack clicks, ${report.answers.cli} signed CLI answers (${report.answers.slackFallbacksToCli} Slack answers given on the CLI instead; ${report.answers.refusedOrRetried} attempts refused or retried)`,
    `Outcome-unknown questions answered: ${report.outcomeQuestions.answered} (ran ${report.outcomeQuestions.ran}, run again ${report.outcomeQuestions.runAgain})`,
    `Slack faults served: ${
      report.slackFaultsServed
        ? Object.entries(report.slackFaultsServed)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')
        : 'none (no fault endpoint)'
    }`,
    'Kills:',
    ...report.kills.map(
      (k) => `  t=${k.atSeconds}s ${k.what}: ${k.detail} (down ${(k.downMs / 1000).toFixed(1)}s)`,
    ),
    '',
    pad('Counted (each must be 0)', 58) + 'count',
    ...COUNT_ROWS.map(([k, label]) => `  ${pad(label, 56)}${report.counts[k]}`),
    '',
  ];
  for (const [k, label] of COUNT_ROWS) {
    const details = report.details[k];
    if (!details) continue;
    lines.push(`${label}:`, ...details.slice(0, 15).map((d) => `  - ${d}`), '');
  }
  lines.push(report.ok ? 'Every count is 0.' : 'FAILED: some counts are not 0 (details above).');
  return lines.join('\n');
}
