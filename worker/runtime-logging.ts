import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from '../config/logger';

/**
 * Routes the Temporal SDK's own logs into our pino logger. The SDK logs at WARN and above unless
 * Ladder runs at debug/trace, so start-up output is not drowned in webpack's bundle report.
 * Must run before the first Worker or NativeConnection is created in the process.
 */
export function installSdkLogging(log: Logger): void {
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
  });
}
