// `npm run bench:cluster [-- --quick]`: rung-3 tasks per second on the local Temporal cluster
// (scripts/cluster.sh: PostgreSQL, four server services) with one Ladder worker and with two, beside
// the dev server's, in one run (issue 14, item 5). Each configuration gets its own bench stack
// (Slack emulator, agent API, workers) and the same plan: a warm-up, then batches of N tasks
// submitted through the TypeScript client. Starts the cluster when it is down (building it the
// first time) and stops it again afterwards. Exits 2 when the run could not finish; no target is
// set, so it never exits 1.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { LOCAL_CLUSTER_DEFAULT_PORTS } from '../config/env';
import { BatchFailed, runBatch, type BatchResult } from './tasks/batches';
import { beginRun, finishRun } from './tasks/finish-run';
import { median } from './tasks/figures';
import { benchLog, onBenchStack } from './tasks/run-stack';
import { ROOT, type ExternalTemporal } from './tasks/stack';
import { stackOptionsOf, wholeNumber, withStackOptions, type StackBenchOptions } from './tasks/stack-options';
import { runMain } from '../scripts/run-main';

const { say, progress } = benchLog();

/** Options of bench:cluster. */
export interface ClusterBenchOptions extends StackBenchOptions {
  /** Tasks per batch. */
  n: number;
  /** Batches per configuration (after one warm-up batch of 20 that is not counted). */
  rounds: number;
  /** Tasks in flight at once while submitting. */
  submitConcurrency: number;
}

/** One configuration the bench measures. */
export interface ClusterConfiguration {
  name: string;
  server: 'dev server' | 'local cluster';
  workers: number;
}

/** The configurations, in the order they run. */
export const CLUSTER_CONFIGURATIONS: readonly ClusterConfiguration[] = [
  { name: 'dev server, 1 worker', server: 'dev server', workers: 1 },
  { name: 'cluster, 1 worker', server: 'local cluster', workers: 1 },
  { name: 'cluster, 2 workers', server: 'local cluster', workers: 2 },
];

/** Parses bench:cluster's arguments; `--quick` makes it 2 batches of 100 per configuration. */
export function parseClusterBenchOptions(argv: string[]): ClusterBenchOptions {
  const program = withStackOptions(
    new Command().name('bench:cluster'),
    'cluster',
    'two batches of 100 per configuration (default: three of 300)',
  )
    .option('--n <tasks>', 'tasks per batch', wholeNumber(10))
    .option('--rounds <k>', 'batches per configuration', wholeNumber(1))
    .option('--submit-concurrency <k>', 'submissions in flight at once (default 50)', wholeNumber(1));
  program.parse(argv, { from: 'user' });
  const o = program.opts<{ n?: number; rounds?: number; submitConcurrency?: number; quick?: boolean }>();
  const base = stackOptionsOf(o, 'cluster');
  return {
    ...base,
    n: o.n ?? (base.quick ? 100 : 300),
    rounds: o.rounds ?? (base.quick ? 2 : 3),
    submitConcurrency: o.submitConcurrency ?? 50,
  };
}

/** What one configuration measured. */
export interface ConfigurationResult {
  configuration: ClusterConfiguration;
  batches: BatchResult[];
  problem?: string;
}

/** One row of the report: a configuration's batches summed up. Pure. */
export function summarizeConfiguration(result: ConfigurationResult) {
  const rates = result.batches.map((b) => b.tasksPerSecond);
  const cpu = (match: (name: string) => boolean): number =>
    median(
      result.batches.map((b) =>
        Object.entries(b.cpuMsPerTask)
          .filter(([name]) => match(name))
          .reduce((sum, [, ms]) => sum + ms, 0),
      ),
    );
  return {
    configuration: result.configuration.name,
    batches: result.batches.length,
    tasksPerSecond: { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) },
    taskWallP50Ms: median(result.batches.map((b) => b.taskWallMs.p50)),
    workerCpuMsPerTask: cpu((name) => name.startsWith('Ladder worker')),
    serverCpuMsPerTask: cpu((name) => name === 'dev server' || name.startsWith('temporal ')),
    otherLoadCores: median(result.batches.map((b) => b.otherLoadCores)),
    ...(result.problem ? { problem: result.problem } : {}),
  };
}

/** The report's table. Pure. */
export function clusterTable(rows: readonly ReturnType<typeof summarizeConfiguration>[]): string {
  const f = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '—');
  return [
    '| configuration | batches | rung-3 tasks/s, median (min–max) | task wall p50 | Ladder workers CPU / task | Temporal CPU / task | other load |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.configuration} | ${r.batches} | ${f(r.tasksPerSecond.median)} (${f(r.tasksPerSecond.min)}–${f(r.tasksPerSecond.max)}) | ${f(r.taskWallP50Ms, 0)} ms | ${f(r.workerCpuMsPerTask, 0)} ms | ${f(r.serverCpuMsPerTask, 0)} ms | ${f(r.otherLoadCores, 2)} cores |${r.problem ? ` stopped: ${r.problem}` : ''}`,
    ),
  ].join('\n');
}

