import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import { submitTask } from '../../client/submit-task';
import { isAlive, type Spawned } from '../helpers/processes';
import { appendStep, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import {
  makeWorkerDir,
  sandboxLines,
  startWorkerProcess,
  workerProcessEnv,
} from '../helpers/worker-processes';

// A worker killed with SIGKILL in the middle of a multi-step task: another worker finishes it, and
// every effect lands exactly once (counted in the handler's target, effects.log).

describe('a worker killed mid-task', () => {
  let client: Client;
  let base: string;
  let env: Record<string, string>;
  let slack: SlackWebApiEmulator;
  const workers: Spawned[] = [];
  const lines = (file: string): string[] => sandboxLines(base, file);
  const startWorker = (): Promise<Spawned> => startWorkerProcess(env, workers);

  beforeAll(async () => {
    // Without Slack credentials the worker posts to the local emulator: give it one.
    slack = await startSlackWebApi();
    base = makeWorkerDir('crash');
    env = workerProcessEnv({
      address: testServerAddress(),
      taskQueue: `crash-${randomUUID().slice(0, 8)}`,
      policyPath: resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
      dir: base,
      slackApiUrl: slack.apiUrl,
    });
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
