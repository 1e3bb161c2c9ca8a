// `node dist/bench/dashboard.js [--quick]` (part `dashboard` of `npm run bench`): the dashboard's
// main page with many tasks in history (issue 12, item 1). Starts a dev server (SQLite file) and a
// worker with trust ledgers in this process, writes a policy of A agents × C task classes, seeds N
// autonomous tasks (config.set, rung 3) spread over every agent and class plus some left waiting
// for approval, waits until visibility lists them all, then starts the dashboard and measures GET /
// cold (first load) and warm (sequential, then 10 at a time). Prints a markdown table, writes
// bench/results/dashboard[-quick].json; exits 1 when p99 misses 300 ms, 2 when the run failed.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Command, InvalidArgumentError } from 'commander';
import { createActionRegistry } from '../activities/actions/registry';
import { RecordingNotifier } from '../activities/notify/recording';
import { RecordingOutcomes } from '../activities/outcomes';
import { createLedgerLink } from '../client/ledger-link';
import { submitTask } from '../client/submit-task';
import { startDashboard } from '../dashboard/start-dashboard';
import { loadPolicyFile, type LoadedPolicy } from '../policy/loader';
import { startDevServer } from '../scripts/dev-server';
import { freePort } from '../scripts/free-port';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { createLadderWorker, WORKFLOWS_PATH } from '../worker/create-worker';
import { summarize, type LatencySummary } from './latency-stats';
import { beginRun, finishRun } from './tasks/finish-run';
import { targetTable, type TargetCheck } from './tasks/report';
import { benchLog } from './tasks/run-stack';
import { ROOT } from './tasks/stack';

const { say, progress } = benchLog();
/** The issue's bar for the main page. */
const TARGET_MS = 300;
/** Config files the seeded tasks change. */
const CONFIG_FILES = 500;

interface Options {
  quick: boolean;
  tasks: number;
  agents: number;
  classes: number;
  waiting: number;
  requests: number;
  concurrency: number;
  out: string;
}

