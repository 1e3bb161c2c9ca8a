import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/env';
import { policySource } from '../dashboard/data/policy-source';
import { loadDashboardEnv, type DashboardEnv } from '../dashboard/env';
import { createSignInToken, DEFAULT_LINK_TTL_MS, MAX_LINK_TTL_MS, SignInError } from '../dashboard/sign-in';
import { startDashboard } from '../dashboard/start-dashboard';
import { PolicyError } from '../policy/loader';
import { operatorSigner } from './operator-key';
import { CliError } from './policy-commands';
import { withClient } from './with-client';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Flags that stand for a dashboard variable: a bad value is reported under both names. */
const FLAG_VARIABLES = {
  port: 'LADDER_DASHBOARD_PORT',
  host: 'LADDER_DASHBOARD_HOST',
  url: 'LADDER_DASHBOARD_PUBLIC_URL',
} as const;

/** The dashboard's settings from the environment, with flags taking precedence; errors name the flag. */
function dashboardEnv(flags: Partial<Record<keyof typeof FLAG_VARIABLES, string>>): DashboardEnv {
  const env = { ...process.env };
  for (const [flag, variable] of Object.entries(FLAG_VARIABLES)) {
    const value = flags[flag as keyof typeof FLAG_VARIABLES];
    if (value !== undefined) env[variable] = value;
  }
  try {
    return loadDashboardEnv(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const named = err.problems.map((p) => {
      const flag = Object.entries(FLAG_VARIABLES).find(
        ([f, v]) => p.startsWith(`${v}:`) && flags[f as keyof typeof FLAG_VARIABLES] !== undefined,
      )?.[0];
      return flag ? `--${flag} (${p})` : p;
    });
    throw new CliError(named.map((p) => `Configuration error: ${p}`).join('\n'));
  }
}

/**
 * Registers `ladder dashboard` (serve the read-only web dashboard until Ctrl-C) and
 * `ladder dashboard login` (a one-time sign-in link signed with the operator's key).
 */
export function registerDashboardCommands(program: Command, io: Io): void {
  const dashboard = program
    .command('dashboard')
    .description(
      'serve the read-only web dashboard (rungs, what waits on people, metrics over time, task pages)',
    )
    .option('--port <port>', 'port to listen on (default: LADDER_DASHBOARD_PORT or 8090; 0 picks a free one)')
    .option(
      '--host <host>',
      'interface to bind (default: LADDER_DASHBOARD_HOST or 127.0.0.1); beyond loopback, sign-in is required',
    )
    .action(async (options: { port?: string; host?: string }) => {
      const env = dashboardEnv(options);
      await withClient(async (client, config) => {
        const policy = policySource(config.policyPath, config.policyLimits);
        try {
          policy();
        } catch (err) {
          if (err instanceof PolicyError) throw new CliError(err.message);
          throw err;
        }
        const running = await startDashboard({
          client,
          config,
          env,
          policy,
          onError: (what, err) => io.err(`dashboard: ${what} failed: ${(err as Error).message}`),
        }).catch((err: unknown) => {
          throw new CliError(
            `the dashboard could not listen on ${env.host}:${env.port} (${(err as Error).message}); set --port or LADDER_DASHBOARD_PORT`,
          );
        });
        const url = env.publicUrl ?? running.url;
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
          // Started by scripts/start.ts: say where it listens over IPC, and stop when the parent goes away.
          if (process.send) {
            process.once('disconnect', () => resolve());
            process.send({ type: 'ready', url });
          } else {
            const signIn = env.signInRequired
              ? ' (sign-in required: `ladder dashboard login --as <you>`)'
              : '';
            io.out(`Dashboard: ${url}${signIn}`);
            io.out('Press Ctrl-C to stop.');
          }
        });
        await running.close();
        // An open IPC channel to the run command keeps this process alive after SIGTERM: let go.
        if (process.connected) process.disconnect();
      });
    });

  dashboard
    .command('login')
    .description("print a one-time sign-in link for the dashboard, signed with the operator's own answer key")
    .requiredOption('--as <userId>', 'your Slack user id (the person the key belongs to)')
    .option(
      '--key <file>',
      "your own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .option(
      '--ttl-minutes <minutes>',
      `how long the link may be used (1-${MAX_LINK_TTL_MS / 60_000})`,
      String(DEFAULT_LINK_TTL_MS / 60_000),
    )
    .option(
      '--url <url>',
      'the dashboard address people open (default: LADDER_DASHBOARD_PUBLIC_URL, else host and port)',
    )
    .action((options: { as: string; key?: string; ttlMinutes: string; url?: string }) => {
      const minutes = Number(options.ttlMinutes);
      if (!/^\d+$/.test(options.ttlMinutes) || minutes < 1 || minutes > MAX_LINK_TTL_MS / 60_000)
        throw new CliError(
          `--ttl-minutes: expected a whole number from 1 to ${MAX_LINK_TTL_MS / 60_000}, got "${options.ttlMinutes}"`,
        );
      const env = dashboardEnv({ url: options.url });
      let config;
      try {
        config = loadConfig();
      } catch (err) {
        if (err instanceof ConfigError)
          throw new CliError(err.problems.map((p) => `Configuration error: ${p}`).join('\n'));
        throw err;
      }
      const signer = operatorSigner(config, options.as, options.key);
      let token: string;
      try {
        token = createSignInToken(signer, options.as, minutes * 60_000, Date.now());
      } catch (err) {
        if (err instanceof SignInError) throw new CliError(err.message);
        throw err;
      }
      const host = env.host.includes(':') ? `[${env.host}]` : env.host;
      const base = env.publicUrl ?? `http://${host}:${env.port}`;
      io.out(`${base}/login?token=${token}`);
      io.err(
        `One-time sign-in link for ${options.as}, valid ${minutes} min. Open it in your browser; do not share it.`,
      );
    });
}
