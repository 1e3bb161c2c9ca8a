import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { createAgentToken } from '../../client/agent-tokens';
import { loadAnswerSigner, localKeyLayout, type AnswerSigner } from '../../client/answer-signer';
import type { LoadedPolicy } from '../../policy/loader';
import { bundleWorkflowsTo } from '../../scripts/bundle-workflows';
import { startDevServer, type DevServer } from '../../scripts/dev-server';
import { freePort } from '../../scripts/free-port';
import { policyPeopleAndChannels } from '../../slack/emulator/policy-people';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import type { EmulatorReply, KeyedPost, PostedButton } from './emulator-messages';
import { BENCH, writeBenchPolicy } from './policy';
import { emulatorLink } from './emulator-link';
import { forkReady, ProcessExited, stopChild, track } from './processes';
import { projectRoot } from './project-root';

/** The checkout's root. */
export const ROOT = projectRoot();

/** The built files the stack starts, after `npm run build`. */
const BUILT = {
  ladderWorker: join(ROOT, 'dist', 'worker', 'main.js'),
  api: join(ROOT, 'dist', 'api', 'main.js'),
  slackApp: join(ROOT, 'dist', 'slack', 'main.js'),
  baselineWorker: join(__dirname, '..', 'baseline', 'worker-main.js'),
  baselineWorkflows: join(__dirname, '..', 'baseline', 'workflows.js'),
  emulator: join(__dirname, 'emulator-process.js'),
  profileHook: join(__dirname, 'profile-hook.js'),
} as const;

/** Settings a developer may have exported for their own stack; never passed to the bench's processes. */
const FOREIGN_SETTINGS = /^(TEMPORAL_|LADDER_|SLACK_|DEMO_SERVICE_|BENCH_)/;

/** A Temporal server the bench stack uses instead of starting a dev server. */
export interface ExternalTemporal {
  address: string;
  /** What it is, for the log (e.g. "local cluster"). */
  label: string;
  /** Its processes by name, read when asked (a restarted service has a new pid). */
  pids(): Record<string, number>;
}