const whole = (min: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}`);
  return n;
};

function parseOptions(argv: string[]): Options {
  const program = new Command('bench:dashboard')
    .option('--quick', '1,000 tasks (the full grid: 100 agents × 10 classes), 200 requests')
    .option('--tasks <n>', 'tasks seeded in history', whole(1))
    .option('--agents <n>', 'agents in the policy', whole(1))
    .option('--classes <n>', 'task classes in the policy', whole(1))
    .option('--waiting <n>', 'tasks left waiting for an approval', whole(0))
    .option('--requests <n>', 'warm GET / measured', whole(10))
    .option('--concurrency <n>', 'submissions in flight while seeding', whole(1), 40)
    .option('--out <file>', 'JSON results (relative to the project root)');
  program.parse(argv, { from: 'user' });
  const o = program.opts<Partial<Options>>();
  const quick = o.quick === true;
  return {
    quick,
    tasks: o.tasks ?? (quick ? 1_000 : 10_000),
    agents: o.agents ?? 100,
    classes: o.classes ?? 10,
    waiting: o.waiting ?? 20,
    requests: o.requests ?? (quick ? 200 : 500),
    concurrency: o.concurrency ?? 40,
    out: o.out ?? `bench/results/dashboard${quick ? '-quick' : ''}.json`,
  };
}

/** A policy of `agents` × `classes`, every agent at rung 3 in every class, config.set only. */
function writePolicy(dir: string, agents: number, classes: number): { path: string; policy: LoadedPolicy } {
  const classNames = Array.from({ length: classes }, (_, i) => `c${i}`);
  const lines = [
    "version: 'bench-dashboard'",
    'admins: [U0ADMIN01]',
    'environments: [staging]',
    'answers: {}',
    'taskClasses:',
    ...classNames.flatMap((c) => [
      `  ${c}:`,
      '    cap: 5',
      '    actions: [config.set]',
      `    channel: '#${c}'`,
      '    approvers: { users: [U0APPR001] }',
      '    bounds: { actions: [config.set], environments: [staging], perDay: { count: 1000000, costUsd: 1000000 } }',
      '    approval: { remindAfter: 30m, expireAfter: 1h }',
    ]),
    'agents:',
    ...Array.from(
      { length: agents },
      (_, i) =>
        `  a${String(i).padStart(3, '0')}: { owner: U0OWNER01, model: m, promptVersion: p, rungs: { ${classNames.map((c) => `${c}: 3`).join(', ')} } }`,
    ),
    'promotion: {}',
    'audit: { sampleRate: 0 }',
  ];
  const path = join(dir, 'policy.yaml');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return { path, policy: loadPolicyFile(path).policy };
}

/** Runs `fn` over 0..n-1 with at most `limit` in flight. */
async function pool(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

/** Times `requests` GETs of `url`, `parallel` at a time, in ms. */
async function timeGets(url: string, requests: number, parallel: number): Promise<number[]> {
  const times: number[] = [];
  await pool(requests, parallel, async () => {
    const t0 = performance.now();
    const res = await fetch(url);
    const body = await res.text();
    if (res.status !== 200 || !body.includes('id="grid"')) throw new Error(`GET ${url}: ${res.status}`);
    times.push(performance.now() - t0);
  });
  return times;
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const begun = await beginRun('d');
  say(
    `bench:dashboard ${options.quick ? '--quick' : '(full)'}: ${options.tasks} tasks, ${options.agents} agents × ${options.classes} classes; load ${begun.loadBefore.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'ladder-bench-dashboard-'));
  const { path: policyPath, policy } = writePolicy(dir, options.agents, options.classes);
  const workspaceRoot = join(dir, 'workspace');
  const sandboxDir = join(dir, 'sandbox');
  const stateDir = join(dir, 'state');
  for (const d of [workspaceRoot, sandboxDir, stateDir]) mkdirSync(d, { recursive: true });
  // config.set changes files that exist: one per 500th task, so concurrent tasks rarely share one.
  mkdirSync(join(workspaceRoot, 'bench'));
  for (let i = 0; i < CONFIG_FILES; i++) writeFileSync(join(workspaceRoot, 'bench', `${i}.json`), '{}\n');
  const cli = await resolveTemporalCli({ root: ROOT, log: progress });
  const port = await freePort();
  const server = await startDevServer({ cliPath: cli.path, port, dbPath: join(dir, 'dev.db') });
  const address = `127.0.0.1:${port}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `bench-dashboard-${randomBytes(4).toString('hex')}`;
  const worker = await createLadderWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    workflows: { workflowsPath: WORKFLOWS_PATH },
    activityDeps: {
      policy: () => policy,
      registry: createActionRegistry(),
      client,
      taskQueue,
      workspaceRoot,
      sandboxDir,
      stateDir,
      notifier: new RecordingNotifier(),
      outcomes: new RecordingOutcomes(),
      ledger: createLedgerLink({ client, taskQueue }),
    },
  });
  const running = worker.run();
  let problem: string | undefined;
  const figures: Record<string, unknown> = {};
  const checks: TargetCheck[] = [];
  const sections: string[] = [];
  try {
    const agents = Object.keys(policy.agents);
    const classes = Object.keys(policy.taskClasses);
    const request = (i: number, waiting: boolean) => ({
      taskId: `${begun.runTag}-${i}`,
      agent: { id: agents[i % agents.length], model: 'm', promptVersion: 'p' },
      taskClass: classes[Math.floor(i / agents.length) % classes.length],
      title: `bench task ${i}`,
      requester: 'U0APPR001',
      environment: 'staging',
      steps: [{ action: 'config.set', params: { file: `bench/${i % CONFIG_FILES}.json`, set: { n: i } } }],
      ...(waiting ? { requestedRung: { rung: 2, reason: 'bench: left waiting' } } : {}),
    });
    const submit = (i: number, waiting: boolean) =>
      submitTask(client, request(i, waiting), { taskQueue, policy, actions: createActionRegistry() });
    progress(`seeding ${options.tasks} autonomous tasks, ${options.concurrency} in flight`);
    const seedStart = Date.now();
    let done = 0;
    await pool(options.tasks, options.concurrency, async (i) => {
      const { handle } = await submit(i, false);
      await handle.result();
      if (++done % 1000 === 0) progress(`  ${done} done`);
    });
    for (let i = 0; i < options.waiting; i++) await submit(options.tasks + i, true);
    const seedSeconds = (Date.now() - seedStart) / 1000;
    progress(`seeded in ${seedSeconds.toFixed(0)} s; waiting for visibility to list every task`);
    const closedQuery = `WorkflowType = 'delegatedTask' AND TaskQueue = '${taskQueue}' AND ExecutionStatus != 'Running'`;
    for (;;) {
      const { count } = await client.workflow.count(closedQuery);
      if (count >= options.tasks) break;
      await new Promise((r) => setTimeout(r, 500));
    }

    const startedAt = performance.now();
    const dashboard = await startDashboard({
      client,
      config: {
        temporalUiUrl: 'http://127.0.0.1:8233',
        namespace: 'default',
        taskQueue,
        policyPath,
        slack: {
          kind: 'emulator',
          port: 0,
          emulatorPort: 0,
          apiUrl: 'http://127.0.0.1:0/api/',
          botToken: 'xoxb-bench',
        },
      },
      env: {
        port: 0,
        host: '127.0.0.1',
        refreshMs: 5_000,
        publicUrl: null,
        sessionMs: 3_600_000,
        signInRequired: false,
      },
      policy: () => policy,
    });
    try {
      const url = `${dashboard.url}/`;
      await timeGets(url, 1, 1);
      // From the start: the dashboard begins its first read as it starts, and the first GET waits for it.
      const coldMs = performance.now() - startedAt;
      progress(
        `cold first load ${coldMs.toFixed(0)} ms (reads every ledger, the kill switch and running tasks)`,
      );
      const sequential = summarize(await timeGets(url, options.requests, 1));
      const parallel = summarize(await timeGets(url, options.requests, 10));
      const pageBytes = (await (await fetch(url)).text()).length;
      figures.dashboard = {
        tasks: options.tasks,
        agents: options.agents,
        classes: options.classes,
        waiting: options.waiting,
        seedSeconds,
        coldMs,
        sequential,
        tenAtATime: parallel,
        pageBytes,
      };
      const row = (name: string, s: LatencySummary) =>
        `| ${name} | ${options.tasks} | ${options.agents} × ${options.classes} | ${s.count} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} | ${s.max.toFixed(1)} |`;
      sections.push(
        [
          '| GET / | tasks in history | agents × classes | requests | p50 ms | p99 ms | max ms |',
          '|---|---|---|---|---|---|---|',
          row('sequential', sequential),
          row('10 at a time', parallel),
          `| cold (first load) | ${options.tasks} | ${options.agents} × ${options.classes} | 1 | ${coldMs.toFixed(1)} | | |`,
        ].join('\n'),
        `Page size ${Math.round(pageBytes / 1024)} KiB; seeding took ${seedSeconds.toFixed(0)} s.`,
      );
      checks.push(
        {
          name: 'main page p99, sequential (ms)',
          value: sequential.p99,
          target: `< ${TARGET_MS}`,
          met: sequential.p99 < TARGET_MS,
        },
        {
          name: 'main page p99, 10 at a time (ms)',
          value: parallel.p99,
          target: `< ${TARGET_MS}`,
          met: parallel.p99 < TARGET_MS,
        },
      );
      sections.push(targetTable(checks));
    } finally {
      await dashboard.close();
    }
  } catch (err) {
    problem = err instanceof Error ? err.message : String(err);
    say(`bench:dashboard stopped: ${problem}`);
  } finally {
    worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    await nativeConnection.close();
    await server.stop();
    if (problem === undefined) rmSync(dir, { recursive: true, force: true });
  }
  return finishRun(
    {
      ...begun,
      benchmark: 'dashboard',
      options: { ...options, inMemoryServer: false },
      emulatorRateLimits: 'not used (recording notifier)',
      stack: { worker: 'in-process, trust ledgers on', dashboard: 'in-process, refresh 5 s' },
      figures,
      checks,
      sections,
      problem,
    },
    say,
  );
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:dashboard: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
