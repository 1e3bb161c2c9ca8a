import { isIP } from 'node:net';
import { z } from 'zod';
import { ConfigError } from '../config/env';

// The dashboard's own settings, parsed like config/env.ts parses the rest: every problem names its
// variable and what was expected, and the whole list comes back as one ConfigError.

/** The port the dashboard listens on unless told: clear of Temporal (7233, 8233), Slack (3000, 3100), the demo (4100) and metrics (946x). */
export const DEFAULT_DASHBOARD_PORT = 8090;

const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const port = z
  .string()
  .regex(/^\d+$/, { message: 'expected a port number from 0 to 65535 (0 picks a free one)' })
  .transform(Number)
  .refine((n) => n <= 65535, { message: 'expected a port number from 0 to 65535 (0 picks a free one)' });

const host = z.string().refine((v) => isIP(v) !== 0 || HOST_NAME.test(v), {
  message: 'expected an IP address or host name to bind (e.g. 127.0.0.1, or 0.0.0.0 for every interface)',
});

const millis = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `expected a whole number of milliseconds from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, {
      message: `expected a whole number of milliseconds from ${min} to ${max}`,
    });

const publicUrl = z.url({
  protocol: /^https?$/,
  message: 'expected an http(s) URL, e.g. https://ladder.example.com',
});

const schema = z.object({
  LADDER_DASHBOARD_PORT: port.default(DEFAULT_DASHBOARD_PORT),
  LADDER_DASHBOARD_HOST: host.default('127.0.0.1'),
  /** How old the figures on a page may be before a background refresh starts. */
  LADDER_DASHBOARD_REFRESH_MS: millis(250, 600_000).default(5_000),
  /** The address people open, when it differs from the bound one (a proxy): sign-in links use it. */
  LADDER_DASHBOARD_PUBLIC_URL: publicUrl.optional(),
  /** How long a session lasts after sign-in. */
  LADDER_DASHBOARD_SESSION_MS: millis(60_000, 7 * 86_400_000).default(12 * 3_600_000),
});

/** The dashboard's configuration. */
export interface DashboardEnv {
  port: number;
  host: string;
  refreshMs: number;
  publicUrl: string | null;
  sessionMs: number;
  /** Whether people must sign in: the bound host is reachable from other machines. */
  signInRequired: boolean;
}

/** Whether a bind address is reachable only from this machine. */
export function isLoopback(bindHost: string): boolean {
  return bindHost === 'localhost' || bindHost === '::1' || /^127\./.test(bindHost);
}

/**
 * Reads the dashboard's variables from `env`; empty strings count as unset.
 *
 * @throws {ConfigError} one line per bad variable, naming it and what was expected.
 */
export function loadDashboardEnv(env: NodeJS.ProcessEnv = process.env): DashboardEnv {
  const raw = Object.fromEntries(Object.keys(schema.shape).flatMap((k) => (env[k] ? [[k, env[k]]] : [])));
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${String(i.path[0])}: ${i.message} (got "${String(raw[String(i.path[0])])}")`,
      ),
    );
  const e = parsed.data;
  return {
    port: e.LADDER_DASHBOARD_PORT,
    host: e.LADDER_DASHBOARD_HOST,
    refreshMs: e.LADDER_DASHBOARD_REFRESH_MS,
    publicUrl: e.LADDER_DASHBOARD_PUBLIC_URL?.replace(/\/+$/, '') ?? null,
    sessionMs: e.LADDER_DASHBOARD_SESSION_MS,
    signInRequired: !isLoopback(e.LADDER_DASHBOARD_HOST),
  };
}
