import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { Readiness } from './metrics-server';

/**
 * Ready while Temporal answers `client` within `timeoutMs` (default 2 s): what the Slack and API
 * frontends need to do anything. Not ready while starting, or while the cluster cannot be reached.
 */
export function temporalReachable(client: Client, timeoutMs = 2_000): Readiness {
  return async () => {
    try {
      await client.withDeadline(Date.now() + timeoutMs, () => client.workflowService.getSystemInfo({}));
      return null;
    } catch (err) {
      return `Temporal does not answer: ${(err as Error).message}`;
    }
  };
}

/** Ready while the worker polls (`RUNNING`); not while it starts, drains after SIGTERM, or has stopped. */
export function workerRunning(worker: Pick<Worker, 'getState'>): Readiness {
  return () => {
    const state = worker.getState();
    return Promise.resolve(state === 'RUNNING' ? null : `worker ${state.toLowerCase()}`);
  };
}
