import type { IncomingMessage, Server, ServerResponse } from 'node:http';
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

/**
 * How long a frontend (Slack app, agent API, dashboard) lets requests in flight finish after
 * SIGTERM, in ms, before it closes the connections left. Under the 15 s stop timeout the
 * deployment files give these processes (systemd `TimeoutStopSec`, compose `stop_grace_period`),
 * leaving 5 s to close the Temporal connection and flush traces before SIGKILL.
 */
export const FRONTEND_DRAIN_MS = 10_000;

/** What `/readyz` says (503) while a process drains after SIGTERM: take it out of the rotation. */
export const STOPPING = 'stopping';

/**
 * Not ready (`stopping`) once `stopping()` holds; until then whatever `inner` says. Lets a load
 * balancer stop sending a draining frontend new work while its requests in flight finish.
 */
export function unlessStopping(stopping: () => boolean, inner: Readiness): Readiness {
  return () => (stopping() ? Promise.resolve(STOPPING) : inner());
}

/** An HTTP server that can stop without dropping requests in flight; see {@link drainableServer}. */
export interface DrainableServer {
  /** True from the moment `drain` is called: readiness reports {@link STOPPING}. */
  readonly draining: boolean;
  /** Aborted when `drain` is called, so long waits (an agent's long poll) can answer at once. */
  readonly drainSignal: AbortSignal;
  /**
   * Refuses new connections (`server.close()`), closes idle keep-alive ones, lets requests in
   * flight finish for up to `graceMs` (each answered with `Connection: close` when its headers are
   * not yet sent), then closes every connection left. Resolves once the server has closed, with
   * how many requests were cut at the deadline. Idempotent: a second call joins the first.
   */
  drain(graceMs: number): Promise<{ cut: number }>;
}

/**
 * Tracks the requests `server` is answering so it can be drained; call it before the server
 * handles its first request (right after `createServer`).
 */
export function drainableServer(server: Server): DrainableServer {
  const inFlight = new Set<ServerResponse>();
  const controller = new AbortController();
  let settled: (() => void) | undefined;
  let drained: Promise<{ cut: number }> | undefined;
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    // A request that slipped in on a kept-alive connection while draining: its connection ends with it.
    if (controller.signal.aborted) res.shouldKeepAlive = false;
    res.once('close', () => {
      inFlight.delete(res);
      if (inFlight.size === 0) settled?.();
    });
  });
  return {
    get draining() {
      return controller.signal.aborted;
    },
    drainSignal: controller.signal,
    drain(graceMs) {
      drained ??= (async () => {
        controller.abort();
        for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        let timer: NodeJS.Timeout | undefined;
        const finished = new Promise<void>((resolve) => {
          settled = resolve;
          if (inFlight.size === 0) resolve();
          timer = setTimeout(resolve, graceMs);
        });
        await finished;
        clearTimeout(timer);
        const cut = inFlight.size;
        // Everything left is either idle (headers were sent before the drain, so it stayed
        // kept-alive) or still running past the grace time.
        server.closeAllConnections();
        await closed;
        return { cut };
      })();
      return drained;
    },
  };
}
