import { hostname } from 'node:os';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { entityTaskQueue } from '../client/entity-start';
import { createActivities, type ActivityDeps } from '../activities';
import type { SelfCheckDeps } from '../activities/self-check';
import type { WorkerDeploymentConfig, WorkerTuning } from '../config/env';
import type { WorkerTracing } from '../observability/tracing';
import { versionedWorkerOptions } from './versioning';
import { hostTaskQueue } from '../activities/actions/host-queue';

/** Where the worker gets its workflow code: a pre-built bundle (production) or the source folder (dev). */
export type WorkflowSource = { bundlePath: string } | { bundleCode: string } | { workflowsPath: string };

/** Options for {@link createLadderWorker}. */
export interface LadderWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  workflows: WorkflowSource;
  /** The clients, policy, paths and notifier activities use; identity fields default from the worker. */
  activityDeps: Omit<ActivityDeps, keyof SelfCheckDeps> & Partial<SelfCheckDeps>;
  /** Measured settings (cache size); unset, the SDK's defaults. */
  tuning?: WorkerTuning;
  /**
   * Activity interceptors and the workflow-span sink of a process that traces (`ProcessTracing.worker`);
   * unset, nothing is traced and spans a traced client causes in a workflow are dropped.
   */
  tracing?: WorkerTracing;
  /**
   * The deployment version this worker polls as (worker versioning, for rolling upgrades; see
   * worker/versioning.ts); unset, the worker is unversioned.
   */
  deployment?: WorkerDeploymentConfig;
  /**
   * How long `shutdown()` (SIGTERM) lets activities in flight finish before cancelling them, in ms
   * (the SDK's `shutdownGraceTime`; `Config.workerShutdownGraceMs`). Unset, the SDK's 0: cancelled
   * at once. No `shutdownForceTime` is set: the supervisor's SIGKILL after its stop timeout bounds
   * a stuck drain just as well, without leaving the process running in a state the SDK gave up on.
   */
  shutdownGraceMs?: number;
  /** Extra worker options (tests lower the shutdown grace time); they win over everything above. */
  workerOptions?: Partial<WorkerOptions>;
  /**
   * Whether to poll the entity queue too (default true). Only a worker that runs no Ladder entity
   * (the bench's bare baseline) leaves it out: without it, entities started there never run.
   */
  entities?: boolean;
  /**
   * The host this worker acts on (`LADDER_WORKER_HOST`): with it, {@link createLadderWorkers} also
   * creates an activity-only worker on `<taskQueue>@<host>`, and tasks this worker decides run
   * their host-bound steps there (activities/actions/host-queue.ts).
   */
  host?: string;
}

/**
 * The workers one Ladder worker process runs: the shared queue's, the entity queue's, and its host
 * queue's if it has a host.
 */
export interface LadderWorkers {
  /** Polls the shared task queue: every workflow and activity. */
  worker: Worker;
  /**
   * Polls the deployment's entity queue (`entityTaskQueue`) with the same workflows and activities,
   * with slots of its own, so entities answer tasks that wait on them however busy the tasks are.
   * Null only for a worker created with `entities: false` (the bench's bare baseline).
   */
  entityWorker: Worker | null;
  /** Polls `<taskQueue>@<host>` with activities only: the host-bound steps pinned to this host. */
  hostWorker: Worker | null;
}

/** The source folder of the workflows, resolved relative to this file (works from `dist/` and from ts-jest). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Workflow interceptor modules every workflow bundle includes, whether or not a worker traces: a
 * pre-built bundle cannot take them later (the SDK ignores `workflowModules` with `workflowBundle`).
 * The tracing interceptors, and the one that merges a workflow task's search-attribute upserts.
 */
const WORKFLOW_INTERCEPTOR_MODULES = [
  require.resolve('../workflows/tracing-interceptors'),
  require.resolve('../workflows/upsert-batching'),
];

