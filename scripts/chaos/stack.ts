import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { LoadedPolicy } from '../../policy/loader';
import { policyPeopleAndChannels } from '../../slack/emulator/policy-people';
import { startSlackEmulator, type SlackEmulator } from '../../slack/emulator/server';
import { bundleWorkflowsTo } from '../bundle-workflows';
import { startDevServer, type DevServer } from '../dev-server';
import { resolveTemporalCli } from '../temporal-cli';
import { BUILT, ROOT, SOURCES } from './paths';
import { writeChaosPolicy } from './policy';
import { freePort } from '../free-port';
import { forkReady, hasExited, stopChild } from './processes';

/** The side-effect file shell steps append their idempotency key to, inside the sandbox. */
export const SIDE_EFFECT_FILE = 'side-effects.log';

/** A complete Ladder stack of its own, in a temp folder, that the chaos run can kill parts of. */
export interface ChaosStack {
  dir: string;
  /** Environment for Ladder processes and the `ladder` CLI: this stack's Temporal, policy, keys, queue. */
  env: NodeJS.ProcessEnv;
  policy: LoadedPolicy;
  taskQueue: string;
  client: Client;
  demoUrl: string;
  emulator: SlackEmulator;
  workspaceRoot: string;
  sandboxDir: string;
  /** Absolute path of the shell steps' side-effect file. */
  sideEffectFile: string;
  /** SIGKILLs the worker (and, with it, any sandboxed command it runs); resolves once it is gone. */
  killWorker(): Promise<void>;
  /** Starts a worker and resolves once it polls. */
  startWorker(): Promise<void>;
  /** SIGKILLs the Temporal dev server; resolves once it is gone. */
  killDevServer(): Promise<void>;
  /** Starts the dev server again on the same port and database; resolves once it answers. */
  startDevServer(): Promise<void>;
  /** Processes that exited without being told to (name and how), for the report. */
  unexpectedExits: string[];
  stop(): Promise<void>;
}

/** Settings a developer may have exported for their own stack; never passed to the chaos stack. */
const FOREIGN_SETTINGS = /^(TEMPORAL_|LADDER_|SLACK_|DEMO_SERVICE_)/;

/**
 * Starts the whole stack on free ports in a new temp folder: a Temporal dev server with its own
 * database, the Slack emulator (in this process), the demo service, a worker and the Slack app
 * (child processes, from `dist/`), and a Temporal client.
 *
 * @param log - progress lines.
 * @param bundle - a prebuilt workflow bundle; bundled into the temp folder when absent.
 */
