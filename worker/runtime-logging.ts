import { DefaultLogger, Runtime, type LogLevel, type RuntimeOptions } from '@temporalio/worker';
import type { Logger } from '../config/logger';
import { freeLoopbackPort } from '../observability/temporal-runtime-metrics';

/**
 * Routes the Temporal SDK's own logs into our pino logger. The SDK logs at WARN and above unless
 * Ladder runs at debug/trace, so start-up output is not drowned in webpack's bundle report.
 * Must run before the first Worker or NativeConnection is created in the process.
 *
 * @param telemetry - extra runtime telemetry, e.g. the Prometheus exporter of
 *   {@link installSdkRuntime}; none by default.
 * @param shutdownSignals - the signals on which the runtime tells every worker to drain, all at
 *   once; the SDK's default (SIGINT, SIGTERM, SIGQUIT, SIGUSR2) when unset, none with `[]` (the
 *   process then orders the shutdown itself).
 * @throws the runtime's error when it cannot start (a Prometheus bind address in use, say).
 */
export function installSdkLogging(
  log: Logger,
  telemetry?: RuntimeOptions['telemetryOptions'],
  shutdownSignals?: NodeJS.Signals[],
): void {
  const level: LogLevel = log.level === 'trace' ? 'TRACE' : log.level === 'debug' ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => {
      const meta = { ...entry.meta, sdk: true };
      switch (entry.level) {
        case 'TRACE':
          return log.trace(meta, entry.message);
        case 'DEBUG':
          return log.debug(meta, entry.message);
        case 'INFO':
          return log.info(meta, entry.message);
        case 'WARN':
          return log.warn(meta, entry.message);
        default:
          return log.error(meta, entry.message);
      }
    }),
    ...(telemetry ? { telemetryOptions: telemetry } : {}),
    ...(shutdownSignals ? { shutdownSignals } : {}),
  });
}

/** Tries before giving up when the port picked for the runtime's exporter is taken meanwhile. */
const EXPORTER_BIND_TRIES = 3;

/**
 * Installs the SDK's runtime as {@link installSdkLogging} does and, with `runtimeMetrics`, the
 * runtime's own Prometheus exporter (workflow and activity task latencies, poll and slot counts,
 * sticky cache) on a free loopback port: counters end in `_total`, durations are in seconds, every
 * name starts with `temporal_`. Its `/metrics` is meant to be read by the worker's own endpoint,
 * not scraped directly, so it never leaves 127.0.0.1.
 *
 * @returns the URL of the runtime's `/metrics`, or undefined without `runtimeMetrics`.
 * @throws when no free port could be bound in {@link EXPORTER_BIND_TRIES} tries.
 */
export async function installSdkRuntime(
  log: Logger,
  options: { runtimeMetrics: boolean; shutdownSignals?: NodeJS.Signals[] },
): Promise<{ runtimeMetricsUrl?: string }> {
  if (!options.runtimeMetrics) {
    installSdkLogging(log, undefined, options.shutdownSignals);
    return {};
  }
  for (let attempt = 1; ; attempt++) {
    const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
    try {
      installSdkLogging(
        log,
        { metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } },
        options.shutdownSignals,
      );
      return { runtimeMetricsUrl: `http://${bindAddress}/metrics` };
    } catch (err) {
      // Another process took the port between our check and the runtime's bind: pick another.
      if (attempt >= EXPORTER_BIND_TRIES || !/address already in use/i.test((err as Error).message))
        throw err;
    }
  }
}
