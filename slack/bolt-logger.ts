import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../config/logger';

/**
 * Bolt's logger interface over our pino logger, so Bolt's lines are structured and go through the
 * same token redaction as ours.
 */
export function boltLogger(log: Logger): BoltLogger {
  let level = LogLevel.INFO;
  // Bolt formats its own lines, so key-based redaction cannot see tokens inside them: scrub by shape.
  const text = (args: unknown[]): string =>
    scrubTokens(
      args
        .map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.message : JSON.stringify(a)))
        .join(' '),
    );
  return {
    debug: (...args) => log.debug(text(args)),
    info: (...args) => log.info(text(args)),
    warn: (...args) => log.warn(text(args)),
    error: (...args) => log.error(text(args)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Replaces anything shaped like a Slack token (`xoxb-…`, `xoxp-…`, `xapp-…`) with `[redacted]`. */
export function scrubTokens(line: string): string {
  return line.replace(/\bx(?:ox[abeprs]|app)-[A-Za-z0-9-]+/g, '[redacted]');
}
