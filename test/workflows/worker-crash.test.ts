import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import { submitTask } from '../../client/submit-task';
import { spawnNode, isAlive, type Spawned } from '../helpers/processes';
import { appendStep, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { TEST_ENV } from '../setup/shared-state';
import { waitUntil } from '../helpers/wait';

// A worker killed with SIGKILL in the middle of a multi-step task: another worker finishes it, and
// every effect lands exactly once (counted in the handler's target, effects.log).
const WORKER = resolve(__dirname, '..', '..', 'dist', 'worker', 'main.js');

describe('a worker killed mid-task', () => {
  let client: Client;
  let base: string;
  let env: Record<string, string>;
  let slack: SlackWebApiEmulator;
  const workers: Spawned[] = [];
  const lines = (file: string): string[] => {
    const path = join(base, 'sandbox', file);
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  };
  const startWorker = async (): Promise<Spawned> => {
    const worker = spawnNode(WORKER, env);
    workers.push(worker);
    await worker.waitForOutput(/worker polling/);
    return worker;
  };

  beforeAll(async () => {
    // Without Slack credentials the worker posts to the local emulator: give it one.
    slack = await startSlackWebApi();
    base = mkdtempSync(join(tmpdir(), 'ladder-crash-'));
    for (const d of ['workspace', 'sandbox', 'state']) mkdirSync(join(base, d));
    env = {
      TEMPORAL_ADDRESS: testServerAddress(),
      LADDER_TASK_QUEUE: `crash-${randomUUID().slice(0, 8)}`,
      LADDER_POLICY_PATH: resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
      LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
      LADDER_SANDBOX_DIR: join(base, 'sandbox'),
      LADDER_STATE_DIR: join(base, 'state'),
      LADDER_WORKFLOW_BUNDLE: process.env[TEST_ENV.bundlePath]!,
      LOG_LEVEL: 'info',
      LADDER_EMULATOR_PORT: new URL(slack.apiUrl).port,
    };
    client = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await client?.connection.close();
    await slack?.close();
  });

  it('finishes on a new worker with every effect applied exactly once', async () => {
    const first = await startWorker();
    const { handle } = await submitTask(
      client,
      taskRequest('a3', 'ops', [
        appendStep('one'),
        {
          action: 'shell.exec',
          params: {
            command:
              'echo started >> marks.log; while [ ! -f go ]; do sleep 0.05; done; echo two >> effects.log',
            // Asked before a retry: the killed attempt never wrote `two`, so running it again is safe.
            verify: 'grep -qx two effects.log',
          },
        },
        appendStep('three'),
      ]),
      { taskQueue: env.LADDER_TASK_QUEUE, policy: workflowTestPolicy(), actions: createActionRegistry() },
    );
    await waitUntil(() => lines('effects.log').includes('one') && lines('marks.log').length === 1);

    first.child.kill('SIGKILL');
    expect(await first.exited).toBe(-1);
    await waitUntil(() => !isAlive(first.child.pid!));

    await startWorker();
    writeFileSync(join(base, 'sandbox', 'go'), '');
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'executed', rung: 3, executedSteps: 3 });
    expect(lines('effects.log')).toEqual(['one', 'two', 'three']);
    // The interrupted step ran again on the new worker (its check said it had not happened), the others did not.
    expect(lines('marks.log')).toEqual(['started', 'started']);
  });
});
