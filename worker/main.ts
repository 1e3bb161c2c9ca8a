import { copyFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createActionRegistry } from '../activities/actions/registry';
import { refreshEntityAuthorities } from '../client/authority-refresh';
import type { Client } from '@temporalio/client';
import { createCanaryLink } from '../client/canary-link';
import { createLedgerLink } from '../client/ledger-link';
import { createPolicyHistoryRecorder, type PolicyHistoryRecorder } from '../activities/policy-history-link';
import { SlackNotifier } from '../activities/notify/slack';
import { LoggingOutcomes } from '../activities/outcomes';
import { ConfigError, loadConfig, unknownVariableWarning } from '../config/env';
import { createLogger } from '../config/logger';
import { loadCanaryPolicy } from '../policy/canary';
import { formatProblem, PolicyError, type LoadedPolicy } from '../policy/loader';
import { PolicyStore } from '../policy/store';
import { actionDirs, BAD_DIR_EXIT_CODE, checkDirs, makeDirs } from './check-dirs';
import { connectClient, connectWorker } from './connection';
import { createLadderWorkers, runLadderWorkers, WORKFLOWS_PATH } from './create-worker';
import { workerRunning } from '../observability/readiness';
import { installSdkRuntime } from './runtime-logging';
import { createProcessMetrics, serveProcessMetrics } from '../observability/process-metrics';
import { runtimeMetricsReader } from '../observability/temporal-runtime-metrics';
import { tracingFromEnv } from '../observability/tracing-config';

/**
 * Worker process entry point: reads config, connects, polls until SIGINT/SIGTERM (which drain
 * in-flight tasks, the entity worker last) or until the parent that spawned it goes away.
 */
