import pino, { type Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear (one level of nesting). */
const SECRET_KEYS = ['token', 'botToken', 'appToken', 'signingSecret', 'apiKey', 'authorization', 'password'];

/**
 * Creates the structured logger every Ladder process uses (pino, JSON lines on stdout).
 * Tokens, secrets and API keys are redacted by key name so they cannot leak through a logged object.
 *
 * @param name - the component, e.g. `worker` or `start`; appears as `name` on every line.
 * @param level - pino level name; `silent` disables output.
 */
export function createLogger(name: string, level: string = process.env.LOG_LEVEL || 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
