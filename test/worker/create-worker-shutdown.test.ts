import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActionRegistry } from '../../activities/actions/registry';
import { RecordingNotifier } from '../../activities/notify/recording';
import { RecordingOutcomes } from '../../activities/outcomes';
import {
  ConfigError,
  DEFAULT_WORKER_SHUTDOWN_GRACE_MS,
  loadConfig,
  WORKER_SHUTDOWN_GRACE_VARIABLE,
} from '../../config/env';
import { loadPolicyFile } from '../../policy/loader';
import { createLadderWorkers, runLadderWorkers, type LadderWorkerOptions } from '../../worker/create-worker';
import { quietSdkLogs, testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { TEST_ENV } from '../setup/shared-state';

describe('LADDER_WORKER_SHUTDOWN_GRACE_MS', () => {
  it('defaults to 20 s and takes a whole number of milliseconds', () => {
    expect(DEFAULT_WORKER_SHUTDOWN_GRACE_MS).toBe(20_000);
    expect(loadConfig({}).workerShutdownGraceMs).toBe(DEFAULT_WORKER_SHUTDOWN_GRACE_MS);
    expect(loadConfig({ [WORKER_SHUTDOWN_GRACE_VARIABLE]: '45000' }).workerShutdownGraceMs).toBe(45_000);
    expect(loadConfig({ [WORKER_SHUTDOWN_GRACE_VARIABLE]: '0' }).workerShutdownGraceMs).toBe(0);
  });

  it.each([
    ['2.5', /LADDER_WORKER_SHUTDOWN_GRACE_MS.*whole number of milliseconds/],
    ['soon', /LADDER_WORKER_SHUTDOWN_GRACE_MS.*whole number of milliseconds/],
    ['-1', /LADDER_WORKER_SHUTDOWN_GRACE_MS.*0 or more/],
    ['600001', /LADDER_WORKER_SHUTDOWN_GRACE_MS.*at most 600000/],
  ])('refuses %s, naming the variable', (value, message) => {
    let error: unknown;
    try {
      loadConfig({ [WORKER_SHUTDOWN_GRACE_VARIABLE]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
  });
});

// The grace reaches the SDK: a real worker (not run) against the test dev server.
describe('createLadderWorkers shutdown grace', () => {
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let base: Omit<LadderWorkerOptions, 'shutdownGraceMs'>;
  // Created, never given work; run until stopped at the end so the connection can close.
  const workers: Worker[] = [];

  beforeAll(async () => {
    quietSdkLogs();
    nativeConnection = await NativeConnection.connect({ address: testServerAddress() });
    connection = await Connection.connect({ address: testServerAddress() });
    const client = new Client({ connection, namespace: 'default' });
    const dir = mkdtempSync(join(tmpdir(), 'ladder-shutdown-grace-'));
    const policy = loadPolicyFile(join(__dirname, '..', '..', 'examples', 'policy.yaml')).policy;
    base = {
      connection: nativeConnection,
      namespace: 'default',
      taskQueue: 'shutdown-grace-never-run',
      workflows: { bundlePath: process.env[TEST_ENV.bundlePath]! },
      activityDeps: {
        policy: () => policy,
        registry: createActionRegistry(),
        client,
        taskQueue: 'shutdown-grace-never-run',
        workspaceRoot: join(dir, 'workspace'),
        sandboxDir: join(dir, 'sandbox'),
        stateDir: join(dir, 'state'),
        notifier: new RecordingNotifier(),
        outcomes: new RecordingOutcomes(),
      },
    };
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.runUntil(Promise.resolve())));
    await connection?.close();
    await nativeConnection?.close();
  });

  /** The grace each worker of one process got: the shared queue's, then the entity queue's. */
  const create = async (extra: Partial<LadderWorkerOptions>): Promise<number[]> => {
    // A queue of its own: the SDK refuses two workers on one queue in a process.
    const { worker, entityWorker } = await createLadderWorkers({
      ...base,
      taskQueue: `shutdown-grace-${randomUUID()}`,
      ...extra,
    });
    workers.push(worker, entityWorker!);
    return [worker.options.shutdownGraceTimeMs, entityWorker!.options.shutdownGraceTimeMs];
  };

  it('passes shutdownGraceMs as the SDK shutdownGraceTime, to the entity worker too', async () => {
    expect(await create({ shutdownGraceMs: 12_345 })).toEqual([12_345, 12_345]);
  });

  it("leaves the SDK's 0 when unset, and lets a test's workerOptions win", async () => {
    expect(await create({})).toEqual([0, 0]);
    const overridden = await create({
      shutdownGraceMs: 12_345,
      workerOptions: { shutdownGraceTime: '2 seconds' },
    });
    expect(overridden).toEqual([2_000, 2_000]);
  });
});

// What the task-queue worker drains (a decision's quota reservation, a step's re-check) is answered
// by entity workflows: the entity worker must outlive it, or those calls hang until their deadlines.
describe('runLadderWorkers', () => {
  let nativeConnection: NativeConnection;
  let connection: Connection;

  beforeAll(async () => {
    quietSdkLogs();
    nativeConnection = await NativeConnection.connect({ address: testServerAddress() });
    connection = await Connection.connect({ address: testServerAddress() });
  });
  afterAll(async () => {
    await connection?.close();
    await nativeConnection?.close();
  });

  it('drains the task-queue worker first and stops the entity worker once it has stopped', async () => {
    const client = new Client({ connection, namespace: 'default' });
    const dir = mkdtempSync(join(tmpdir(), 'ladder-shutdown-order-'));
    const taskQueue = `shutdown-order-${randomUUID()}`;
    const workers = await createLadderWorkers({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflows: { bundlePath: process.env[TEST_ENV.bundlePath]! },
      activityDeps: {
        policy: () => loadPolicyFile(join(__dirname, '..', '..', 'examples', 'policy.yaml')).policy,
        registry: createActionRegistry(),
        client,
        taskQueue,
        workspaceRoot: join(dir, 'workspace'),
        sandboxDir: join(dir, 'sandbox'),
        stateDir: join(dir, 'state'),
        notifier: new RecordingNotifier(),
        outcomes: new RecordingOutcomes(),
      },
    });
    const { worker, entityWorker } = workers;
    const ladder = runLadderWorkers(workers);
    // The task-queue worker's state at the moment the entity worker is told to stop.
    const tasksWhenEntitiesStop: string[] = [];
    const stopEntities = entityWorker!.shutdown.bind(entityWorker!);
    entityWorker!.shutdown = () => {
      tasksWhenEntitiesStop.push(worker.getState());
      stopEntities();
    };
    const running = ladder.run();
    let atShutdown: string[];
    try {
      await waitUntil(() => worker.getState() === 'RUNNING' && entityWorker!.getState() === 'RUNNING');
      ladder.shutdown();
      atShutdown = [worker.getState(), entityWorker!.getState()];
    } catch (err) {
      // Every worker stops whatever failed here, so the run cannot hang the test.
      ladder.shutdown();
      if (entityWorker!.getState() === 'RUNNING') stopEntities();
      throw err;
    } finally {
      await running;
    }
    expect(atShutdown).toEqual(['DRAINING', 'RUNNING']);
    expect(tasksWhenEntitiesStop).toEqual(['STOPPED']);
    expect([worker.getState(), entityWorker!.getState()]).toEqual(['STOPPED', 'STOPPED']);
  });
});
