import { Command, InvalidArgumentError } from 'commander';

/** Slack Web API faults the run injects through the emulator, by kind. */
export interface SlackFaultPlan {
  /** 429 answers to chat.postMessage, each with `Retry-After: retryAfterSeconds`. */
  rateLimited: number;
  /** 500 answers, split between chat.postMessage and chat.update. */
  serverErrors: number;
  /** chat.postMessage calls done only after `slowMs` (posted after the caller gave up). */
  slow: number;
  /** chat.postMessage calls done at once but answered after `slowMs`. */
  slowAnswers: number;
  retryAfterSeconds: number;
  slowMs: number;
}

/** Everything one chaos run is told on its command line. */
export interface ChaosOptions {
  tasks: number;
  seed: number;
  workerKills: number;
  serverKills: number;
  /** Most tasks submitted and not yet finished at any time. */
  maxActive: number;
  /** How long tasks get to finish after the last submission and the last kill, in ms. */
  settleMs: number;
  slackFaults: SlackFaultPlan;
  /** A prebuilt workflow bundle (skips bundling at start). */
  bundle?: string;
  /** Keep the run's temp folder even when every count is 0. */
  keep: boolean;
  /** Where to write the report as JSON, if anywhere. */
  json?: string;
}

const whole =
  (name: string, min: number) =>
  (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min)
      throw new InvalidArgumentError(`${name} expects a whole number ≥ ${min}, got "${value}"`);
    return Number(value);
  };

/**
 * Reads `--slack-faults`: `none`, or `kind=count` pairs separated by commas, kinds `rate-limited`,
 * `server-error`, `slow`, `slow-answer`; kinds left out get 0.
 *
 * @throws {InvalidArgumentError} naming the pair that is wrong.
 */
export function parseSlackFaults(
  spec: string,
  base: Pick<SlackFaultPlan, 'retryAfterSeconds' | 'slowMs'>,
): SlackFaultPlan {
  const plan: SlackFaultPlan = { rateLimited: 0, serverErrors: 0, slow: 0, slowAnswers: 0, ...base };
  if (spec.trim() === 'none') return plan;
  const fields: Record<string, keyof SlackFaultPlan> = {
    'rate-limited': 'rateLimited',
    'server-error': 'serverErrors',
    slow: 'slow',
    'slow-answer': 'slowAnswers',
  };
  for (const pair of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^([a-z-]+)=(\d+)$/.exec(pair);
    if (!match || !fields[match[1]])
      throw new InvalidArgumentError(
        `--slack-faults: "${pair}" is not kind=count with kind one of ${Object.keys(fields).join(', ')} (or "none")`,
      );
    plan[fields[match[1]]] = Number(match[2]);
  }
  return plan;
}

/** The Slack faults of a default run: spread over three batches (see `faultBatch`). */
export const DEFAULT_SLACK_FAULTS = 'rate-limited=30,server-error=20,slow=3,slow-answer=3';

/**
 * Parses the chaos run's arguments (after `node dist/scripts/chaos.js`).
 *
 * @throws {CommanderError} on a bad argument, with commander's message naming it (exit code 2).
 */
export function parseChaosArgs(argv: readonly string[]): ChaosOptions {
  const program = new Command('npm run chaos --')
    .description(
      'Starts its own Ladder stack in a temp folder, runs tasks across every rung and action while killing the worker and the dev server and injecting Slack faults, then counts what was lost or duplicated.',
    )
    .option('--tasks <n>', 'tasks to run', whole('--tasks', 1), 500)
    .option('--seed <n>', 'seed for the task mix, answers and timings', whole('--seed', 0), 1)
    .option(
      '--worker-kills <n>',
      'worker SIGKILLs (the first three timed inside effects and an undo)',
      whole('--worker-kills', 0),
      4,
    )
    .option(
      '--server-kills <n>',
      'dev server SIGKILLs (restarted on the same database)',
      whole('--server-kills', 0),
      1,
    )
    .option('--max-active <n>', 'most tasks in flight at once', whole('--max-active', 1), 40)
    .option(
      '--settle <seconds>',
      'time tasks get to finish after the last submission and kill',
      whole('--settle', 1),
      600,
    )
    .option(
      '--slack-faults <spec>',
      'Slack faults, e.g. rate-limited=30,server-error=20,slow=3,slow-answer=3 or none',
      DEFAULT_SLACK_FAULTS,
    )
    .option('--retry-after <seconds>', 'Retry-After of the injected 429s', whole('--retry-after', 1), 5)
    .option(
      '--slow-ms <ms>',
      'delay of slow posts (more than the notify activity timeout, 30 s)',
      whole('--slow-ms', 0),
      35_000,
    )
    .option('--bundle <file>', 'a prebuilt workflow bundle (skips bundling at start)')
    .option('--keep', 'keep the temp folder even when every count is 0', false)
    .option('--json <file>', 'also write the report as JSON')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .parse([...argv], { from: 'user' });
  const o = program.opts<{
    tasks: number;
    seed: number;
    workerKills: number;
    serverKills: number;
    maxActive: number;
    settle: number;
    slackFaults: string;
    retryAfter: number;
    slowMs: number;
    bundle?: string;
    keep: boolean;
    json?: string;
  }>();
  return {
    tasks: o.tasks,
    seed: o.seed,
    workerKills: o.workerKills,
    serverKills: o.serverKills,
    maxActive: o.maxActive,
    settleMs: o.settle * 1000,
    slackFaults: parseSlackFaults(o.slackFaults, { retryAfterSeconds: o.retryAfter, slowMs: o.slowMs }),
    bundle: o.bundle,
    keep: o.keep,
    json: o.json,
  };
}