/** A complete Ladder stack and the baseline's worker, on free loopback ports, in a temp folder. */
export interface BenchStack {
  dir: string;
  address: string;
  client: Client;
  policy: LoadedPolicy;
  ladderQueue: string;
  baselineQueue: string;
  /** The agent API's base URL, e.g. http://127.0.0.1:23456. */
  apiUrl: string;
  /** A bearer token of the rung-3 agent, made by the policy admin as an operator would. */
  agentToken: string;
  /** The approver's own operator key, as `ladder respond` signs with. */
  approverKey: AnswerSigner;
  /** Where each side's file.write lands. */
  ladderWorkspace: string;
  baselineWorkspace: string;
  emulatorUrl: string;
  /** The workflow bundle Ladder's worker runs (for reading its CPU profile by module). */
  ladderWorkflowBundle: string;
  /** The workflow bundle the bare worker runs. */
  baselineWorkflowBundle: string;
  /** Whether the emulator's rate limits are off, as the throughput rounds need. */
  emulatorRateLimits: 'on' | 'off' | 'not implemented';
  /** The stack's own dev server's Prometheus endpoint; absent on an external server (the cluster). */
  serverMetricsUrl?: string;
  /** The Slack app's Prometheus endpoint, where its own ack histogram is read (once it runs). */
  slackAppMetricsUrl: string;
  /** Process ids by role, for CPU and memory readings. */
  pids(): Record<string, number>;
  ladderWorker: ChildProcess;
  /** The bare workflows' worker, profiled like Ladder's so the two can be read side by side. */
  baselineWorker: ChildProcess;
  /** Web API calls the emulator served so far, by method. */
  slackCalls(): Promise<{ total: number; byMethod: Record<string, number>; rateLimited: number }>;
  /**
   * The messages, in every channel, whose Ladder notification key starts with `keyPrefix` and ends
   * with `keySuffix`: how many, when the last was stored, and (with `withTimes`) each one's time.
   */
  keyedMessages(
    keyPrefix: string,
    keySuffix: string,
    withTimes?: boolean,
  ): Promise<{ count: number; lastPostedAtMs: number; posts?: KeyedPost[] }>;
  /** The buttons reading `text` on the messages of `channel`. */
  buttons(channel: string, text: string): Promise<PostedButton[]>;
  /**
   * Clicks a button as `user` through the emulator, which delivers it to the Slack app signed.
   * With `awaitTold`, resolves only once the app has also told `user`, ephemerally, something
   * including `awaitTold.textIncludes` (`toldMs`: click → told), or `awaitTold.timeoutMs` passed
   * (`toldError`).
   */
  click(
    user: string,
    channel: string,
    ts: string,
    actionId: string,
    awaitTold?: { textIncludes: string; timeoutMs: number },
  ): Promise<{ status: number; error?: string; ackMs: number; toldMs?: number; toldError?: string }>;
  /**
   * `work`, or a {@link ProcessExited} as soon as one of the stack's processes exits on its own
   * (a crashed worker), so a wait on the stack never outlives the process that would end it.
   */
  watch<T>(work: Promise<T>): Promise<T>;
  /** Starts the real Slack app and points the emulator's clicks at it (for the Approve-click phase). */
  startSlackApp(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts, in order: a Temporal dev server, the Slack emulator (rate limits off), Ladder's worker
 * (with the profile hook preloaded), the agent HTTP API, and the baseline's worker on its own task
 * queue; then mints the rung-3 agent's token. Every process is a child of this one, binds
 * 127.0.0.1 on a free port, logs to `<dir>/logs/`, and is killed if this process exits.
 *
 * @param log - progress lines.
 * @param options - `reportEscalationAfterMs`: when an unread report of the bench's rung-5 class
 *   first escalates (default: the bench policy's, {@link BENCH.reportEscalationAfterMs}).
 * @throws Error naming the process and its log file when one does not come up.
 */
export async function startBenchStack(
  log: (line: string) => void,
  options: {
    logLevel: string;
    inMemoryServer: boolean;
    reportEscalationAfterMs?: number;
    /** Both workers' `LADDER_WORKER_CACHED_WORKFLOWS`; unset, Ladder's default. */
    cachedWorkflows?: number;
    /**
     * A Temporal server already running (the local cluster) instead of a dev server of the stack's
     * own; `pids` names its processes, whose CPU the batches then count.
     */
    temporal?: ExternalTemporal;
    /** Ladder worker processes on the stack's task queue (one host, shared folders); default 1. */
    ladderWorkers?: number;
  },
): Promise<BenchStack> {
  for (const [name, file] of Object.entries(BUILT))
    if (!existsSync(file)) throw new Error(`${file} (${name}) is missing: run \`npm run build\` first`);
  const dir = mkdtempSync(join(tmpdir(), 'ladder-bench-tasks-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const [temporalPort, serverMetricsPort, emulatorPort, apiPort, slackPort, ...metricsPorts] =
    await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
  const keysDir = join(dir, 'keys');
  const { path: policyPath, policy } = writeBenchPolicy(dir, keysDir, options.reportEscalationAfterMs);
  const sideDirs = (side: string) => {
    const dirs = {
      workspaceRoot: join(dir, side, 'workspace'),
      sandboxDir: join(dir, side, 'sandbox'),
      stateDir: join(dir, side, 'state'),
    };
    Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
    return dirs;
  };
  const ladderDirs = sideDirs('ladder');
  const baselineDirs = sideDirs('baseline');
  const suffix = randomBytes(4).toString('hex');
  const ladderQueue = `bench-ladder-${suffix}`;
  const baselineQueue = `bench-baseline-${suffix}`;
  const ladderBundle = join(dir, 'ladder-workflow-bundle.js');
  const baselineBundle = join(dir, 'baseline-workflow-bundle.js');
  const signingSecret = randomBytes(16).toString('hex');

  log(`bench stack in ${dir}`);
  const cli = options.temporal ? undefined : await resolveTemporalCli({ root: ROOT, log });
  const devServerLog = join(logs, 'dev-server.log');
  const children: { name: string; child: ChildProcess }[] = [];
  let server: DevServer | undefined;
  let client: Client | undefined;
  // Rejected when one of the stack's processes exits before stop() asks it to.
  let stopping = false;
  let fail: (err: ProcessExited) => void = () => undefined;
  const died = new Promise<never>((_, reject) => (fail = reject));
  died.catch(() => undefined); // observed through watch(); never an unhandled rejection
  const watchExit = (name: string, child: ChildProcess, logFile: string): void =>
    void child.once('exit', (code, signal) => {
      if (!stopping) fail(new ProcessExited(name, signal ?? `code ${code}`, logFile));
    });
  const adopt = (name: string, child: ChildProcess, logFile: string): void => {
    children.push({ name, child });
    watchExit(name, child, logFile);
  };
  const stop = async (): Promise<void> => {
    stopping = true;
    for (const { child } of [...children].reverse()) await stopChild(child);
    children.length = 0;
    await client?.connection.close().catch(() => undefined);
    await server?.stop();
  };
  try {
    const bundled = Promise.all([
      bundleWorkflowsTo(ladderBundle),
      bundleWorkflowCode({
        workflowsPath: BUILT.baselineWorkflows,
        logger: new DefaultLogger('WARN'),
      }).then(({ code }) => writeFileSync(baselineBundle, code)),
    ]);
    let address: string;
    if (options.temporal) {
      await bundled;
      address = options.temporal.address;
      log(`  ${options.temporal.label} ${address}`);
    } else {
      server = await startDevServer({
        cliPath: cli!.path,
        port: temporalPort,
        ...(options.inMemoryServer ? {} : { dbPath: join(dir, 'dev.db') }),
        readyTimeoutMs: 180_000,
        metricsPort: serverMetricsPort,
        onOutput: (chunk) => appendFileSync(devServerLog, chunk),
      });
      track(server.process);
      watchExit('dev server', server.process, devServerLog);
      await bundled;
      address = server.address;
      log(
        `  dev server ${address} (pid ${server.process.pid}; ${options.inMemoryServer ? 'in memory' : 'SQLite file'})`,
      );
    }

    const baseEnv: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !FOREIGN_SETTINGS.test(k))),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'default',
      LADDER_POLICY_PATH: policyPath,
      LADDER_KEYS_DIR: keysDir,
      LADDER_EMULATOR_PORT: String(emulatorPort),
      LADDER_EMULATOR_SIGNING_SECRET: signingSecret,
      LADDER_SLACK_PORT: String(slackPort),
      LADDER_API_PORT: String(apiPort),
      LOG_LEVEL: options.logLevel,
      // Metrics on, as in production, so Ladder's figures include their cost; on free ports.
      LADDER_WORKER_METRICS_PORT: String(metricsPorts[0]),
      LADDER_SLACK_METRICS_PORT: String(metricsPorts[1]),
      LADDER_API_METRICS_PORT: String(metricsPorts[2]),
      ...(options.cachedWorkflows !== undefined
        ? { LADDER_WORKER_CACHED_WORKFLOWS: String(options.cachedWorkflows) }
        : {}),
    };
    const ladderEnv: NodeJS.ProcessEnv = {
      ...baseEnv,
      LADDER_TASK_QUEUE: ladderQueue,
      LADDER_WORKFLOW_BUNDLE: ladderBundle,
      LADDER_WORKSPACE_ROOT: ladderDirs.workspaceRoot,
      LADDER_SANDBOX_DIR: ladderDirs.sandboxDir,
      LADDER_STATE_DIR: ladderDirs.stateDir,
    };

    const emulator = await forkReady<Extract<EmulatorReply, { type: 'ready' }>>({
      name: 'Slack emulator',
      script: BUILT.emulator,
      env: {
        ...baseEnv,
        BENCH_EMULATOR_PORT: String(emulatorPort),
        BENCH_EMULATOR_PEOPLE: JSON.stringify(policyPeopleAndChannels(policy)),
        LADDER_EMULATOR_RATE_LIMITS: 'off',
      },
      logFile: join(logs, 'emulator.log'),
    });
    adopt('Slack emulator', emulator.child, join(logs, 'emulator.log'));
    log(`  Slack emulator ${emulator.ready.url} (rate limits ${emulator.ready.rateLimits})`);

    const worker = await forkReady({
      name: 'Ladder worker',
      script: BUILT.ladderWorker,
      env: ladderEnv,
      execArgv: ['--require', BUILT.profileHook],
      logFile: join(logs, 'ladder-worker.log'),
    });
    adopt('Ladder worker', worker.child, join(logs, 'ladder-worker.log'));
    log(`  Ladder worker pid ${worker.child.pid} on ${ladderQueue}`);
    // More workers on the same queue and folders, as several workers on one host run; only the first
    // is profiled and serves metrics (one port each would be needed, and one profile says enough).
    for (let n = 2; n <= (options.ladderWorkers ?? 1); n++) {
      const name = `Ladder worker ${n}`;
      const logFile = join(logs, `ladder-worker-${n}.log`);
      const more = await forkReady({
        name,
        script: BUILT.ladderWorker,
        env: { ...ladderEnv, LADDER_WORKER_METRICS_PORT: 'off' },
        logFile,
      });
      adopt(name, more.child, logFile);
      log(`  ${name} pid ${more.child.pid} on ${ladderQueue}`);
    }

    const api = await forkReady({
      name: 'agent API',
      script: BUILT.api,
      env: ladderEnv,
      logFile: join(logs, 'api.log'),
    });
    adopt('agent API', api.child, join(logs, 'api.log'));
    const apiUrl = api.ready.url ?? `http://127.0.0.1:${apiPort}`;
    log(`  agent API ${apiUrl}`);

    const baseline = await forkReady({
      name: 'baseline worker',
      script: BUILT.baselineWorker,
      env: {
        ...baseEnv,
        BENCH_BASELINE_TASK_QUEUE: baselineQueue,
        BENCH_BASELINE_BUNDLE: baselineBundle,
        LADDER_WORKSPACE_ROOT: baselineDirs.workspaceRoot,
        LADDER_SANDBOX_DIR: baselineDirs.sandboxDir,
        LADDER_STATE_DIR: baselineDirs.stateDir,
      },
      execArgv: ['--require', BUILT.profileHook],
      logFile: join(logs, 'baseline-worker.log'),
    });
    adopt('baseline worker', baseline.child, join(logs, 'baseline-worker.log'));
    log(`  baseline worker pid ${baseline.child.pid} on ${baselineQueue}`);

    const connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: 'default' });
    const keys = localKeyLayout(keysDir);
    const { token } = await createAgentToken(
      client,
      { taskQueue: ladderQueue, signer: loadAnswerSigner(keys.operatorKey(BENCH.admin)) },
      { agentId: BENCH.autonomousAgent, by: BENCH.admin },
    );

    let nextId = 0;
    const askEmulator = emulatorLink(emulator.child, join(logs, 'emulator.log'));
    const runningClient = client;
    const serverPids = (): Record<string, number> =>
      server ? { 'dev server': server.process.pid ?? NaN } : (options.temporal?.pids() ?? {});
    return {
      dir,
      address,
      client: runningClient,
      policy,
      ladderQueue,
      baselineQueue,
      apiUrl,
      agentToken: token,
      approverKey: loadAnswerSigner(keys.operatorKey(BENCH.approver)),
      ladderWorkspace: ladderDirs.workspaceRoot,
      baselineWorkspace: baselineDirs.workspaceRoot,
      emulatorUrl: emulator.ready.url,
      ladderWorkflowBundle: ladderBundle,
      baselineWorkflowBundle: baselineBundle,
      emulatorRateLimits: emulator.ready.rateLimits,
      ...(server?.metricsUrl ? { serverMetricsUrl: server.metricsUrl } : {}),
      slackAppMetricsUrl: `http://127.0.0.1:${metricsPorts[1]}/metrics`,
      ladderWorker: worker.child,
      baselineWorker: baseline.child,
      pids: () => ({
        ...Object.fromEntries(children.map((c) => [c.name, c.child.pid ?? NaN])),
        ...serverPids(),
      }),
      async slackCalls() {
        const reply = await askEmulator({ type: 'calls', id: ++nextId }, 'calls');
        return { total: reply.total, byMethod: reply.byMethod, rateLimited: reply.rateLimited };
      },
      async keyedMessages(keyPrefix, keySuffix, withTimes = false) {
        const reply = await askEmulator(
          { type: 'keyed', id: ++nextId, keyPrefix, keySuffix, withTimes },
          'keyed',
        );
        // NaN crosses the IPC channel (JSON) as null.
        const time = (ms: number | null): number => ms ?? NaN;
        return {
          count: reply.count,
          lastPostedAtMs: time(reply.lastPostedAtMs),
          ...(reply.posts
            ? { posts: reply.posts.map((p) => ({ key: p.key, postedAtMs: time(p.postedAtMs) })) }
            : {}),
        };
      },
      async buttons(channel, text) {
        return (await askEmulator({ type: 'buttons', id: ++nextId, channel, text }, 'buttons')).buttons;
      },
      async click(user, channel, ts, actionId, awaitTold) {
        const reply = await askEmulator(
          { type: 'click', id: ++nextId, user, channel, ts, actionId, ...(awaitTold ? { awaitTold } : {}) },
          'clicked',
          60_000 + (awaitTold?.timeoutMs ?? 0),
        );
        return {
          status: reply.status,
          ...(reply.error ? { error: reply.error } : {}),
          ackMs: reply.ackMs,
          ...(reply.toldMs !== undefined ? { toldMs: reply.toldMs } : {}),
          ...(reply.toldError !== undefined ? { toldError: reply.toldError } : {}),
        };
      },
      async startSlackApp() {
        const app = await forkReady({
          name: 'Slack app',
          script: BUILT.slackApp,
          env: ladderEnv,
          logFile: join(logs, 'slack-app.log'),
        });
        adopt('Slack app', app.child, join(logs, 'slack-app.log'));
        if (!app.ready.url)
          throw new Error(`the Slack app reported no request URL; see ${join(logs, 'slack-app.log')}`);
        await askEmulator(
          { type: 'connect-app', id: ++nextId, url: app.ready.url, signingSecret, timeoutMs: 15_000 },
          'connected',
        );
        log(`  Slack app ${app.ready.url} (pid ${app.child.pid})`);
      },
      watch: (work) => Promise.race([work, died]),
      stop,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
