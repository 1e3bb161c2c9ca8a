// The baseline's worker, a process of its own as Ladder's worker is: `node dist/bench/baseline/worker-main.js`
// with the environment bench:tasks gives it. It polls its own task queue on the same dev server.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { SlackNotifier } from '../../activities/notify/slack';
import { loadWorkerTuning } from '../../config/env';
import { createLogger } from '../../config/logger';
import { loadPolicyFile } from '../../policy/loader';
import { installSdkLogging } from '../../worker/runtime-logging';
import { createBaselineWorker } from './create-baseline-worker';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the baseline worker is started by bench:tasks`);
  return value;
}

async function main(): Promise<void> {
  const address = required('TEMPORAL_ADDRESS');
  const taskQueue = required('BENCH_BASELINE_TASK_QUEUE');
  const bundlePath = required('BENCH_BASELINE_BUNDLE');
  const emulatorPort = required('LADDER_EMULATOR_PORT');
  const dirs = {
    workspaceRoot: required('LADDER_WORKSPACE_ROOT'),
    sandboxDir: required('LADDER_SANDBOX_DIR'),
    stateDir: required('LADDER_STATE_DIR'),
  };
  const log = createLogger('baseline-worker', process.env.LOG_LEVEL ?? 'info');
  installSdkLogging(log);
  // The notifier Ladder's worker builds for the emulator, with the same token and Web API URL.
  const notifier = new SlackNotifier('xoxb-ladder-local-emulator', `http://127.0.0.1:${emulatorPort}/api/`);
  const connection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  const client = new Client({ connection: clientConnection, namespace: 'default' });
  const worker = await createBaselineWorker({
    connection,
    client,
    taskQueue,
    workflows: { bundlePath },
    notifier,
    dirs,
    policy: loadPolicyFile(required('LADDER_POLICY_PATH')).policy,
    tuning: loadWorkerTuning(),
    log,
  });
  if (process.send !== undefined) {
    process.once('disconnect', () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    });
  }
  process.send?.({ type: 'ready' });
  await worker.run();
  await clientConnection.close();
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `Baseline worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
