import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ConfigError, loadConfig, unknownVariableWarning, workflowUiUrl, type Config } from '../config/env';
import { loadDashboardEnv } from '../dashboard/env';
import { loadCanaryPolicy } from '../policy/canary';
import { ensureLocalKeysForPolicies } from './local-keys';
import { loadPolicyFile, PolicyError, formatProblem } from '../policy/loader';
import { connectClient } from '../worker/connection';
import { selfCheck } from '../workflows/self-check';
import { startDemoService } from '../examples/demo-service/server';
import { policyPeopleAndChannels } from '../slack/emulator/policy-people';
import { startSlackEmulator, type SlackEmulator } from '../slack/emulator/server';
import { WorkspaceFileError } from '../slack/emulator/workspace-file';
import { AppUrlsError, appEndpointsFromEnv } from '../slack/emulator/app-urls';
import { startDevServer, type DevServer } from './dev-server';
import { resolveTemporalCli } from './temporal-cli';
import { checkClusterRetention, retentionSummary, type RetentionReport } from './retention';
import { checkTemporalAnswers } from './temporal-answers';
import { cliEnvPrefix } from './cli-env-hint';

const ROOT = resolve(__dirname, '..', '..');

/** Where the local Slack emulator keeps its workspace: beside the actions' state (LADDER_STATE_DIR). */
function emulatorStateFile(config: Config): string {
  return resolve(config.actions.stateDir, 'slack-emulator', 'workspace.json');
}

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/**
 * The run command: starts the dev server (unless TEMPORAL_ADDRESS names a cluster), the worker,
 * proves the path with a self-check workflow, prints where to look, and on Ctrl-C stops every
 * process it started.
 */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
    // The dashboard reads its own variables; a bad one stops start-up here, before anything runs.
    loadDashboardEnv();
    // So does a malformed list of frontends for the emulator to deliver to.
    appEndpointsFromEnv(process.env, '', 3000);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`Configuration error: ${problem}\n`);
      process.exit(2);
    }
    if (err instanceof AppUrlsError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  for (const name of config.unknownVariables ?? []) say(`warning: ${unknownVariableWarning(name)}`);

  // The local stack proves answers with keys it makes itself: one for the Slack app (it signs what
  // Slack's signature proved) and one per person the policy names (their CLI key). Kept across runs.
  ensureLocalKeysForPolicies(config.keys.dir, [config.policyPath]);

  // Check the policy before starting anything: a bad policy stops start-up with every error listed.
  try {
    const { policy, warnings } = loadPolicyFile(config.policyPath);
    const next = loadCanaryPolicy(policy, config.policyPath);
    if (next)
      say(
        `Canary: policy ${next.versionId} for ${policy.canary?.agents?.join(', ') ?? `a ${policy.canary?.share} share of agents`} first`,
      );
    say(
      `Policy: ${config.policyPath}, version ${policy.versionId} (${Object.keys(policy.taskClasses).length} task classes, ${Object.keys(policy.agents).length} agents)`,
    );
    for (const w of warnings) say(`  warning: ${formatProblem(w)}`);
    if (policy.answerTrust.allowClaimedIdentities) {
      say('');
      say('  !!! INSECURE DEMO MODE: answers.allowClaimedIdentities is on. Unsigned answers are accepted');
      say('  !!! with whatever identity they claim: anyone with Temporal access can approve as anyone.');
      say('');
    }
  } catch (err) {
    if (err instanceof PolicyError) {
      process.stderr.write(`Policy error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }

  const children: { name: string; stop: () => Promise<void> }[] = [];
  let stopping = false;
  const stopAll = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      say('\nStopping…');
      // Reverse order: the worker drains before the server it talks to goes away.
      for (const child of children.reverse()) {
        await child
          .stop()
          .catch((err: unknown) => process.stderr.write(`could not stop ${child.name}: ${String(err)}\n`));
        say(`  stopped ${child.name}`);
      }
    }
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    let retention: RetentionReport | undefined;
    if (config.temporal.kind === 'dev-server') {
      const cli = await resolveTemporalCli({ root: ROOT, log: say });
      say(cli.description);
      say(
        `Starting the Temporal dev server on ${config.temporal.address} (data in ${config.temporal.dbPath})…`,
      );
      const server: DevServer = await startDevServer({
        cliPath: cli.path,
        port: config.temporal.port,
        uiPort: config.temporal.uiPort,
        dbPath: resolve(ROOT, config.temporal.dbPath),
        namespace: config.namespace,
        retentionDays: config.retentionDays,
      });
      children.push({ name: 'Temporal dev server', stop: () => server.stop() });
      retention = { kind: 'set', namespace: config.namespace, retentionMs: server.retentionMs! };
    } else {
      await checkTemporalAnswers(config);
      say(
        `Using the Temporal cluster at ${config.temporal.address}, namespace ${config.namespace} (no dev server started).`,
      );
    }

    // Without Slack credentials, the local emulator plays Slack: it must be up before the worker
    // posts and the app answers, and both sign with a secret picked fresh for this run.
    let emulator: SlackEmulator | undefined;
    if (config.slack.kind === 'emulator') {
      process.env.LADDER_EMULATOR_SIGNING_SECRET ??= randomBytes(16).toString('hex');
      const policy = loadPolicyFile(config.policyPath).policy;
      emulator = await startSlackEmulator({
        port: config.slack.emulatorPort,
        ...policyPeopleAndChannels(policy),
        // Kept across restarts, so requests still waiting keep their message and buttons.
        stateFile: emulatorStateFile(config),
      }).catch((err: unknown) => {
        if (err instanceof WorkspaceFileError) throw err;
        throw new Error(
          `the Slack emulator could not listen on 127.0.0.1:${(config.slack as { emulatorPort: number }).emulatorPort} (${(err as Error).message}); set LADDER_EMULATOR_PORT`,
        );
      });
      const started = emulator;
      children.push({ name: 'Slack emulator', stop: () => started.close() });
    }

    // The deploy API's credential: the policy names it (credentials: demo-deploy-token), the worker
    // injects it into requests to the demo service, the demo service demands it, and no agent or
    // task ever sees it.
    process.env.LADDER_SECRET_DEMO_DEPLOY ??= randomBytes(24).toString('hex');
    const workerProcess = await startChild('worker', 'worker');
    const worker = workerProcess.child;
    children.push({ name: 'worker', stop: () => stopChild(worker) });
    worker.once('exit', (code) => {
      if (!stopping) {
        process.stderr.write(`The worker exited unexpectedly (code ${code}).\n`);
        void stopAll(1);
      }
    });

    const slackApp = await startChild('slack', 'Slack app');
    children.push({ name: 'Slack app', stop: () => stopChild(slackApp.child) });
    slackApp.child.once('exit', (code) => {
      if (!stopping) {
        process.stderr.write(`The Slack app exited unexpectedly (code ${code}).\n`);
        void stopAll(1);
      }
    });
    if (emulator && slackApp.url) {
      const secret = process.env.LADDER_EMULATOR_SIGNING_SECRET!;
      // Frontends run beside this one (LADDER_EMULATOR_APP_URLS) get the clicks in turn with it.
      emulator.connectApp(
        appEndpointsFromEnv(process.env, secret, 3000) ?? {
          url: slackApp.url,
          signingSecret: secret,
          timeoutMs: 3000,
        },
      );
    }

    // Agents reach Ladder only here: the HTTP API and its MCP endpoint, with their own token.
    const agentApi = await startChild('api', 'agent API');
    children.push({ name: 'agent API', stop: () => stopChild(agentApi.child) });
    agentApi.child.once('exit', (code) => {
      if (!stopping) {
        process.stderr.write(`The agent API exited unexpectedly (code ${code}).\n`);
        void stopAll(1);
      }
    });

    // The demo service the example tasks change (its config lives in the workspace the worker seeded).
    const demoConfig = resolve(ROOT, config.actions.workspaceRoot, 'demo-service', 'config.json');
    // Its Idempotency-Key store is a file beside Ladder's state, so it holds across restarts (the
    // example policy declares that this host honours the key).
    const demo = await startDemoService(demoConfig, config.demoServicePort, {
      stateDir: resolve(ROOT, '.temporal', 'demo-service'),
    }).catch((err: unknown) => {
      throw new Error(
        `the demo service could not listen on 127.0.0.1:${config.demoServicePort} (${(err as Error).message}); set LADDER_DEMO_SERVICE_PORT`,
      );
    });
    children.push({ name: 'demo service', stop: () => demo.close() });

    // The read-only dashboard: its own process, so a slow page never delays the worker or Slack.
    const dashboard = await startChild('dashboard', 'dashboard');
    children.push({ name: 'dashboard', stop: () => stopChild(dashboard.child) });
    dashboard.child.once('exit', (code) => {
      if (!stopping) {
        process.stderr.write(`The dashboard exited unexpectedly (code ${code}).\n`);
        void stopAll(1);
      }
    });

    const client = await connectClient(config);
    const workflowId = `self-check/${process.pid}-${Date.now()}`;
    const result = await client.workflow.execute(selfCheck, {
      taskQueue: config.taskQueue,
      workflowId,
      workflowExecutionTimeout: '2 minutes',
    });
    // A cluster's namespace belongs to its operators: read its retention, never change it.
    retention ??= await checkClusterRetention(client.workflowService, config.namespace, config.retentionDays);
    await client.connection.close();

    say();
    say('Ladder is running.');
    say(`  Temporal:     ${config.temporal.address} (namespace ${config.namespace})`);
    say(`  Temporal UI:  ${config.temporalUiUrl}`);
    for (const line of retentionSummary(retention)) say(`  ${line}`);
    say(`  Worker:       ${result.worker.identity} polling task queue "${config.taskQueue}"`);
    say(`  Policy:       ${config.policyPath} (edits are picked up live; a bad edit is refused and logged)`);
    if (emulator) {
      say(`  Slack:        local emulator at ${emulator.pageUrl} (no Slack credentials set)`);
      say(`                app request URL ${slackApp.url}`);
    } else {
      say(
        `  Slack:        ${config.slack.kind === 'socket' ? 'Socket Mode' : `HTTP, request URL ${slackApp.url}`}`,
      );
    }
    say(
      `  Agent API:    ${agentApi.url}/v1 (OpenAPI ${agentApi.url}/v1/openapi.json), MCP ${agentApi.url}/mcp`,
    );
    const metricsUrls = [workerProcess, slackApp, agentApi].flatMap((p) =>
      p.metricsUrl ? [p.metricsUrl] : [],
    );
    if (metricsUrls.length > 0) say(`  Metrics:      ${metricsUrls.join('  ')} (Prometheus)`);
    say(`  Dashboard:    ${dashboard.url} (read-only: rungs, what waits on people, metrics over time)`);
    say(`  Answer keys:  ${config.keys.dir} (local demo keys; every human answer is signed and verified)`);
    say(`  Demo service: ${demo.url} (config ${demoConfig}); the example tasks change it`);
    say(`  Self-check:   workflow ${workflowId} completed → ${workflowUiUrl(config, workflowId)}`);
    say();
    say('Try:');
    if (emulator) {
      say(`  open ${emulator.pageUrl}, choose who you are (e.g. U0SRE0002), and type /ladder delegate`);
      say('    then act as another approver (e.g. U0REL0001) and click Approve on the message in #deploys');
    }
    say(`  temporal workflow list --address ${config.temporal.address} --namespace ${config.namespace}`);
    say(`  open ${config.temporalUiUrl} and look at the self-check workflow`);
    // Typed in another shell, the CLI must reach the same Temporal as this run.
    const ladder = `${cliEnvPrefix(process.env)}npm run --silent ladder --`;
    say(`  ${ladder} policy explain ${config.policyPath} examples/tasks/rung2-confirm.json`);
    say(`  ${ladder} submit examples/tasks/rung4-rollback.json --wait`);
    say(`  ${ladder} agent token create ops-agent --as U0ADMIN01   # a token for an agent (MCP/HTTP)`);
    say(`  ${ladder} submit examples/tasks/rung2-confirm.json, then approve it:`);
    say(`    ${ladder} respond <workflowId> approve --as U0DBA0002 --typed orders-db`);
    say();
    say('Press Ctrl-C to stop everything this command started.');
  } catch (err) {
    process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
    await stopAll(1);
  }
}

/**
 * Forks `<dir>/main.js` with an IPC channel (so it exits if we die) and waits for it to report
 * ready; the ready message may carry the URL it listens on.
 */
async function startChild(
  dir: 'worker' | 'slack' | 'api' | 'dashboard',
  name: string,
): Promise<{ child: ChildProcess; url?: string; metricsUrl?: string }> {
  // The dashboard is the CLI's `ladder dashboard`, which reports ready over IPC like the others.
  const [script, args] =
    dir === 'dashboard'
      ? [resolve(__dirname, '..', 'cli', 'main.js'), ['dashboard']]
      : [resolve(__dirname, '..', dir, 'main.js'), []];
  const child = fork(script, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // Ctrl-C here is interactive: a step in flight gets 10 s to finish (the worker's own default is
    // 20 s, for supervisors that wait 30), inside the 15 s stopChild allows before SIGKILL.
    env:
      dir === 'worker' && process.env.LADDER_WORKER_SHUTDOWN_GRACE_MS === undefined
        ? { ...process.env, LADDER_WORKER_SHUTDOWN_GRACE_MS: '10000' }
        : process.env,
  });
  const ready = await new Promise<{ url?: string; metricsUrl?: string }>((resolveReady, reject) => {
    child.once('message', (message) =>
      resolveReady((message ?? {}) as { url?: string; metricsUrl?: string }),
    );
    child.once('exit', (code) => reject(new Error(`the ${name} exited during start-up (code ${code})`)));
  });
  return { child, url: ready.url, metricsUrl: ready.metricsUrl };
}

async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

void main();
