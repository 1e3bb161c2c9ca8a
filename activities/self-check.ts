import { hostname } from 'node:os';
import { Context } from '@temporalio/activity';

/** What a worker says about itself when the self-check workflow asks. */
export interface WorkerDescription {
  identity: string;
  taskQueue: string;
  hostname: string;
  pid: number;
  nodeVersion: string;
  /** ISO-8601 time the worker process started. */
  startedAt: string;
  /** Whole seconds since the worker started. */
  uptimeSeconds: number;
  /** The activity attempt that answered (1 unless it was retried). */
  attempt: number;
}

/** What the self-check activities need from the worker. */
export interface SelfCheckDeps {
  identity: string;
  taskQueue: string;
  /** When the worker process started (wall clock, milliseconds since the epoch). */
  startedAtMs: number;
}

/**
 * Activities that prove a worker is polling its task queue and can run activities.
 * Read-only: they have no side effects, so retries are harmless.
 */
export function createSelfCheckActivities(deps: SelfCheckDeps) {
  return {
    /** Describes the worker process that runs this activity. */
    async describeWorker(): Promise<WorkerDescription> {
      return {
        identity: deps.identity,
        taskQueue: deps.taskQueue,
        hostname: hostname(),
        pid: process.pid,
        nodeVersion: process.version,
        startedAt: new Date(deps.startedAtMs).toISOString(),
        uptimeSeconds: Math.floor((Date.now() - deps.startedAtMs) / 1000),
        attempt: Context.current().info.attempt,
      };
    },
  };
}