/**
 * Modules the workflow sandbox evaluates once per workflow thread instead of once for every
 * workflow it starts or replays (the SDK's `preloadModules`: evaluated before any workflow exists,
 * then deep-frozen and shared). Without it each cached workflow held its own copy of every module
 * it imports (their functions, export getters and constants), and every eviction threw that copy
 * away: with 3,000 rung-2 tasks waiting, each workflow thread's heap grew to 285 MiB against
 * 110 MiB preloaded, and the worker's RSS while the tasks resolved from 1,130 to 805 MiB.
 *
 * Sharing is safe only for modules without per-workflow state: `test/worker/shared-workflow-modules.test.ts`
 * refuses module-level `let`/`var`, mutable maps and sets, global regexes and static fields in
 * every module the bundle evaluates. The workflows' entry module brings in all of Ladder's workflow code, the
 * answer proof (ed25519 and SHA-512 over BigInt, with a precomputed base table) among it.
 * OpenTelemetry stays per workflow: the tracing interceptors load it only for a traced run, which
 * registers its own context manager.
 */
function workflowPreloadModules(workflowsPath: string): string[] {
  return [workflowsPath, ...WORKFLOW_INTERCEPTOR_MODULES];
}

/**
 * Bundles the workflows in `workflowsPath` as every Ladder worker loads them: with the
 * {@link WORKFLOW_INTERCEPTOR_MODULES}, its own modules preloaded ({@link workflowPreloadModules}),
 * webpack's report quiet.
 *
 * @param extraInterceptorModules - further workflow modules to bundle in (the cluster tests' code
 *   marker); none for a real worker.
 * @returns the bundle's code.
 */
export async function bundleLadderWorkflows(
  workflowsPath: string = WORKFLOWS_PATH,
  extraInterceptorModules: readonly string[] = [],
): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES, ...extraInterceptorModules],
    preloadModules: workflowPreloadModules(workflowsPath),
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

/**
 * The worker options when tracing is off: no interceptors, and a sink that drops spans, for the
 * one case where a workflow still traces (a traced client reached an untraced worker); without it
 * the worker logs an error for every such workflow task.
 */
const TRACING_OFF: WorkerTracing = {
  interceptors: {},
  sinks: { exporter: { export: { fn: () => undefined } } },
};

/**
 * Creates the workers that poll `taskQueue` and its entity queue with every Ladder workflow and the
 * activities built by `createActivities`, as one {@link LadderWorker}. The caller runs it
 * (`worker.run()`) and shuts it down. A worker with a `host` needs {@link createLadderWorkers} instead.
 *
 * @throws Error when `options.host` is set: its host queue would have no poller.
 */
export async function createLadderWorker(options: LadderWorkerOptions): Promise<LadderWorker> {
  if (options.host !== undefined) throw new Error('a worker with a host needs createLadderWorkers');
  const { worker, entityWorker } = await createLadderWorkers(options);
  return runLadderWorkers({ worker, entityWorker, hostWorker: null });
}

/** The workers of {@link createLadderWorker} as one: run, shut down and report state together. */
export interface LadderWorker {
  /** Runs every worker; resolves once all have stopped, rejects (stopping the rest) when one fails. */
  run(): Promise<void>;
  /** Starts a graceful shutdown: the task-queue worker first, the entity worker once it has stopped. */
  shutdown(): void;
  /** The shared queue's worker's state (the entity worker follows it). */
  getState(): ReturnType<Worker['getState']>;
}

/**
 * Runs the workers of {@link createLadderWorkers} as one {@link LadderWorker}, shutting them down in
 * order: the task-queue and host workers drain first, and the entity worker only once they have
 * stopped. What they drain needs the entities: a deciding task's quota reservation is an update
 * and a step's re-check a query, both answered by entity workflows; stopped first, the entity
 * worker would leave those calls hanging until their deadlines.
 */
