import { hostname } from 'node:os';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { SelfCheckDeps } from '../activities/self-check';
import type { WorkerDeploymentConfig, WorkerTuning } from '../config/env';
import type { WorkerTracing } from '../observability/tracing';
import { versionedWorkerOptions } from './versioning';

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
}

/** The source folder of the workflows, resolved relative to this file (works from `dist/` and from ts-jest). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

/**
 * Workflow interceptor modules every workflow bundle includes, whether or not a worker traces: a
 * pre-built bundle cannot take them later (the SDK ignores `workflowModules` with `workflowBundle`).
 * Pass them to `bundleWorkflowCode({ workflowInterceptorModules })`.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/tracing-interceptors')];

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
 * Creates a worker that polls `taskQueue` with every Ladder workflow and the activities built by
 * `createActivities`. The caller runs it (`worker.run()`) and shuts it down.
 */
export async function createLadderWorker(options: LadderWorkerOptions): Promise<Worker> {
  const identity = `ladder-worker@${hostname()}/${process.pid}`;
  const deps: ActivityDeps = {
    identity,
    taskQueue: options.taskQueue,
    startedAtMs: Date.now(),
    ...options.activityDeps,
  };
  const source = options.workflows;
  const tracing = options.tracing ?? TRACING_OFF;
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    identity,
    activities: createActivities(deps),
    ...('bundlePath' in source
      ? { workflowBundle: { codePath: source.bundlePath } }
      : 'bundleCode' in source
        ? { workflowBundle: { code: source.bundleCode } }
        : { workflowsPath: source.workflowsPath }),
    // Bundling here (dev) gets the same interceptor modules as the pre-built bundle.
    interceptors: {
      ...tracing.interceptors,
      ...('workflowsPath' in source ? { workflowModules: WORKFLOW_INTERCEPTOR_MODULES } : {}),
    },
    sinks: tracing.sinks,
    // The SDK sends heartbeats at most every 80% of the heartbeat timeout (4 s of an action's 5 s),
    // leaving a loaded worker 1 s of slack before the server times a live step out; every 2 s leaves 3.
    maxHeartbeatThrottleInterval: '2 seconds',
    ...(options.shutdownGraceMs !== undefined ? { shutdownGraceTime: options.shutdownGraceMs } : {}),
    ...(options.tuning ? { maxCachedWorkflows: options.tuning.maxCachedWorkflows } : {}),
    ...(options.deployment ? { workerDeploymentOptions: versionedWorkerOptions(options.deployment) } : {}),
    ...options.workerOptions,
  });
}
