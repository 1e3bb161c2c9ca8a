import { rmSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { engageKillSwitch, releaseKillSwitch } from '../../client/kill-switch';
import { submitTask } from '../../client/submit-task';
import { loadPolicyFile, type LoadedPolicy } from '../../policy/loader';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import type { Spawned } from '../helpers/processes';
import { taskRequest, waitForStatus } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import {
  activityWorkerPids,
  ADMIN,
  killAll,
  newDeployment,
  startWorkerProcess,
  type Deployment,
} from './helpers/scale-out';

// The kill switch engaged while autonomous steps follow each other on both workers (none held):
// the race between a step's re-check and the engage, which exactness.cluster-test.ts avoids by
// holding every step. Step starts are stamped by the steps themselves (the sandbox's clock is
// the test's), and compared with the moment the engage was acknowledged.
describe('kill switch racing running steps on two workers', () => {
  let deployment: Deployment;
  let policy: LoadedPolicy;
  let client: Client;
  let slack: SlackWebApiEmulator;
  let workers: Spawned[];

  beforeAll(async () => {
    slack = await startSlackWebApi(0, false);
    deployment = newDeployment('ks-race', Number(new URL(slack.apiUrl).port));
    policy = loadPolicyFile(deployment.policyPath).policy;
    client = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
    workers = await Promise.all([startWorkerProcess(deployment), startWorkerProcess(deployment)]);
  });
  afterAll(async () => {
    await killAll(workers ?? []);
    await client?.connection.close();
    await slack?.close();
    if (deployment) rmSync(deployment.base, { recursive: true, force: true });
  });

  it('starts no step after the engage is acknowledged, on either worker', async () => {
    const words = Array.from({ length: 8 }, (_, i) => `race-${i}`);
    const steps = 10;
    const submitted = await Promise.all(
      words.map((w) =>
        submitTask(
          client,
          taskRequest(
            'a3',
            'auto',
            Array.from({ length: steps }, (_, k) => ({
              action: 'shell.exec',
              params: { command: `echo ${w} ${k + 1} $(date +%s%N) >> starts.log; sleep 0.1` },
            })),
          ),
          { taskQueue: deployment.env.LADDER_TASK_QUEUE, policy, actions: createActionRegistry() },
        ),
      ),
    );
    // Mid-run: every task has started a step, none can have finished.
    await waitUntil(() => {
      const started = new Set(deployment.sandboxLines('starts.log').map((l) => l.split(' ')[0]));
      return words.every((w) => started.has(w));
    }, 90_000);
    await engageKillSwitch(
      client,
      { taskQueue: deployment.env.LADDER_TASK_QUEUE, signer: deployment.adminSigner },
      { cap: 0, by: ADMIN, reason: 'race' },
    );
    const acknowledgedNs = BigInt(Date.now()) * 1_000_000n;
    const statuses = await Promise.all(
      submitted.map(({ handle }) =>
        waitForStatus(handle, (s) => s.phase === 'awaiting-human' || s.phase === 'done', 90_000),
      ),
    );
    expect(statuses.filter((s) => s.phase === 'awaiting-human').length).toBeGreaterThan(0);
    const late = deployment
      .sandboxLines('starts.log')
      .filter((l) => BigInt(l.split(' ')[2]) >= acknowledgedNs);
    const lateMs = late.map((l) => Number((BigInt(l.split(' ')[2]) - acknowledgedNs) / 1_000_000n));
    process.stderr.write(
      `[kill-switch race] ${deployment.sandboxLines('starts.log').length} step starts, ${late.length} after the ack (${lateMs.join(', ')} ms)\n`,
    );
    expect(late).toEqual([]);
    // Both workers were running the tasks' steps.
    const pids = new Set<number>();
    for (const { handle } of submitted) for (const pid of await activityWorkerPids(handle)) pids.add(pid);
    expect([...pids].sort()).toEqual(workers.map((w) => w.child.pid!).sort());
    await releaseKillSwitch(
      client,
      { taskQueue: deployment.env.LADDER_TASK_QUEUE, signer: deployment.adminSigner },
      { by: ADMIN },
    );
    await Promise.all(submitted.map(({ handle }) => handle.cancel().catch(() => undefined)));
  });
});