async function main(): Promise<void> {
  // Until the worker polls, SIGINT/SIGTERM stop the process at once: the drain handler below only
  // tells running workers to drain, so without this a stuck start-up would ignore them.
  const exitOnSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`Worker stopped during start-up (${signal})\n`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', exitOnSignal);
  process.once('SIGTERM', exitOnSignal);
  const config = loadConfig();
  // The workspace, sandbox and state folders must be usable before anything reads or writes them.
  const badDirs = checkDirs(actionDirs(config.actions));
  if (badDirs.length > 0) {
    process.stderr.write(badDirs.map((line) => `${line}\n`).join(''));
    process.exit(BAD_DIR_EXIT_CODE);
  }
  const log = createLogger('worker', config.logLevel);
  for (const name of config.unknownVariables ?? []) log.warn(unknownVariableWarning(name));
  // Traces go out only when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_*ENDPOINT).
  const tracing = await tracingFromEnv('worker', { warn: (message) => log.warn(message) });
  if (tracing)
    log.info({ url: tracing.config.tracesUrl, service: tracing.config.serviceName }, 'exporting traces');
  if (config.workflowBundlePath !== undefined && !existsSync(config.workflowBundlePath)) {
    throw new ConfigError([
      `LADDER_WORKFLOW_BUNDLE: expected an existing bundle file (build it with \`npm run bundle\`), got "${config.workflowBundlePath}"`,
    ]);
  }
  // A policy may roll its next version out as a canary; a bad next version is refused and logged,
  // and no canary runs until it is fixed.
  let nextPolicy: LoadedPolicy | null = null;
  const loadNext = (current: LoadedPolicy): LoadedPolicy | null => {
    try {
      const next = loadCanaryPolicy(current, config.policyPath);
      if (next) log.info({ next: next.versionId, window: current.canary?.window }, 'canary policy loaded');
      return next;
    } catch (err) {
      log.error({ err: (err as Error).message }, 'canary policy refused; no canary runs');
      return null;
    }
  };
  // Every version taken is recorded in control/<queue>/policy-versions once the client is up.
  let history: PolicyHistoryRecorder | null = null;
  // Entity workflows hold the authority they last loaded: a new policy asks them to reload it now.
  let entityClient: Client | null = null;
  const askEntitiesToReload = (client: Client): void => {
    refreshEntityAuthorities(client, config.taskQueue).then(
      ({ signalled, failed }) => {
        if (failed.length > 0)
          log.warn({ signalled, failed }, 'some entity workflows could not be asked to reload the policy');
        else log.info({ signalled }, 'entity workflows asked to reload the policy');
      },
      (err: Error) => log.warn({ err: err.message }, 'cannot list entity workflows to reload the policy'),
    );
  };
  // The policy must be good (and signed as its guard requires) at start; later bad or unsigned
  // edits are refused and the last good one stays. The state folder keeps the last good version
  // for the CLI and for the next start.
  const policyStore = new PolicyStore(config.policyPath, {
    ...config.policyLimits,
    stateDir: config.actions.stateDir,
    onChange: (policy, warnings, version) => {
      log.info(
        {
          policy: policy.versionId,
          signedBy: version.signers.map((s) => s.person),
          warnings: warnings.map(formatProblem),
        },
        'policy reloaded',
      );
      nextPolicy = loadNext(policy);
      history?.record(version);
      if (entityClient) askEntitiesToReload(entityClient);
    },
    onWarning: (message) => log.warn(message),
    onError: (error) =>
      log.error(
        { problems: error.problems.map(formatProblem), kept: policyStore.current().versionId },
        'policy edit refused; the last good policy stays in force',
      ),
  }).watch();
  log.info({ policy: policyStore.current().versionId, path: config.policyPath }, 'policy loaded');
  nextPolicy = loadNext(policyStore.current());
  // Metrics: Ladder's own, and the Temporal runtime's read from its exporter on each scrape. The
  // endpoint is up before the worker connects, so a port in use stops the start at once.
  const metricsPort = config.metrics.worker;
  // The process orders the drain itself (runLadderWorkers: the entity worker last), so the runtime
  // must not tell every worker at once.
  const { runtimeMetricsUrl } = await installSdkRuntime(log, {
    runtimeMetrics: metricsPort !== null,
    shutdownSignals: [],
  });
  const metrics =
    metricsPort !== null ? createProcessMetrics(() => [policyStore.current(), nextPolicy]) : undefined;
  const metricsServer =
    metrics && metricsPort !== null
      ? await serveProcessMetrics({
          variable: 'LADDER_WORKER_METRICS_PORT',
          host: config.metrics.host,
          port: metricsPort,
          metrics,
          ...(runtimeMetricsUrl ? { extra: runtimeMetricsReader(runtimeMetricsUrl) } : {}),
        })
      : undefined;
  if (metricsServer) log.info({ url: metricsServer.url }, 'metrics endpoint');
  const connection = await connectWorker(config);
  // Calls activities make join their task's trace; the worker itself starts none.
  const client = await connectClient(config, { interceptors: tracing?.joiningClientInterceptors });
  history = createPolicyHistoryRecorder({
    client,
    taskQueue: config.taskQueue,
    onError: (err, attempt) =>
      log.warn({ err: err.message, attempt }, 'cannot record the policy version yet; retrying'),
  });
  history.record(policyStore.currentVersion());
  entityClient = client;
  const dirs = prepareActionDirs(config.actions);
  const workers = await createLadderWorkers({
    connection,
    namespace: config.namespace,
    taskQueue: config.taskQueue,
    tuning: config.worker,
    shutdownGraceMs: config.workerShutdownGraceMs,
    ...(config.workerDeployment ? { deployment: config.workerDeployment } : {}),
    ...(config.workerHost !== undefined ? { host: config.workerHost } : {}),
    ...(tracing ? { tracing: tracing.worker } : {}),
    activityDeps: {
      policy: () => policyStore.current(),
      registry: createActionRegistry(),
      client,
      taskQueue: config.taskQueue,
      ...dirs,
      // With Slack credentials, messages go to Slack; without them, to the local emulator the run
      // command starts. Either way a 429 fails the activity and Temporal retries it.
      notifier: new SlackNotifier(
        config.slack.botToken,
        config.slack.kind === 'emulator' ? config.slack.apiUrl : undefined,
        metrics ? { onApiError: (method, error) => metrics.slackApiError(method, error) } : {},
      ),
      ...(metrics ? { metrics } : {}),
      outcomes: new LoggingOutcomes(log.child({ component: 'outcomes' })),
      ...(config.latePostGraceMs !== undefined ? { latePostGraceMs: config.latePostGraceMs } : {}),
      ledger: createLedgerLink({ client, taskQueue: config.taskQueue, uiBaseUrl: config.temporalUiUrl }),
      canary: createCanaryLink({
        client,
        taskQueue: config.taskQueue,
        current: () => policyStore.current(),
        next: () => nextPolicy,
      }),
    },
    workflows:
      config.workflowBundlePath !== undefined
        ? { bundlePath: config.workflowBundlePath }
        : { workflowsPath: WORKFLOWS_PATH },
  });
  const { worker, entityWorker, hostWorker } = workers;
  const ladder = runLadderWorkers(workers);
  metricsServer?.setReadiness(workerRunning(worker));
  // Spawned by the run command with an IPC channel: if that parent dies, do not linger as an orphan.
  if (process.send !== undefined) {
    process.once('disconnect', () => {
      // Already draining or stopped (the parent asked first, then went): nothing more to do.
      if (worker.getState() !== 'RUNNING') return;
      log.warn('parent process went away; shutting down');
      ladder.shutdown();
    });
  }
  log.info(
    {
      taskQueue: config.taskQueue,
      namespace: config.namespace,
      address: config.temporal.address,
      ...(config.workerDeployment ? { deployment: config.workerDeployment } : {}),
      ...(entityWorker ? { entityQueue: entityWorker.options.taskQueue } : {}),
      ...(hostWorker ? { hostQueue: hostWorker.options.taskQueue } : {}),
    },
    'worker polling',
  );
  process.send?.({ type: 'ready', ...(metricsServer ? { metricsUrl: metricsServer.url } : {}) });
  // From here SIGINT/SIGTERM (and the runtime's other drain signals) drain in-flight tasks; the host
  // worker's pinned steps get the same grace. A second signal finds no handler and ends the process.
  process.off('SIGINT', exitOnSignal);
  process.off('SIGTERM', exitOnSignal);
  const drainSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGUSR2'];
  const drain = (signal: NodeJS.Signals): void => {
    for (const s of drainSignals) process.off(s, drain);
    log.info({ signal }, 'draining: the task queue first, then the entities');
    ladder.shutdown();
  };
  for (const signal of drainSignals) process.on(signal, drain);
  await ladder.run();
  // The last tasks' spans are buffered: send them before the process goes.
  await tracing?.shutdown();
  await metricsServer?.close();
  policyStore.close();
  history.close();
  await client.connection.close();
  await connection.close();
  log.info('worker stopped');
  // An open IPC channel to the run command would keep this process alive after SIGTERM: let go.
  if (process.connected) process.disconnect();
}

/**
 * Creates the action folders and seeds the workspace with the demo service's config, so the
 * example tasks have something real to change.
 */
function prepareActionDirs(dirs: { workspaceRoot: string; sandboxDir: string; stateDir: string }) {
  const out = {
    workspaceRoot: resolve(dirs.workspaceRoot),
    sandboxDir: resolve(dirs.sandboxDir),
    stateDir: resolve(dirs.stateDir),
  };
  for (const dir of Object.values(out)) makeDirs(dir);
  const demoConfig = join(out.workspaceRoot, 'demo-service', 'config.json');
  if (!existsSync(demoConfig)) {
    makeDirs(join(out.workspaceRoot, 'demo-service'));
    copyFileSync(resolve(__dirname, '..', '..', 'examples', 'demo-service', 'config.json'), demoConfig);
  }
  return out;
}

main().catch((err: unknown) => {
  if (err instanceof PolicyError) {
    process.stderr.write(`Policy error: ${err.message}\n`);
  } else if (err instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${err.message.split('\n').join('\nConfiguration error: ')}\n`);
  } else {
    process.stderr.write(
      `Worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
