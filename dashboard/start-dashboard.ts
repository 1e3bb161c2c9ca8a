import type { Client } from '@temporalio/client';
import type { Config } from '../config/env';
import type { LoadedPolicy } from '../policy/loader';
import { temporalUiLink } from '../policy/slack-ids';
import { createDashboardData } from './data/dashboard-data';
import type { DashboardEnv } from './env';
import { startDashboardServer, type RunningDashboard } from './server';
import type { LinkTargets } from './views/layout';

/**
 * Where a posted message opens: Slack's archive link for a real workspace (it redirects to the
 * workspace), the emulator's page locally. Refs are `<channel>/<ts>`.
 */
export function slackMessageLink(slack: Config['slack']): (ref: string) => string | null {
  return (ref) => {
    const match = /^([A-Za-z0-9#_-]+)\/(\d+)\.(\d+)$/.exec(ref);
    if (!match) return null;
    if (slack.kind === 'emulator') return `http://127.0.0.1:${slack.emulatorPort}/`;
    return `https://slack.com/archives/${encodeURIComponent(match[1])}/p${match[2]}${match[3]}`;
  };
}

/** The links of a configuration: its Temporal UI and Slack. */
export function linkTargets(config: Pick<Config, 'temporalUiUrl' | 'namespace' | 'slack'>): LinkTargets {
  return {
    workflow: (id) => temporalUiLink(config.temporalUiUrl, config.namespace, id),
    slackMessage: slackMessageLink(config.slack),
  };
}

/**
 * Starts the dashboard for a deployment: its reads over `client` on `config.taskQueue`, the
 * policy from `policy()` (reloaded by the caller), served as `env` says. Its first read starts at
 * once; `close()` stops serving and waits for reads in flight, so the connection can close after.
 */
export async function startDashboard(options: {
  client: Client;
  config: Pick<Config, 'temporalUiUrl' | 'namespace' | 'slack' | 'taskQueue' | 'policyPath'>;
  env: DashboardEnv;
  policy: () => LoadedPolicy;
  onError?: (what: string, err: unknown) => void;
}): Promise<RunningDashboard> {
  const { config, env } = options;
  const data = createDashboardData({
    client: options.client,
    taskQueue: config.taskQueue,
    policy: options.policy,
    policyPath: config.policyPath,
    refreshMs: env.refreshMs,
    onError: options.onError,
  });
  // The first figures are read now, not when the first person opens the page.
  data.overview().catch((err: unknown) => options.onError?.('first read', err));
  const serving = startDashboardServer({
    data,
    links: linkTargets(config),
    host: env.host,
    port: env.port,
    signInRequired: env.signInRequired,
    answerTrust: () => options.policy().answerTrust,
    sessionMs: env.sessionMs,
    secureCookie: env.publicUrl?.startsWith('https:') ?? false,
    onError: (err) => options.onError?.('request', err),
  });
  // When it cannot listen, the first read still ends before the caller closes the connection.
  const running = await serving.catch(async (err: unknown) => {
    await data.settle();
    throw err;
  });
  return {
    url: running.url,
    async close() {
      await running.close();
      await data.settle();
    },
  };
}
