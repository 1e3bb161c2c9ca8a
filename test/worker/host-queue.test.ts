import { randomUUID } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask } from '../../client/submit-task';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import { anyProcessRunning, isAlive, type Spawned } from '../helpers/processes';
import { taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import {
  makeWorkerDir,
  sandboxLines,
  startWorkerProcess,
  workerProcessEnv,
} from '../helpers/worker-processes';

// Two real worker processes (dist/worker/main.js) on one task queue, each standing for its own
// host: its own workspace, sandbox and state folders, and LADDER_WORKER_HOST. A task's host-bound
// steps must run, retry and be undone on the host that decided it, and wait for it when it is gone.
const HOST_BOUND = new Set([
  'executeStep',
  'verifyStep',
  'compensateStep',
  'compensateInterruptedStep',
  'draftStep',
]);
const { EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, EVENT_TYPE_ACTIVITY_TASK_STARTED } =
  temporal.api.enums.v1.EventType;

interface Host {
  name: string;
  dir: string;
  worker: Spawned;
}

describe('host-bound steps on a task queue per host', () => {
  let client: Client;
  let slack: SlackWebApiEmulator;
  let taskQueue: string;
  const hosts: Host[] = [];
  const spawned: Spawned[] = [];

  const startWorker = async (name: string, dir: string): Promise<Spawned> => {
    const env = workerProcessEnv({
      address: testServerAddress(),
      taskQueue,
      policyPath: resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
      dir,
      slackApiUrl: slack.apiUrl,
      extra: { LADDER_WORKER_HOST: name, LADDER_WORKER_METRICS_PORT: 'off' },
    });
    const worker = await startWorkerProcess(env, spawned);
    expect(worker.stdout()).toContain(`"hostQueue":"${taskQueue}@${name}"`);
    return worker;
  };
  const submit = async (
    agent: string,
    taskClass: string,
    steps: Parameters<typeof taskRequest>[2],
  ): Promise<WorkflowHandle> =>
    (
      await submitTask(client, taskRequest(agent, taskClass, steps), {
        taskQueue,
        policy: workflowTestPolicy(),
        actions: createActionRegistry(),
      })
    ).handle;

  /**
   * Each activity of the task: its type, the queue it was scheduled on, the pid that ran it and on
   * which attempt (history keeps only the last attempt's start).
   */
  const activitiesOf = async (handle: WorkflowHandle) => {
    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = new Map<number, { type: string; queue: string }>();
    const ran: { type: string; queue: string; pid: number; attempt: number }[] = [];
    const pidOf = (identity: string | null | undefined): number =>
      Number(/\/(\d+)$/.exec(identity ?? '')?.[1]);
    // A local activity (the decision) runs in the worker whose workflow task records its marker.
    let workflowTaskPid = NaN;
    for (const e of events) {
      if (e.workflowTaskCompletedEventAttributes)
        workflowTaskPid = pidOf(e.workflowTaskCompletedEventAttributes.identity);
      const marker = e.markerRecordedEventAttributes?.details?.data?.payloads?.[0]?.data;
      if (marker) {
        const local = JSON.parse(Buffer.from(marker).toString('utf8')) as { activity_type?: string };
        if (local.activity_type)
          ran.push({ type: local.activity_type, queue: taskQueue, pid: workflowTaskPid, attempt: 1 });
      }
      if (e.eventType === EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) {
        const a = e.activityTaskScheduledEventAttributes!;
        scheduled.set(Number(e.eventId), { type: a.activityType!.name!, queue: a.taskQueue!.name! });
      }
      if (e.eventType === EVENT_TYPE_ACTIVITY_TASK_STARTED) {
        const a = e.activityTaskStartedEventAttributes!;
        ran.push({
          ...scheduled.get(Number(a.scheduledEventId))!,
          pid: pidOf(a.identity),
          attempt: a.attempt ?? 1,
        });
      }
    }
    return ran;
  };
  const hostOfPid = (pid: number): Host | undefined => hosts.find((h) => h.worker.child.pid === pid);

  beforeAll(async () => {
    slack = await startSlackWebApi();
    taskQueue = `host-queues-${randomUUID().slice(0, 8)}`;
    client = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
    for (const name of ['host-a', 'host-b']) {
      const dir = makeWorkerDir(name);
      hosts.push({ name, dir, worker: await startWorker(name, dir) });
    }
  });
  afterAll(async () => {
    for (const w of spawned) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await client?.connection.close();
    await slack?.close();
  });

  it('runs, checks and undoes each step on the host that decided its task, and only there', async () => {
    const seen = new Set<string>();
    // Which worker decides a task is the server's choice: rounds until both hosts have decided some.
    for (let round = 0; round < 5 && seen.size < 2; round++) {
      const words = Array.from({ length: 4 }, (_, i) => `pin-${round}-${i}`);
      // Rung 4: the file is written, its health checked, then the failing command undoes it.
      const handles = await Promise.all(
        words.map((word) =>
          submit('a4', 'fast', [
            { action: 'file.write', params: { path: `${word}.txt`, content: word } },
            {
              action: 'shell.exec',
              params: { command: `echo ${word} >> ran.log; exit 3`, undo: `echo ${word} >> undone.log` },
            },
          ]),
        ),
      );
      for (const [i, handle] of handles.entries()) {
        expect(await handle.result()).toMatchObject({ outcome: 'rolled-back', rung: 4 });
        const activities = await activitiesOf(handle);
        const decider = hostOfPid(activities.find((a) => a.type === 'decideTask')!.pid)!;
        expect(decider).toBeDefined();
        seen.add(decider.name);
        const pinned = activities.filter((a) => HOST_BOUND.has(a.type));
        expect(pinned.map((a) => a.type)).toEqual(expect.arrayContaining(['executeStep', 'compensateStep']));
        for (const a of pinned) {
          expect(a).toMatchObject({ queue: `${taskQueue}@${decider.name}`, pid: decider.worker.child.pid });
        }
        // Everything else stays on the shared queue.
        for (const a of activities.filter((x) => !HOST_BOUND.has(x.type))) expect(a.queue).toBe(taskQueue);
        const other = hosts.find((h) => h !== decider)!;
        expect(sandboxLines(decider.dir, 'ran.log')).toContain(words[i]);
        expect(sandboxLines(other.dir, 'ran.log')).not.toContain(words[i]);
        // Written on the decider and undone there: neither host keeps the file.
        for (const h of hosts) expect(existsSync(join(h.dir, 'workspace', `${words[i]}.txt`))).toBe(false);
      }
    }
    expect([...seen].sort()).toEqual(['host-a', 'host-b']);
  });

  it('keeps a killed host’s steps waiting on its queue until it is back, then finishes them there', async () => {
    const words = Array.from({ length: 4 }, (_, i) => `wait-${i}`);
    // The retry's check reads it: a missing file would make grep answer "cannot tell" (exit 2).
    for (const h of hosts) writeFileSync(join(h.dir, 'sandbox', 'effects.log'), '');
    const handles = await Promise.all(
      words.map((word) =>
        submit('a3', 'ops', [
          {
            action: 'shell.exec',
            params: {
              command: `echo ${word} >> marks.log; while [ ! -f go ]; do sleep 0.05; done; echo ${word} >> effects.log`,
              // Asked before a retry: a step killed before its effect runs again, one that got there does not.
              verify: `grep -qx ${word} effects.log`,
            },
          },
        ]),
      ),
    );
    const marked = (h: Host): string[] => sandboxLines(h.dir, 'marks.log').filter((w) => words.includes(w));
    await waitUntil(() => hosts.reduce((n, h) => n + marked(h).length, 0) === words.length, 90_000);
    const victim = hosts.reduce((a, b) => (marked(b).length > marked(a).length ? b : a));
    const survivor = hosts.find((h) => h !== victim)!;
    const victimWords = marked(victim);
    expect(victimWords.length).toBeGreaterThan(0);

    victim.worker.child.kill('SIGKILL');
    expect(await victim.worker.exited).toBe(-1);
    await waitUntil(() => !isAlive(victim.worker.child.pid!));
    // Its sandboxed steps die a moment after it; only then may `go` appear.
    await waitUntil(() => victimWords.every((word) => !anyProcessRunning(`echo ${word} >> marks.log`)));
    for (const h of hosts) writeFileSync(join(h.dir, 'sandbox', 'go'), '');

    const victimHandles = handles.filter((_, i) => victimWords.includes(words[i]));
    for (const [i, handle] of handles.entries()) {
      if (!victimWords.includes(words[i]))
        expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3 });
    }
    // The dead host's steps time out (heartbeat) and are retried on its queue, where nobody polls:
    // the survivor, which polls only its own host queue, never takes them.
    await waitUntil(async () => {
      for (const handle of victimHandles) {
        const [pending] = (await handle.describe()).raw.pendingActivities ?? [];
        if (!pending || Number(pending.attempt) < 2) return false;
        if (pending.state !== temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED)
          return false;
      }
      return true;
    }, 60_000);
    for (const handle of victimHandles) expect((await handle.describe()).status.name).toBe('RUNNING');
    expect(sandboxLines(survivor.dir, 'effects.log').filter((w) => victimWords.includes(w))).toEqual([]);

    // The host comes back (same name, same folders): its steps run again there, each effect once.
    victim.worker = await startWorker(victim.name, victim.dir);
    for (const handle of victimHandles) {
      expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3, executedSteps: 1 });
    }
    expect(sandboxLines(victim.dir, 'effects.log').sort()).toEqual([...victimWords].sort());
    expect(sandboxLines(survivor.dir, 'effects.log').sort()).toEqual(
      words.filter((w) => !victimWords.includes(w)).sort(),
    );
    for (const handle of victimHandles) {
      const steps = (await activitiesOf(handle)).filter((a) => a.type === 'executeStep');
      // The killed attempt, then at least one that timed out unpolled, then the host's own.
      expect(steps).toEqual([
        {
          type: 'executeStep',
          queue: `${taskQueue}@${victim.name}`,
          pid: victim.worker.child.pid,
          attempt: expect.any(Number),
        },
      ]);
      expect(steps[0].attempt).toBeGreaterThanOrEqual(2);
    }
  });
});
