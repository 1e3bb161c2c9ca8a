// `npm run chaos`: starts a complete Ladder stack of its own, runs a mix of tasks across every rung
// and action while killing the worker and the dev server and injecting Slack faults, answers what
// the tasks ask as people would (Slack clicks and signed CLI answers), then counts what was lost,
// left stuck or duplicated. Exits 1 when any count is not 0. See scripts/chaos/.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { countProblems } from './chaos/checks';
import { Destinations } from './chaos/destinations';
import { Driver } from './chaos/driver';
import { planKills, runKills, type KillRecord } from './chaos/kills';
import { parseChaosArgs, type ChaosOptions } from './chaos/options';
import { BUILT } from './chaos/paths';
import { seededRandom } from './chaos/random';
import { buildReport, formatReport } from './chaos/report';
import { faultBatch, injectSlackFaults, servedSlackFaults } from './chaos/slack-faults';
import { listSlackMessages } from './chaos/slack-messages';
import { startChaosStack, type ChaosStack } from './chaos/stack';
import { BROKEN_SERVICE, planTask, type TrapKind } from './chaos/task-mix';
import { runMain } from './run-main';

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Slack faults go in three batches: at the start, a third and two thirds into the submissions. */
const FAULT_BATCHES = 3;

async function injectFaultsAlongTheWay(
  options: ChaosOptions,
  stack: ChaosStack,
  driver: Driver,
): Promise<void> {
  for (let batch = 0; batch < FAULT_BATCHES; batch++) {
    const at = Math.floor((options.tasks * batch) / FAULT_BATCHES);
    while (driver.submittedCount() < at && driver.submittedCount() < driver.runs.length) await sleep(200);
    const requests = faultBatch(options.slackFaults, batch, FAULT_BATCHES);
    if (requests.length === 0) continue;
    const queued = await injectSlackFaults(stack.emulator.url, requests);
    say(`  queued ${queued} Slack faults (batch ${batch + 1} of ${FAULT_BATCHES})`);
  }
}

/** The demo service keeps one service broken, so health checks naming it fail (rung-4 rollbacks). */
async function breakOneService(stack: ChaosStack): Promise<void> {
  const response = await fetch(`${stack.demoUrl}/deploys`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${stack.env.LADDER_SECRET_DEMO_DEPLOY}`,
      'idempotency-key': 'chaos-setup/broken-service',
    },
    body: JSON.stringify({ service: BROKEN_SERVICE, version: '0-broken' }),
  });
  if (!response.ok)
    throw new Error(`could not break ${BROKEN_SERVICE} at the demo service: ${response.status}`);
}

async function run(options: ChaosOptions): Promise<number> {
  for (const [name, file] of Object.entries(BUILT))
    if (!existsSync(file)) throw new Error(`${file} (${name}) is missing: run \`npm run build\` first`);
  const startedAt = Date.now();
  const stack = await startChaosStack(say, options.bundle);
  // Ctrl-C must not leave the dev server (the one child without an IPC channel) running.
  const interrupted = (signal: NodeJS.Signals): void => {
    say(`\n${signal}: stopping the chaos stack (its folder is kept: ${stack.dir})`);
    void stack.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  let ok = false;
  try {
    await breakOneService(stack);
    const startUp = Math.round((Date.now() - startedAt) / 1000);
    const events = planKills(options.tasks, options.workerKills, options.serverKills);
    const traps = new Map<number, TrapKind>();
    for (const e of events) if (e.what === 'worker' && e.trap) traps.set(e.trap.taskIndex, e.trap.kind);
    const rnd = seededRandom(options.seed);
    const ctx = { demoUrl: stack.demoUrl, policy: stack.policy, seed: options.seed };
    const plans = Array.from({ length: options.tasks }, (_, i) => planTask(i, rnd, ctx, traps.get(i)));
    const destinations = new Destinations(stack.demoUrl, stack.sideEffectFile, stack.workspaceRoot);
    const driver = new Driver(stack, plans, destinations, options.maxActive);
    say(`Stack up in ${startUp}s. Running ${options.tasks} tasks…`);

    const tasksStartedAt = Date.now();
    const progress = setInterval(() => {
      say(
        `  t=${Math.round((Date.now() - startedAt) / 1000)}s submitted ${driver.submittedCount()}/${options.tasks}, finished ${driver.finishedCount()}, closing ${driver.runs.filter((r) => !r.done && r.status?.phase === 'done').length}, waiting for a person ${driver.waitingCount()}`,
      );
    }, 15_000);
    const polling = driver.pollAll();
    const submitting = driver.submitAll();
    let kills: KillRecord[] = [];
    try {
      const [, killed] = await Promise.all([
        injectFaultsAlongTheWay(options, stack, driver),
        runKills(events, stack, driver, destinations, startedAt, say),
        submitting,
      ]);
      kills = killed;
      const deadline = Date.now() + options.settleMs;
      while (!driver.allSettled() && Date.now() < deadline) await sleep(500);
    } finally {
      clearInterval(progress);
      driver.stop();
      await polling;
    }
    await driver.finalLook();
    const counts = await countProblems(
      driver.runs,
      destinations,
      await listSlackMessages(stack.emulator),
      kills,
      events.length,
      stack.unexpectedExits,
    );
    const served = await servedSlackFaults(stack.emulator.url).catch(() => null);
    const report = buildReport(options, driver.runs, counts, kills, served, {
      total: Math.round((Date.now() - startedAt) / 1000),
      startUp,
      tasks: Math.round((Date.now() - tasksStartedAt) / 1000),
    });
    say(formatReport(report));
    if (options.json) writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    ok = report.ok;
    return ok ? 0 : 1;
  } finally {
    await stack
      .stop()
      .catch((err: unknown) => say(`could not stop the stack cleanly: ${(err as Error).message}`));
    if (ok && !options.keep) rmSync(stack.dir, { recursive: true, force: true });
    else say(`The run's folder (policy, logs, database, side-effect file) is kept: ${stack.dir}`);
  }
}

void runMain('Chaos run', parseChaosArgs, run, 1);
