// Child process of bench/slack-ack-during-reload.ts: Ladder's real Slack app (Bolt, Ladder's own
// receiver and listeners) with a PolicyStore watching the benchmark's policy file, wired as
// slack/main.ts wires them. It runs in its own process so that the load generator's clock keeps
// running while this event loop is blocked: a blocked app shows up as late acks, not as late sends.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, Connection } from '@temporalio/client';
import { createActionRegistry } from '../activities/actions/registry';
import { createLedgerLink } from '../client/ledger-link';
import { createAnswerSigner, generateAnswerKey } from '../client/answer-signer';
import { createLogger } from '../config/logger';
import { formatProblem } from '../policy/loader';
import { PolicyStore } from '../policy/store';
import { createSlackApp } from '../slack/app';
import type { AppToDriver, DriverToApp } from './slack-ack-messages';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name}: expected a value (the benchmark driver sets it)`);
  return value;
}

function send(message: AppToDriver): void {
  process.send?.(message);
}

async function main(): Promise<void> {
  const policyPath = required('BENCH_POLICY_PATH');
  const log = createLogger('bench-slack-app', process.env.LOG_LEVEL ?? 'silent');
  // Event-loop delay is what a blocked loop costs every request: reported per phase to the driver.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const policyStore = new PolicyStore(policyPath, {
    stateDir: required('BENCH_STATE_DIR'),
    intervalMs: Number(required('BENCH_POLL_MS')),
    onChange: (policy) => send({ type: 'policy', outcome: 'loaded', detail: policy.versionId }),
    onError: (error) =>
      send({
        type: 'policy',
        outcome: 'refused',
        detail: `${error.problems.length} problems reported, first: ${formatProblem(error.problems[0])}`,
      }),
    onWarning: (message) => log.warn(message),
  }).watch();
  const connection = await Connection.connect({ address: required('BENCH_TEMPORAL_ADDRESS') });
  const temporal = new Client({ connection });
  const taskQueue = 'bench-slack-ack';
  let counter = 0;
  const app = createSlackApp({
    deps: {
      temporal,
      taskQueue,
      policy: () => policyStore.current(),
      actions: createActionRegistry(),
      uiBaseUrl: 'http://localhost:8233',
      log,
      ledger: createLedgerLink({ client: temporal, taskQueue }),
      signer: createAnswerSigner(generateAnswerKey('bench-frontend', 'frontend')),
      newTaskId: () => `bench-${++counter}-${randomBytes(3).toString('hex')}`,
    },
    transport: { kind: 'http', signingSecret: required('BENCH_SIGNING_SECRET'), port: 0 },
    botToken: 'xoxb-bench',
    apiUrl: required('BENCH_SLACK_API_URL'),
  });
  const { url } = await app.start();
  process.on('message', (message: DriverToApp) => {
    if (message.type === 'loop-reset') loopDelay.reset();
    else if (message.type === 'loop-report')
      send({
        type: 'loop',
        maxMs: loopDelay.max / 1e6,
        p99Ms: loopDelay.percentile(99) / 1e6,
      });
  });
  const stop = async (): Promise<void> => {
    policyStore.close();
    await app.stop();
    await connection.close();
    process.exit(0);
  };
  process.once('disconnect', () => void stop());
  process.once('SIGTERM', () => void stop());
  send({ type: 'ready', url: url! });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench Slack app failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