export async function startChaosStack(log: (line: string) => void, bundle?: string): Promise<ChaosStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ladder-chaos-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const [temporalPort, emulatorPort, slackPort, demoPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const keysDir = join(dir, 'keys');
  const { path: policyPath, policy } = writeChaosPolicy(dir, `127.0.0.1:${demoPort}`, keysDir);
  const workspaceRoot = join(dir, 'workspace');
  const sandboxDir = join(dir, 'sandbox');
  const stateDir = join(dir, 'state');
  for (const d of [
    workspaceRoot,
    sandboxDir,
    stateDir,
    join(workspaceRoot, 'chaos'),
    join(workspaceRoot, 'demo-service'),
  ])
    mkdirSync(d, { recursive: true });
  const demoConfig = join(workspaceRoot, 'demo-service', 'config.json');
  copyFileSync(SOURCES.demoConfig, demoConfig);
  const sideEffectFile = join(sandboxDir, SIDE_EFFECT_FILE);
  writeFileSync(sideEffectFile, '');
  const taskQueue = `chaos-${randomBytes(4).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  const deployToken = randomBytes(24).toString('hex');
  const bundlePath = bundle ?? join(dir, 'workflow-bundle.js');

  log(`Chaos stack in ${dir} (task queue ${taskQueue})`);
  const cli = await resolveTemporalCli({ root: ROOT, log });
  const devServerLog = join(logs, 'dev-server.log');
  const startServer = (): Promise<DevServer> =>
    startDevServer({
      cliPath: cli.path,
      port: temporalPort,
      dbPath: join(dir, 'dev.db'),
      readyTimeoutMs: 180_000,
      onOutput: (chunk) => appendFileSync(devServerLog, chunk),
    });
  let server: DevServer;
  [server] = await Promise.all([startServer(), bundle ? Promise.resolve(0) : bundleWorkflowsTo(bundlePath)]);
  const address = `127.0.0.1:${temporalPort}`;
  log(`  dev server ${address} (database ${join(dir, 'dev.db')})`);

  // As strict as Slack whatever the environment says: an exported "off" must not weaken a chaos run.
  const emulator = await startSlackEmulator({
    port: emulatorPort,
    ...policyPeopleAndChannels(policy),
    rateLimits: true,
  });
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !FOREIGN_SETTINGS.test(k))),
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: 'default',
    LADDER_TASK_QUEUE: taskQueue,
    LADDER_POLICY_PATH: policyPath,
    LADDER_WORKFLOW_BUNDLE: bundlePath,
    LADDER_WORKSPACE_ROOT: workspaceRoot,
    LADDER_SANDBOX_DIR: sandboxDir,
    LADDER_STATE_DIR: stateDir,
    // Longer than the run's slowest injected post (35 s), far shorter than the 2-minute default:
    // tasks with a retried post wait less for their late-copy sweep.
    LADDER_LATE_POST_GRACE_MS: '45000',
    LADDER_KEYS_DIR: keysDir,
    LADDER_SLACK_PORT: String(slackPort),
    LADDER_EMULATOR_PORT: String(emulatorPort),
    LADDER_EMULATOR_SIGNING_SECRET: signingSecret,
    LADDER_SECRET_DEMO_DEPLOY: deployToken,
    // Not measured here, and the default ports may belong to a stack someone is running.
    LADDER_WORKER_METRICS_PORT: 'off',
    LADDER_SLACK_METRICS_PORT: 'off',
    LADDER_API_METRICS_PORT: 'off',
    LOG_LEVEL: 'warn',
  };

  const unexpectedExits: string[] = [];
  let stopping = false;
  const watch = (name: string, child: ChildProcess, expected: () => boolean): void => {
    child.once('exit', (code, signal) => {
      if (!stopping && !expected())
        unexpectedExits.push(`${name} exited on its own (${signal ?? `code ${code}`})`);
    });
  };

  const demo = await forkReady(
    'demo service',
    BUILT.demoService,
    [demoConfig],
    { ...env, DEMO_SERVICE_PORT: String(demoPort), LADDER_DEMO_STATE_DIR: join(dir, 'demo-state') },
    join(logs, 'demo-service.log'),
  );
  watch('demo service', demo.child, () => false);
  const demoUrl = demo.url ?? `http://127.0.0.1:${demoPort}`;

  let workers = 0;
  let worker: ChildProcess | undefined;
  let killingWorker = false;
  const startWorker = async (): Promise<void> => {
    workers++;
    const started = await forkReady(
      `worker #${workers}`,
      BUILT.worker,
      [],
      env,
      join(logs, `worker-${workers}.log`),
    );
    worker = started.child;
    killingWorker = false;
    const mine = started.child;
    watch(`worker #${workers}`, mine, () => killingWorker || mine !== worker);
  };
  await startWorker();

  const slackApp = await forkReady('Slack app', BUILT.slackApp, [], env, join(logs, 'slack-app.log'));
  watch('Slack app', slackApp.child, () => false);
  if (!slackApp.url) throw new Error('the Slack app reported no request URL');
  // Slack allows 3 s for an ack; the app acks first, but a loaded 2-core machine gets more.
  emulator.connectApp({ url: slackApp.url, signingSecret, timeoutMs: 15_000 });

  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  let serverDown = false;

  return {
    dir,
    env,
    policy,
    taskQueue,
    client,
    demoUrl,
    emulator,
    workspaceRoot,
    sandboxDir,
    sideEffectFile,
    unexpectedExits,
    async killWorker() {
      if (!worker || hasExited(worker)) return;
      killingWorker = true;
      await stopChild(worker, 'SIGKILL');
    },
    startWorker,
    async killDevServer() {
      serverDown = true;
      await stopChild(server.process, 'SIGKILL');
    },
    async startDevServer() {
      server = await startServer();
      serverDown = false;
    },
    async stop() {
      stopping = true;
      if (worker) await stopChild(worker, 'SIGTERM');
      await stopChild(slackApp.child, 'SIGTERM');
      await stopChild(demo.child, 'SIGTERM');
      await emulator.close();
      await connection.close().catch(() => undefined);
      if (!serverDown) await server.stop();
    },
  };
}
