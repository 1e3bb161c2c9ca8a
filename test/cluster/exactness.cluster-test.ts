import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
import { descendantCommandLines } from './helpers/process-tree';
import {
  activityWorkerPids,
  ADMIN,
  killAll,
  newDeployment,
  startWorkerProcess,
  type Deployment,
} from './helpers/scale-out';

// Issue 14 item 2, "exact across workers": the quota and the kill switch hold when two real worker
// processes share the task queue, each with its own reservation batches and re-checks.
describe('quota and kill switch exact across two workers on the cluster', () => {
  let deployment: Deployment;
  let policy: LoadedPolicy;
  let client: Client;
  let slack: SlackWebApiEmulator;
  let workers: Spawned[];

  const submit = async (agent: string, taskClass: string, steps: string[]) => {
    for (const command of steps) expect(command).not.toMatch(/'/); // steps are plain shell lines
    return submitTask(
      client,
      taskRequest(
        agent,
        taskClass,
        steps.map((command) => ({ action: 'shell.exec', params: { command } })),
      ),
      { taskQueue: deployment.env.LADDER_TASK_QUEUE, policy, actions: createActionRegistry() },
    );
  };

  beforeAll(async () => {
    slack = await startSlackWebApi(0, false);
    deployment = newDeployment('exactness', Number(new URL(slack.apiUrl).port));
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

  it('runs exactly M of M+K tasks submitted at once autonomously; the rest ask a person', async () => {
    const quota = policy.taskClasses.quota.bounds!.perDay!.count!;
    expect(quota).toBe(3);
    const words = Array.from({ length: quota + 9 }, (_, i) => `quota-${i}`);
    const submitted = await Promise.all(words.map((w) => submit('a3', 'quota', [`echo ${w} >> quota.log`])));
    const settled = await Promise.all(
      submitted.map(({ handle }) =>
        waitForStatus(handle, (s) => s.phase === 'awaiting-human' || s.phase === 'done', 120_000),
      ),
    );
    const ran = submitted.filter((_, i) => settled[i].phase === 'done');
    const asking = submitted.filter((_, i) => settled[i].phase === 'awaiting-human');
    expect(ran).toHaveLength(quota);
    expect(asking).toHaveLength(words.length - quota);
    for (const { handle } of ran) {
      expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3, executedSteps: 1 });
    }
    for (const i of submitted.keys()) {
      if (settled[i].phase !== 'awaiting-human') continue;
      // Asking at a lower rung, because of the quota, and nothing ran.
      expect(settled[i].rung).toBeLessThan(3);
      // Either the decision already counted the quota used up (a bounds violation), or the ledger
      // refused the reservation after the decision (a fallback): both before any step.
      const refusedAtDecision = (settled[i].decision?.bounds?.violations ?? []).some(
        (v) => v.bound === 'perDay.count',
      );
      const refusedByLedger = settled[i].events.includes(
        `fell back to confirmation: daily quota: ${quota} of ${quota} autonomous tasks already used`,
      );
      expect({ workflowId: submitted[i].workflowId, refusedAtDecision, refusedByLedger }).toEqual({
        workflowId: submitted[i].workflowId,
        refusedAtDecision: !refusedByLedger,
        refusedByLedger: !refusedAtDecision,
      });
    }
    expect(deployment.sandboxLines('quota.log')).toHaveLength(quota);
    // Both workers took part: reservations came from both processes' batches.
    const pids = new Set<number>();
    for (const { handle } of submitted) for (const pid of await activityWorkerPids(handle)) pids.add(pid);
    expect([...pids].sort()).toEqual(workers.map((w) => w.child.pid!).sort());
    await Promise.all(asking.map(({ handle }) => handle.cancel()));
  });

  it('starts no autonomous step on either worker once the kill switch is acknowledged', async () => {
    const words = Array.from({ length: 8 }, (_, i) => `ks-${i}`);
    // Three steps each: the first marks itself and holds until `go`, the next two only log their start.
    const stamp = (word: string, step: number) => `echo ${word} ${step} $(date +%s%N) >> starts.log`;
    const submitted = await Promise.all(
      words.map((w) =>
        submit('a3', 'auto', [
          `${stamp(w, 1)}; echo ${w} >> held.log; while [ ! -f go ]; do sleep 0.05; done`,
          stamp(w, 2),
          stamp(w, 3),
        ]),
      ),
    );
    await waitUntil(() => deployment.sandboxLines('held.log').length === words.length, 90_000);
    // Every task is in flight inside its first step, on one worker or the other, and both hold some.
    const held = workers.map(
      (w) =>
        words.filter((word) =>
          descendantCommandLines(w.child.pid!).some((line) => line.includes(`echo ${word} >> held.log`)),
        ).length,
    );
    expect(held.reduce((a, b) => a + b, 0)).toBe(words.length);
    expect(held.every((n) => n > 0)).toBe(true);

    await engageKillSwitch(
      client,
      { taskQueue: deployment.env.LADDER_TASK_QUEUE, signer: deployment.adminSigner },
      { cap: 0, by: ADMIN, reason: 'cluster exactness' },
    );
    const acknowledgedNs = BigInt(Date.now()) * 1_000_000n;
    writeFileSync(join(deployment.base, 'sandbox', 'go'), '');

    // A task submitted after the acknowledgement does not start a step either.
    const late = await submit('a3', 'auto', [stamp('ks-late', 1)]);
    const statuses = await Promise.all(
      [...submitted, late].map(({ handle }) =>
        waitForStatus(handle, (s) => s.phase === 'awaiting-human', 90_000),
      ),
    );
    for (const status of statuses.slice(0, words.length)) {
      expect(status.events.join('\n')).toMatch(
        /fell back to confirmation before step 2: .*kill switch engaged at run time caps agent "a3" at rung 0/,
      );
    }
    expect(statuses[words.length].rung).toBe(0);

    const starts = deployment.sandboxLines('starts.log').map((line) => {
      const [word, step, ns] = line.split(' ');
      return { word, step: Number(step), ns: BigInt(ns) };
    });
    // Only first steps ever started, each once, all before the switch was acknowledged.
    expect(starts.map((s) => `${s.word} ${s.step}`).sort()).toEqual(words.map((w) => `${w} 1`).sort());
    for (const s of starts) expect(s.ns < acknowledgedNs).toBe(true);

    await releaseKillSwitch(
      client,
      { taskQueue: deployment.env.LADDER_TASK_QUEUE, signer: deployment.adminSigner },
      { by: ADMIN },
    );
    await Promise.all([...submitted, late].map(({ handle }) => handle.cancel()));
  });
});
