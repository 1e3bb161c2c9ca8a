import { hostname } from 'node:os';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import type { SelfCheckDeps } from '../activities/self-check';
import type { WorkerTuning } from '../config/env';

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
  /** Extra worker options (tests lower the shutdown grace time). */
  workerOptions?: Partial<WorkerOptions>;
}

/** The source folder of the workflows, resolved relative to this file (works from `dist/` and from ts-jest). */
export const WORKFLOWS_PATH = require.resolve('../workflows');

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
    ...(options.tuning ? { maxCachedWorkflows: options.tuning.maxCachedWorkflows } : {}),
    ...options.workerOptions,
  });
}
