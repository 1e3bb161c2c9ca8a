// `npm run bench:announce-burst [-- --tasks N] [-- --quick]`: a burst of autonomous (rung-3) tasks in
// one class, with the Slack emulator's rate limits off and on (Slack's own: one message a second per
// channel), in interleaved rounds off, on, on, off. Reports whether the limit slows the tasks (throughput, on vs off, ≥ 0.9),
// whether every task is announced exactly once (its own message or a line in a channel-feed
// digest), and how late the last announcement lands after the last task closed.
//
// Everything runs in this one process (emulator, worker, client) against its own dev server: the
// two rounds share that skew, so their ratio is fair; absolute figures are lower than the
// multi-process task bench's.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { SlackNotifier } from '../activities/notify/slack';
import { submitTask } from '../client/submit-task';
import { bundleWorkflowsTo } from '../scripts/bundle-workflows';
import { startDevServer } from '../scripts/dev-server';
import { freePort } from '../scripts/free-port';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { policyPeopleAndChannels } from '../slack/emulator/policy-people';
import { startSlackEmulator, type SlackEmulator } from '../slack/emulator/server';
import { createLadderWorker } from '../worker/create-worker';
import { benchActivityDeps } from './ladder-activity-deps';
import { inPool, sleep } from './tasks/pool';
import { BENCH, writeBenchPolicy } from './tasks/policy';
import { clientTaskRequest } from './tasks/requests';
import { writeJson } from './tasks/write-json';

const ROOT = resolve(__dirname, '..', '..');
const SUBMIT_CONCURRENCY = 64;
/** How long to wait for the last announcement after the last task closed before counting it lost. */
const ANNOUNCE_TIMEOUT_MS = 10 * 60_000;

/** One round's figures. */
export interface BurstRound {
  rateLimits: 'off' | 'on';
  tasks: number;
  /** Tasks per second, first submission to last close. */
  throughput: number;
  /** Tasks that ended in anything but `executed` (a failed step would make the round meaningless). */
  notExecuted: number;
  /** Tasks whose id appears in no message of the channel. */
  missing: number;
  /** Tasks whose id appears in more than one message. */
  duplicated: number;
  /** Tasks announced in their own message, and in a digest. */
  ownMessages: number;
  inDigests: number;
  digests: number;
  /** From the last task's close to its last announcement landing, ms (≥ 0). */
  lastAnnouncementLateMs: number;
  /** Calls the emulator refused with 429 during the round. */
  refused: number;
}

/**
 * Counts, per task id, the messages mentioning it (a button value naming the workflow) and which
 * of them are digests. Pure.
 */