export function runLadderWorkers(workers: LadderWorkers): LadderWorker {
  const { worker, entityWorker } = workers;
  const front = workers.hostWorker ? [worker, workers.hostWorker] : [worker];
  const stop = (w: Worker | null): void => {
    if (w?.getState() === 'RUNNING') w.shutdown();
  };
  const shutdown = (): void => front.forEach(stop);
  return {
    async run() {
      const frontStopped = Promise.allSettled(
        front.map((w) =>
          w.run().catch((err: unknown) => {
            shutdown();
            throw err;
          }),
        ),
      ).then((ran) => {
        stop(entityWorker);
        const failed = ran.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
      });
      await Promise.all([
        frontStopped,
        entityWorker?.run().catch((err: unknown) => {
          shutdown();
          throw err;
        }),
      ]);
    },
    shutdown,
    getState: () => worker.getState(),
  };
}

/**
 * Creates the workers of one Ladder worker process: the shared queue's (every workflow and
 * activity) and, with `options.host`, an activity-only worker on that host's queue sharing the same
 * activities, so steps pinned to this host run here and nowhere else. The caller runs both and
 * shuts both down (the runtime's SIGINT/SIGTERM handling reaches both).
 */
export async function createLadderWorkers(options: LadderWorkerOptions): Promise<LadderWorkers> {
  const identity = `ladder-worker@${hostname()}/${process.pid}`;
  const hostQueue = options.host !== undefined ? hostTaskQueue(options.taskQueue, options.host) : undefined;
  const deps: ActivityDeps = {
    identity,
    taskQueue: options.taskQueue,
    startedAtMs: Date.now(),
    ...options.activityDeps,
    ...(hostQueue !== undefined ? { hostQueue } : {}),
  };
  const activities = createActivities(deps);
  const source = options.workflows;
  const tracing = options.tracing ?? TRACING_OFF;
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    identity,
    activities,
    // The SDK sends heartbeats at most every 80% of the heartbeat timeout (4 s of an action's 5 s),
    // leaving a loaded worker 1 s of slack before the server times a live step out; every 2 s leaves 3.
    maxHeartbeatThrottleInterval: '2 seconds',
    ...(options.shutdownGraceMs !== undefined ? { shutdownGraceTime: options.shutdownGraceMs } : {}),
  } satisfies Partial<WorkerOptions>;
  const withEntities = options.entities ?? true;
  // From source (dev): bundled once here for every worker that loads it, with the same interceptor
  // and preloaded modules as the pre-built bundle.
  const workflowBundle =
    'bundlePath' in source
      ? { codePath: source.bundlePath }
      : 'bundleCode' in source
        ? { code: source.bundleCode }
        : { code: await bundleLadderWorkflows(source.workflowsPath) };
  const workflows = {
    workflowBundle,
    interceptors: tracing.interceptors,
    sinks: tracing.sinks,
    ...(options.deployment ? { workerDeploymentOptions: versionedWorkerOptions(options.deployment) } : {}),
  } satisfies Partial<WorkerOptions>;
  const worker = await Worker.create({
    ...common,
    ...workflows,
    taskQueue: options.taskQueue,
    ...(options.tuning
      ? {
          maxCachedWorkflows: options.tuning.maxCachedWorkflows,
          workflowThreadPoolSize: options.tuning.workflowThreads,
        }
      : {}),
    ...options.workerOptions,
  });
  // Few workflows (per agent, class and day, per channel), each long-lived and busy: a small cache
  // keeps them all, and one workflow thread serves them.
  const entityWorker = withEntities
    ? await Worker.create({
        ...common,
        ...workflows,
        taskQueue: entityTaskQueue(options.taskQueue),
        maxCachedWorkflows: ENTITY_CACHED_WORKFLOWS,
        workflowThreadPoolSize: 1,
        ...options.workerOptions,
      })
    : null;
  // Activities only, unversioned: a pinned step must find its host whatever code its task runs.
  const hostWorker =
    hostQueue !== undefined
      ? await Worker.create({
          ...common,
          taskQueue: hostQueue,
          ...(tracing.interceptors.activity
            ? { interceptors: { activity: tracing.interceptors.activity } }
            : {}),
          ...options.workerOptions,
        })
      : null;
  return { worker, entityWorker, hostWorker };
}

/** Workflows the entity worker keeps cached: every entity a busy deployment has live at once. */
const ENTITY_CACHED_WORKFLOWS = 200;
