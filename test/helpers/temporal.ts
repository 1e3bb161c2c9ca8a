import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ActivityDeps } from '../../activities';
import { createActionRegistry } from '../../activities/actions/registry';
import { createCanaryLink } from '../../client/canary-link';
import { createLedgerLink } from '../../client/ledger-link';
import { RecordingNotifier } from '../../activities/notify/recording';
import { RecordingOutcomes } from '../../activities/outcomes';
import { loadPolicyFile, type LoadedPolicy } from '../../policy/loader';
import { createLogger } from '../../config/logger';
import { createLadderWorker, type LadderWorker } from '../../worker/create-worker';
import { installSdkLogging } from '../../worker/runtime-logging';
import { TEST_ENV } from '../setup/shared-state';

/** A real worker on its own task queue against the run's dev server, plus a client. */
export interface TestStack {
  address: string;
  taskQueue: string;
  client: Client;
  worker: LadderWorker;
  /** What people would have been told. */
  notifier: RecordingNotifier;
  /** Evidence sent to the trust ledger. */
  outcomes: RecordingOutcomes;
  /** Workspace, sandbox and state folders the actions use (fresh per stack). */
  dirs: { workspaceRoot: string; sandboxDir: string; stateDir: string };
  /** The policy activities see; replace it to simulate a policy reload (e.g. a kill switch). */
  policy: { current: LoadedPolicy };
  /** Shuts the worker down, waits for it to stop, and closes both connections. */
  stop(): Promise<void>;
}

/** The address of the dev server that global setup started. */
export function testServerAddress(): string {
  const address = process.env[TEST_ENV.address];
  if (!address) throw new Error(`${TEST_ENV.address} is not set: run the tests through jest's global setup`);
  return address;
}

/**
 * Starts a worker with the real workflows and activities on a fresh task queue (one per test file,
 * so files never steal each other's tasks) and returns it running.
 *
 * @param name - a readable prefix for the task queue.
 */
export async function startTestStack(
  name: string,
  options: {
    policy?: LoadedPolicy;
    activityDeps?: Partial<ActivityDeps>;
    ledger?: boolean;
    /** The next policy version a canary rolls out (the policy must declare `canary`). */
    canaryPolicy?: LoadedPolicy;
    /** Another Temporal server than the run's (a test that moves state between two); default the run's. */
    address?: string;
  } = {},
): Promise<TestStack> {
  const address = options.address ?? testServerAddress();
  const bundlePath = process.env[TEST_ENV.bundlePath];
  if (!bundlePath)
    throw new Error(`${TEST_ENV.bundlePath} is not set: run the tests through jest's global setup`);
  quietSdkLogs();
  const taskQueue = `test-${name}-${randomUUID().slice(0, 8)}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const base = mkdtempSync(join(tmpdir(), `ladder-${name}-`));
  const dirs = {
    workspaceRoot: join(base, 'workspace'),
    sandboxDir: join(base, 'sandbox'),
    stateDir: join(base, 'state'),
  };
  Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
  const policy = {
    current: options.policy ?? loadPolicyFile(join(__dirname, '..', '..', 'examples', 'policy.yaml')).policy,
  };
  const notifier = new RecordingNotifier();
  const outcomes = new RecordingOutcomes();
  const worker = await createLadderWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    workflows: { bundlePath },
    activityDeps: {
      policy: () => policy.current,
      registry: createActionRegistry(),
      client,
      taskQueue,
      ...dirs,
      notifier,
      outcomes,
      // Off unless asked: most tests decide with the policy's declared rungs, untouched by evidence.
      ...(options.ledger ? { ledger: createLedgerLink({ client, taskQueue }) } : {}),
      ...(options.canaryPolicy
        ? {
            canary: createCanaryLink({
              client,
              taskQueue,
              current: () => policy.current,
              next: () => options.canaryPolicy!,
            }),
          }
        : {}),
      ...options.activityDeps,
    },
    workerOptions: { shutdownGraceTime: '2 seconds' },
  });
  const running = worker.run();
  return {
    address,
    taskQueue,
    client,
    worker,
    notifier,
    outcomes,
    dirs,
    policy,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}

let sdkLoggingInstalled = false;

/** Keeps the SDK's info-level chatter (bundle reports, worker states) out of test output; warnings still show. */
export function quietSdkLogs(): void {
  if (sdkLoggingInstalled) return;
  sdkLoggingInstalled = true;
  try {
    installSdkLogging(createLogger('test-worker', process.env.LOG_LEVEL ?? 'warn'));
  } catch {
    // Already installed for this process by an earlier test file: keep that one.
  }
}
