import { randomBytes } from 'node:crypto';
import { createActionRegistry } from '../activities/actions/registry';
import { createCanaryLink } from '../client/canary-link';
import { createLedgerLink } from '../client/ledger-link';
import { loadAnswerSigner } from '../client/answer-signer';
import { loadCanaryPolicy } from '../policy/canary';
import { ConfigError, loadConfig } from '../config/env';
import { createLogger } from '../config/logger';
import { formatProblem, PolicyError, type LoadedPolicy } from '../policy/loader';
import { PolicyStore } from '../policy/store';
import { connectClient } from '../worker/connection';
import { createSlackApp, type SlackTransport } from './app';
import { createProcessMetrics, serveProcessMetrics } from '../observability/process-metrics';
import { tracingFromEnv } from '../observability/tracing-config';
import { temporalReachable, unlessStopping } from '../observability/readiness';

/**
 * Slack app process: real Slack over HTTP or Socket Mode with credentials, the local emulator's
 * signed requests without them. Started by the run command; stops on SIGINT/SIGTERM or when the
 * parent that forked it goes away.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('slack', config.logLevel);
  // A click or a slash command starts a trace that follows the task into the worker.
  const tracing = await tracingFromEnv('slack', { warn: (message) => log.warn(message) });
  if (tracing)
    log.info({ url: tracing.config.tracesUrl, service: tracing.config.serviceName }, 'exporting traces');
  const slack = config.slack;
  let transport: SlackTransport;
  if (slack.kind === 'socket') transport = { kind: 'socket', appToken: slack.appToken };
  else if (slack.kind === 'http')
    transport = { kind: 'http', signingSecret: slack.signingSecret, port: slack.port };
  else {
    if (!slack.signingSecret)
      throw new ConfigError([
        'LADDER_EMULATOR_SIGNING_SECRET: expected the secret the local emulator signs with (the run command sets it)',
      ]);
    transport = { kind: 'http', signingSecret: slack.signingSecret, port: slack.port };
  }
  const policyStore = new PolicyStore(config.policyPath, {
    // The same size limit, signature guard and last-good memory as the worker's store.
    ...config.policyLimits,
    stateDir: config.actions.stateDir,
    onWarning: (message) => log.warn(message),
    onChange: (policy) => {
      log.info({ policy: policy.versionId }, 'policy reloaded');
      nextPolicy = loadNext(policy);
    },
    onError: (error) =>
      log.error(
        { problems: error.problems.map(formatProblem) },
        'policy edit refused; the last good policy stays in force',
      ),
  }).watch();
  let nextPolicy: LoadedPolicy | null = null;
  const loadNext = (current: LoadedPolicy): LoadedPolicy | null => {
    try {
      return loadCanaryPolicy(current, config.policyPath);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'canary policy refused');
      return null;
    }
  };
  nextPolicy = loadNext(policyStore.current());
  // Up before anything else listens, so a metrics port in use stops the start at once.
  const metricsPort = config.metrics.slackApp;
  const metrics =
    metricsPort !== null ? createProcessMetrics(() => [policyStore.current(), nextPolicy]) : undefined;
  const metricsServer =
    metrics && metricsPort !== null
      ? await serveProcessMetrics({
          variable: 'LADDER_SLACK_METRICS_PORT',
          host: config.metrics.host,
          port: metricsPort,
          metrics,
        })
      : undefined;
  if (metricsServer) log.info({ url: metricsServer.url }, 'metrics endpoint');
  const temporal = await connectClient(config, { interceptors: tracing?.clientInterceptors });
  // From SIGTERM on, 503 `stopping` while the requests in flight finish (see stop below).
  let stopping = false;
  metricsServer?.setReadiness(unlessStopping(() => stopping, temporalReachable(temporal)));
  const app = createSlackApp({
    deps: {
      temporal,
      taskQueue: config.taskQueue,
      policy: () => policyStore.current(),
      actions: createActionRegistry(),
      uiBaseUrl: config.temporalUiUrl,
      log,
      ledger: createLedgerLink({
        client: temporal,
        taskQueue: config.taskQueue,
        uiBaseUrl: config.temporalUiUrl,
      }),
      canary: createCanaryLink({
        client: temporal,
        taskQueue: config.taskQueue,
        current: () => policyStore.current(),
        next: () => nextPolicy,
      }),
      signer: loadAnswerSigner(config.keys.frontendKey),
      newTaskId: () => `slack-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
    },
    transport,
    botToken: slack.botToken,
    apiUrl: slack.kind === 'emulator' ? slack.apiUrl : undefined,
    ...(metrics ? { metrics } : {}),
    // Without its front thread the app can answer nothing: exit, and let the supervisor restart it.
    onTransportFailure: () => {
      log.error('exiting: the Slack app can no longer receive requests');
      process.exit(1);
    },
  });
  const { url } = await app.start();
  log.info({ mode: slack.kind, url }, 'slack app listening');
  process.send?.({ type: 'ready', url, ...(metricsServer ? { metricsUrl: metricsServer.url } : {}) });

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('draining: refusing new connections, letting requests in flight finish');
    // The receiver drains (SlackHttpReceiver.stop); the metrics endpoint stays up meanwhile.
    await app.stop();
    await metricsServer?.close();
    policyStore.close();
    await temporal.connection.close();
    await tracing?.shutdown();
    log.info('slack app stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  if (process.send !== undefined) process.once('disconnect', () => void stop());
}

main().catch((err: unknown) => {
  if (err instanceof PolicyError) process.stderr.write(`Policy error: ${err.message}\n`);
  else if (err instanceof ConfigError)
    process.stderr.write(`Configuration error: ${err.message.split('\n').join('\nConfiguration error: ')}\n`);
  else
    process.stderr.write(
      `Slack app failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  process.exit(1);
});