export function announcementsOf(
  messages: readonly { text: string; blocks?: unknown }[],
  workflowIds: readonly string[],
): { counts: Map<string, number>; inDigest: Set<string>; digests: number } {
  const counts = new Map(workflowIds.map((id) => [id, 0]));
  const inDigest = new Set<string>();
  let digests = 0;
  for (const m of messages) {
    const json = JSON.stringify(m.blocks ?? []);
    const digest = /ran on their own authority/.test(m.text);
    let ours = false;
    for (const match of json.matchAll(/"value":"(task\/[^"#]+)"/g)) {
      const id = match[1];
      if (!counts.has(id)) continue;
      ours = true;
      counts.set(id, counts.get(id)! + 1);
      if (digest) inDigest.add(id);
    }
    // Only this round's digests: the channel keeps earlier rounds' messages.
    if (digest && ours) digests++;
  }
  return { counts, inDigest, digests };
}

async function runRound(
  emulator: SlackEmulator,
  submit: (i: number) => Promise<{ workflowId: string; result: () => Promise<unknown> }>,
  tasks: number,
  rateLimits: 'off' | 'on',
): Promise<BurstRound> {
  emulator.setRateLimits({ enabled: rateLimits === 'on' });
  const refusedBefore = emulator.rateLimitReport().limited.total;
  const started = Date.now();
  let lastClose = started;
  const ids = await inPool(
    Array.from({ length: tasks }, (_, i) => i),
    SUBMIT_CONCURRENCY,
    async (i) => {
      const { workflowId, result } = await submit(i);
      void result().then(() => (lastClose = Math.max(lastClose, Date.now())));
      return { workflowId, result };
    },
  );
  const outcomes = (await Promise.all(ids.map((s) => s.result()))) as { outcome?: string }[];
  const throughput = tasks / ((lastClose - started) / 1000);
  const workflowIds = ids.map((s) => s.workflowId);
  const channel = BENCH.autonomousChannel;
  const giveUpAt = Date.now() + ANNOUNCE_TIMEOUT_MS;
  let seen = announcementsOf(emulator.messages(channel), workflowIds);
  while ([...seen.counts.values()].some((n) => n === 0) && Date.now() < giveUpAt) {
    await sleep(100);
    seen = announcementsOf(emulator.messages(channel), workflowIds);
  }
  const lastAnnouncementLateMs = Math.max(0, Date.now() - lastClose);
  const counts = [...seen.counts.values()];
  return {
    rateLimits,
    tasks,
    throughput,
    notExecuted: outcomes.filter((o) => o.outcome !== 'executed').length,
    missing: counts.filter((n) => n === 0).length,
    duplicated: counts.filter((n) => n > 1).length,
    ownMessages: counts.filter((n) => n > 0).length - seen.inDigest.size,
    inDigests: seen.inDigest.size,
    digests: seen.digests,
    lastAnnouncementLateMs,
    refused: emulator.rateLimitReport().limited.total - refusedBefore,
  };
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench:announce-burst')
    .exitOverride()
    .option('--tasks <n>', 'tasks per round', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new InvalidArgumentError(`expected a whole number ≥ 1, got ${v}`);
      return n;
    })
    .option('--quick', 'a short run: 200 tasks per round');
  try {
    program.parse(process.argv.slice(2), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    throw err;
  }
  const opts = program.opts<{ tasks?: number; quick?: boolean }>();
  const tasks = opts.tasks ?? (opts.quick ? 200 : 1000);

  const dir = mkdtempSync(join(tmpdir(), 'ladder-announce-burst-'));
  const { policy } = writeBenchPolicy(dir, join(dir, 'keys'));
  const cli = await resolveTemporalCli({ root: ROOT, log: (l) => process.stderr.write(`${l}\n`) });
  const bundlePath = join(dir, 'workflows.js');
  const [server] = await Promise.all([
    freePort().then((port) => startDevServer({ cliPath: cli.path, port, readyTimeoutMs: 180_000 })),
    bundleWorkflowsTo(bundlePath),
  ]);
  const emulator = await startSlackEmulator({
    port: 0,
    ...policyPeopleAndChannels(policy),
    rateLimits: false,
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'bench-announce-burst';
  const dirs = {
    workspaceRoot: join(dir, 'workspace'),
    sandboxDir: join(dir, 'sandbox'),
    stateDir: join(dir, 'state'),
  };
  Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
  const { registry, activityDeps } = benchActivityDeps({
    policy,
    client,
    taskQueue,
    dirs,
    notifier: new SlackNotifier('xoxb-bench', emulator.apiUrl),
  });
  const worker = await createLadderWorker({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflows: { bundlePath },
    activityDeps,
  });
  const running = worker.run();
  const rounds: BurstRound[] = [];
  try {
    let n = 0;
    const submit = async (i: number) => {
      const taskId = `burst-${++n}-${i}`;
      const s = await submitTask(client, clientTaskRequest(taskId, `burst/${taskId}.txt`, 'autonomous'), {
        taskQueue,
        policy,
        actions: registry,
      });
      return { workflowId: s.workflowId, result: () => s.handle.result() };
    };
    // Interleaved, so neither side always runs on the emptier database.
    for (const limits of ['off', 'on', 'on', 'off'] as const) {
      process.stderr.write(`round: ${tasks} tasks, rate limits ${limits}\n`);
      rounds.push(await runRound(emulator, submit, tasks, limits));
    }
  } finally {
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    await emulator.close();
    await server.stop();
  }
  const mean = (limits: 'off' | 'on'): number => {
    const r = rounds.filter((x) => x.rateLimits === limits);
    return r.reduce((sum, x) => sum + x.throughput, 0) / r.length;
  };
  const ratio = mean('on') / mean('off');
  const on = rounds.filter((r) => r.rateLimits === 'on');
  const lines = [
    `## Announcements in a burst of ${tasks} autonomous tasks in one channel`,
    '',
    '| rate limits | tasks/s | own messages | in digests | digests | missing | duplicated | last announcement after last close | 429s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rounds.map(
      (r) =>
        `| ${r.rateLimits} | ${r.throughput.toFixed(1)} | ${r.ownMessages} | ${r.inDigests} | ${r.digests} | ${r.missing} | ${r.duplicated} | ${(r.lastAnnouncementLateMs / 1000).toFixed(1)} s | ${r.refused} |`,
    ),
    '',
    `Throughput with Slack's limits on vs off (mean of the interleaved rounds): **${ratio.toFixed(2)}** (target ≥ 0.9); with the limits on, lost: ${on.reduce((n, r) => n + r.missing, 0)}, duplicated: ${on.reduce((n, r) => n + r.duplicated, 0)}; not executed in any round: ${rounds.reduce((n, r) => n + r.notExecuted, 0)} (targets 0).`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await writeJson(join(ROOT, 'bench', 'results', 'announce-burst.json'), {
    at: new Date().toISOString(),
    tasks,
    rounds,
    throughputRatio: ratio,
  });
  const met =
    ratio >= 0.9 && rounds.every((r) => r.missing === 0 && r.duplicated === 0 && r.notExecuted === 0);
  process.exitCode = met ? 0 : 1;
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`bench:announce-burst: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  });
