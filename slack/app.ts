import { App } from '@slack/bolt';
import { boltLogger } from './bolt-logger';
import type { SlackDeps } from './deps';
import { registerAppHome } from './listeners/app-home';
import { registerBatch } from './listeners/batch';
import { registerCommands } from './listeners/commands';
import { registerStandingViews } from './listeners/standing-approvals';
import { registerEditViews } from './listeners/edit-steps';
import { registerTaskActions } from './listeners/task-actions';
import { registerViews } from './listeners/views';
import { SlackHttpReceiver } from './receiver';
import type { LadderMetrics } from '../observability/ladder-metrics';
import { slackFetchCountingErrors } from '../observability/slack-web-api-errors';

/** How Slack reaches the app: signed HTTP requests (real Slack or the emulator), or Socket Mode. */
export type SlackTransport =
  { kind: 'http'; signingSecret: string; port: number } | { kind: 'socket'; appToken: string };

export interface LadderSlackApp {
  app: App;
  /** Starts listening; for HTTP, resolves with the request URL to configure in Slack. */
  start(): Promise<{ url?: string }>;
  stop(): Promise<void>;
}

/**
 * Builds Ladder's Bolt app: `/ladder`, the task buttons and the modals, over the given transport.
 *
 * @param botToken - `xoxb-…`; never logged.
 * @param apiUrl - Web API base URL (the emulator's, locally); Slack's when omitted.
 * @param metrics - where ack times (HTTP transport) and failed Web API calls are counted; none
 *   when omitted.
 * @param onTransportFailure - HTTP transport: told when its front thread stopped on its own, so no
 *   request will be answered again.
 */
export function createSlackApp(options: {
  deps: SlackDeps;
  transport: SlackTransport;
  botToken: string;
  apiUrl?: string;
  metrics?: LadderMetrics;
  /** HTTP transport: told when requests can no longer be received (see SlackHttpReceiver). */
  onTransportFailure?: (error: Error) => void;
}): LadderSlackApp {
  const { deps, transport, metrics } = options;
  const logger = boltLogger(deps.log);
  // Bolt gives every client it makes (app.client, and one per token for listeners) these options.
  const clientOptions =
    options.apiUrl || metrics
      ? {
          ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
          ...(metrics
            ? { fetch: slackFetchCountingErrors((method, error) => metrics.slackApiError(method, error)) }
            : {}),
        }
      : undefined;
  let receiver: SlackHttpReceiver | undefined;
  let app: App;
  // Bolt's conversation store (on unless turned off) runs a middleware on every request and keeps
  // state per conversation; no listener reads `context.conversation`, so it is work for nothing.
  const convoStore = false;
  if (transport.kind === 'http') {
    receiver = new SlackHttpReceiver({
      signingSecret: transport.signingSecret,
      port: transport.port,
      logger: deps.log.child({ component: 'slack-receiver' }),
      ...(metrics ? { onAck: (kind, seconds) => metrics.slackAck(kind, seconds) } : {}),
      ...(options.onTransportFailure ? { onFrontFailure: options.onTransportFailure } : {}),
    });
    app = new App({ token: options.botToken, receiver, logger, clientOptions, convoStore });
  } else {
    app = new App({
      token: options.botToken,
      appToken: transport.appToken,
      socketMode: true,
      logger,
      clientOptions,
      convoStore,
    });
  }
  app.error(async (error) => {
    deps.log.error({ err: error.message, code: (error as { code?: string }).code }, 'slack app error');
    // The HTTP receiver answers a request that no listener acked with 500 "a listener failed" (an
    // answer already sent stays as it was), so it must see the error; swallowed, the request would
    // be answered 404 "no listener", which sends whoever debugs it the wrong way.
    if (receiver) throw error;
  });
  registerCommands(app, deps);
  registerTaskActions(app, deps);
  registerViews(app, deps);
  registerStandingViews(app, deps);
  registerEditViews(app, deps);
  registerAppHome(app, deps);
  registerBatch(app, deps);
  return {
    app,
    async start() {
      if (receiver) {
        const { url } = await receiver.start();
        return { url };
      }
      await app.start();
      return {};
    },
    async stop() {
      if (receiver) await receiver.stop();
      else await app.stop();
    },
  };
}