const CLUSTER_SCRIPT = join(ROOT, 'scripts', 'cluster.sh');
const CLUSTER_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;

/** The local cluster, as scripts/cluster.sh runs it: its frontend and its services' pids. */
function localCluster(): ExternalTemporal {
  const port = process.env.LADDER_CLUSTER_FRONTEND_PORT || String(LOCAL_CLUSTER_DEFAULT_PORTS.frontend);
  const runDir = join(process.env.LADDER_CLUSTER_DIR ?? join(ROOT, '.temporal', 'cluster'), 'run');
  const pidOf = (service: string): number => {
    try {
      return Number(readFileSync(join(runDir, `${service}.pid`), 'utf8').trim());
    } catch {
      return NaN;
    }
  };
  return {
    address: `127.0.0.1:${port}`,
    label: 'local cluster (PostgreSQL, 4 services)',
    // PostgreSQL is the cluster's too, but its backends come and go: the four services stand for it.
    pids: () => Object.fromEntries(CLUSTER_SERVICES.map((s) => [`temporal ${s}`, pidOf(s)])),
  };
}

function clusterCommand(...args: string[]): number {
  return (
    spawnSync('bash', [CLUSTER_SCRIPT, ...args], { stdio: ['ignore', 'inherit', 'inherit'] }).status ?? 2
  );
}

async function run(options: ClusterBenchOptions): Promise<number> {
  const begun = await beginRun('c');
  say(
    `bench:cluster ${options.quick ? '--quick' : '(full)'}: ${options.rounds} batch(es) of ${options.n} rung-3 tasks per configuration; ${begun.env.machine.cpus} × ${begun.env.machine.model}`,
  );
  const wasUp = spawnSync('bash', [CLUSTER_SCRIPT, 'status'], { stdio: 'ignore' }).status === 0;
  if (!wasUp && clusterCommand('up') !== 0) {
    say('bench:cluster: scripts/cluster.sh up failed (see above); nothing measured');
    return 2;
  }
  const results: ConfigurationResult[] = [];
  try {
    for (const configuration of CLUSTER_CONFIGURATIONS) {
      const result: ConfigurationResult = { configuration, batches: [] };
      results.push(result);
      progress(`${configuration.name}`);
      const { problem } = await onBenchStack(
        {
          ...options,
          ladderWorkers: configuration.workers,
          ...(configuration.server === 'local cluster' ? { temporal: localCluster() } : {}),
        },
        { say, progress },
        async (stack) => {
          const batchOptions = {
            concurrency: options.submitConcurrency,
            stallMs: options.stallSeconds * 1000,
            historySample: 3,
          };
          const tag = `${begun.runTag}-${configuration.server === 'dev server' ? 'dev' : 'cl'}${configuration.workers}`;
          // Not counted: the first tasks start the entity workflows and warm the workers' JITs.
          await runBatch(stack, { side: 'ladder-client', n: 20, round: 0, tag: `${tag}-warm` }, batchOptions);
          for (let round = 0; round < options.rounds; round++) {
            const batch = await runBatch(
              stack,
              { side: 'ladder-client', n: options.n, round, tag: `${tag}-r${round}` },
              batchOptions,
            );
            result.batches.push(batch);
            progress(
              `  ${configuration.name}, batch ${round + 1}/${options.rounds}: ${batch.tasksPerSecond.toFixed(1)} tasks/s (${batch.seconds.toFixed(1)} s; other load ${batch.otherLoadCores.toFixed(2)} cores)`,
            );
          }
        },
        (err) => err instanceof BatchFailed,
      );
      if (problem !== undefined) result.problem = problem;
    }
  } finally {
    if (!wasUp) clusterCommand('down');
  }
  const rows = results.map(summarizeConfiguration);
  const problem = results.find((r) => r.problem)?.problem;
  return finishRun(
    {
      ...begun,
      benchmark: 'cluster',
      options,
      emulatorRateLimits: 'off',
      stack: {
        configurations: CLUSTER_CONFIGURATIONS,
        note: 'one stack per configuration, run one after another (not interleaved); two workers share one host and its folders',
      },
      figures: { rows, batches: results },
      checks: [],
      sections: [
        clusterTable(rows),
        'Tasks per second from the first submission to the last completion of each batch; CPU per task by process, from the batch start until the stack was quiet again. Temporal CPU is the dev server, or the cluster’s four services; the cluster’s PostgreSQL is not counted there and shows as other load (cores the rest of the machine used meanwhile).',
      ],
      ...(problem !== undefined ? { problem } : {}),
    },
    say,
  );
}

if (require.main === module) void runMain('bench:cluster', parseClusterBenchOptions, run, 2);
