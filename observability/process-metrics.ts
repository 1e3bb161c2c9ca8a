import { collectDefaultMetrics, Registry } from 'prom-client';
import { ConfigError } from '../config/env';
import type { LoadedPolicy } from '../policy/loader';
import { own } from '../policy/own';
import { createLadderMetrics, type LadderMetrics } from './ladder-metrics';
import { startMetricsServer, type MetricsServer } from './metrics-server';

/**
 * The metrics of one Ladder process: Ladder's own (see {@link createLadderMetrics}) and Node's
 * process metrics (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, event loop lag…),
 * in a registry of their own.
 *
 * @param policies - the policies in force (current, and a canary's next version when one runs):
 *   a task class is labelled by name only when one of them declares it.
 */
export function createProcessMetrics(policies: () => (LoadedPolicy | null)[]): LadderMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return createLadderMetrics(registry, {
    isDeclaredClass: (taskClass) =>
      policies().some((p) => p !== null && own(p.taskClasses, taskClass) !== undefined),
  });
}

/**
 * Starts a process's `/metrics` endpoint (see `startMetricsServer`), turning a port that cannot
 * be bound into a configuration error that names the variable to change.
 *
 * @param variable - the environment variable that set the port, e.g. `LADDER_WORKER_METRICS_PORT`.
 * @throws {ConfigError} e.g. `LADDER_WORKER_METRICS_PORT: port 9464 on 127.0.0.1 is in use
 *   (EADDRINUSE); set another port, or off`.
 */
export async function serveProcessMetrics(options: {
  variable: string;
  host: string;
  port: number;
  metrics: LadderMetrics;
  extra?: () => Promise<string>;
}): Promise<MetricsServer> {
  try {
    return await startMetricsServer({
      host: options.host,
      port: options.port,
      registry: options.metrics.registry,
      extra: options.extra,
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const why =
      code === 'EADDRINUSE'
        ? 'is in use'
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
          ? 'cannot be bound (LADDER_METRICS_HOST is not an address of this machine)'
          : code === 'EACCES'
            ? 'needs privileges this process does not have'
            : 'cannot be bound';
    throw new ConfigError([
      `${options.variable}: port ${options.port} on ${options.host} ${why} (${code}); set another port, or off`,
    ]);
  }
}
