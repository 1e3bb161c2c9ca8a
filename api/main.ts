import { createActionRegistry } from '../activities/actions/registry';
import { createTokenLookup } from '../client/agent-tokens';
import { ConfigError, loadConfig, unknownVariableWarning } from '../config/env';
import { createLogger } from '../config/logger';
import { formatProblem, PolicyError } from '../policy/loader';
import { PolicyStore } from '../policy/store';
import { connectClient } from '../worker/connection';
import { createAgentService } from './agent-service';
import { loadApiConfig } from './config';
import { startApiServer } from './server';
import { createProcessMetrics, serveProcessMetrics } from '../observability/process-metrics';
import { tracingFromEnv } from '../observability/tracing-config';
import { temporalReachable, unlessStopping } from '../observability/readiness';

/**
 * The agents' HTTP API and MCP endpoint as its own process: `node dist/api/main.js`, on
 * 127.0.0.1:$LADDER_API_PORT (default 3200). It is one of Ladder's own processes, so it holds the
 * Temporal connection; agents hold only their token. Stops on SIGINT/SIGTERM.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const apiConfig = loadApiConfig();
  const log = createLogger('api', config.logLevel);
  for (const name of config.unknownVariables ?? []) log.warn(unknownVariableWarning(name));
  // An agent's request starts a trace that follows the task into the worker.
  const tracing = await tracingFromEnv('api', { warn: (message) => log.warn(message) });
  if (tracing)
    log.info({ url: tracing.config.tracesUrl, service: tracing.config.serviceName }, 'exporting traces');
  const policyStore = new PolicyStore(config.policyPath, {
    ...config.policyLimits,
    stateDir: config.actions.stateDir,
    onWarning: (message) => log.warn(message),
    onChange: (policy) => log.info({ policy: policy.versionId }, 'policy reloaded'),
    onError: (error) =>
      log.error(
        { problems: error.problems.map(formatProblem) },
        'policy edit refused; the last good policy stays in force',
      ),
  }).watch();
  // Up before anything else listens, so a metrics port in use stops the start at once.
  const metricsPort = config.metrics.api;
  if (metricsPort === apiConfig.port)
    throw new ConfigError([
      `LADDER_API_METRICS_PORT: expected a port different from LADDER_API_PORT (${metricsPort}), or off`,
    ]);
  const metrics = metricsPort !== null ? createProcessMetrics(() => [policyStore.current()]) : undefined;
  const metricsServer =
    metrics && metricsPort !== null
      ? await serveProcessMetrics({
          variable: 'LADDER_API_METRICS_PORT',
          host: config.metrics.host,
          port: metricsPort,
          metrics,
        })
      : undefined;
  if (metricsServer) log.info({ url: metricsServer.url }, 'metrics endpoint');
  const client = await connectClient(config, { interceptors: tracing?.clientInterceptors });
  const policy = () => policyStore.current();
  const api = await startApiServer(
    {
      service: createAgentService({
        client,
        taskQueue: config.taskQueue,
        policy,
        actions: createActionRegistry(),
        uiBaseUrl: config.temporalUiUrl,
      }),
      lookupToken: createTokenLookup(client, config.taskQueue),
      policy,
      log,
      // A drain aborts the long polls it answers early, before the connection below closes.
      withAbortSignal: (signal, fn) => client.withAbortSignal(signal, fn),
      ...(metrics ? { metrics } : {}),
    },
    apiConfig.port,
  );
  // Ready once it listens; from SIGTERM on, 503 `stopping` while requests in flight finish.
  metricsServer?.setReadiness(unlessStopping(() => api.isDraining(), temporalReachable(client)));
  log.info({ url: api.url, mcp: `${api.url}/mcp`, taskQueue: config.taskQueue }, 'agent API listening');
  // Ready line for whoever started us (scripts, tests).
  process.stdout.write(`Ladder agent API on ${api.url} (MCP: ${api.url}/mcp)\n`);
  process.send?.({
    type: 'ready',
    url: api.url,
    ...(metricsServer ? { metricsUrl: metricsServer.url } : {}),
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    log.info('draining: refusing new connections, letting requests in flight finish');
    // The metrics endpoint stays up while the API drains, so probes see 503 `stopping`.
    void api
      .close()
      .then(() => metricsServer?.close())
      .then(async () => {
        await client.connection.close();
        await tracing?.shutdown();
        process.exit(0);
      });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Started by the run command: go when it goes, even if it was killed.
  if (process.send !== undefined) process.once('disconnect', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError)
    console.error(err.problems.map((p) => `Configuration error: ${p}`).join('\n'));
  // A policy that cannot load at start: every problem with its path and line, as the worker says it.
  else if (err instanceof PolicyError) console.error(`Policy error: ${err.message}`);
  else console.error(`Agent API failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
