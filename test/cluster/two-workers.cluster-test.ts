import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
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
import { descendantCommandLines } from './helpers/process-tree';

// Two real worker processes (dist/worker/main.js, as `npm run worker` runs it) on one task queue of
// the local cluster. Both act on the same workspace and sandbox, as two workers on one host would:
// which host a file-acting step needs is issue 14's item 2, not this file's question.

describe('two workers sharing a task queue on the cluster', () => {
  let client: Client;
  let base: string;
  let env: Record<string, string>;
  let slack: SlackWebApiEmulator;
  const workers: Spawned[] = [];
  const lines = (file: string): string[] => sandboxLines(base, file);
  const startWorker = (): Promise<Spawned> => startWorkerProcess(env, workers);
  const submitShell = async (word: string, command: string, verify?: string): Promise<WorkflowHandle> => {
    expect(word).toMatch(/^[a-z0-9-]+$/); // words go into shell commands unquoted
    const { handle } = await submitTask(
      client,
      taskRequest('a3', 'ops', [
        { action: 'shell.exec', params: { command, ...(verify ? { verify } : {}) } },
      ]),
      { taskQueue: env.LADDER_TASK_QUEUE, policy: workflowTestPolicy(), actions: createActionRegistry() },
    );
    return handle;
  };
  /** Pids of the worker processes that started any activity of the task (from its history's identities). */
  const activityWorkerPids = async (handle: WorkflowHandle): Promise<Set<number>> => {
    const history = await handle.fetchHistory();
    const pids = new Set<number>();
    for (const event of history.events ?? []) {
      const identity = event.activityTaskStartedEventAttributes?.identity;
      // Ladder's worker identity is `ladder-worker@<host>/<pid>` (worker/create-worker.ts).
      const pid = /\/(\d+)$/.exec(identity ?? '')?.[1];
      if (pid) pids.add(Number(pid));
    }
    return pids;
  };

  beforeAll(async () => {
    slack = await startSlackWebApi();
    base = makeWorkerDir('cluster-workers');
    env = workerProcessEnv({
      address: testServerAddress(),
      taskQueue: `cluster-workers-${randomUUID().slice(0, 8)}`,
      policyPath: resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
      dir: base,
      slackApiUrl: slack.apiUrl,
    });
    client = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
    await startWorker();
    await startWorker();
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await client?.connection.close();
    await slack?.close();
  });

  it('spreads tasks over both workers, each task run exactly once', async () => {
    const pids = new Set(workers.map((w) => w.child.pid!));
    const seen = new Set<number>();
    const words: string[] = [];
    // Rounds of concurrent tasks until both workers have run some: which poller gets a task is the
    // server's choice, so the number of rounds is not fixed, but it is bounded.
    for (let round = 0; round < 5 && seen.size < 2; round++) {
      const batch = Array.from({ length: 6 }, (_, i) => `spread-${round}-${i}`);
      words.push(...batch);
      const handles = await Promise.all(batch.map((w) => submitShell(w, `echo ${w} >> spread.log`)));
      for (const handle of handles) {
        expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3, executedSteps: 1 });
        for (const pid of await activityWorkerPids(handle)) seen.add(pid);
      }
    }
    expect([...seen].sort()).toEqual([...pids].sort());
    expect(lines('spread.log').sort()).toEqual([...words].sort());
  });

  it('loses nothing when one worker is killed with SIGKILL mid-step: the other finishes its tasks', async () => {
    const words = Array.from({ length: 6 }, (_, i) => `kill-${i}`);
    const handles = await Promise.all(
      words.map((w) =>
        submitShell(
          w,
          `echo ${w} >> marks.log; while [ ! -f go ]; do sleep 0.05; done; echo ${w} >> effects.log`,
          // Asked before a retry: a step killed before its effect is run again, one that got there is not.
          `grep -qx ${w} effects.log`,
        ),
      ),
    );
    await waitUntil(() => lines('marks.log').length === words.length, 90_000);
    // Every step now waits for `go` inside one worker or the other: find who holds which.
    const holding = workers.map((w) => ({
      worker: w,
      words: words.filter((word) =>
        descendantCommandLines(w.child.pid!).some((line) => line.includes(`echo ${word} >> marks.log`)),
      ),
    }));
    expect(holding.reduce((n, h) => n + h.words.length, 0)).toBe(words.length);
    const victim = holding.reduce((a, b) => (b.words.length > a.words.length ? b : a));
    expect(victim.words.length).toBeGreaterThan(0);

    victim.worker.child.kill('SIGKILL');
    expect(await victim.worker.exited).toBe(-1);
    await waitUntil(() => !isAlive(victim.worker.child.pid!));
    // Its sandboxed steps die a moment after it, when their sandbox notices: only then may `go`
    // appear, or a dying step could still write its effect.
    await waitUntil(() => victim.words.every((word) => !anyProcessRunning(`echo ${word} >> marks.log`)));
    writeFileSync(join(base, 'sandbox', 'go'), '');

    const survivor = workers.find((w) => w !== victim.worker && w.child.exitCode === null)!;
    for (const handle of handles) {
      expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3, executedSteps: 1 });
    }
    // Each effect exactly once; the killed worker's steps started again (on the survivor), no others did.
    expect(lines('effects.log').sort()).toEqual([...words].sort());
    expect(lines('marks.log').sort()).toEqual([...words, ...victim.words].sort());
    for (const [i, handle] of handles.entries()) {
      if (victim.words.includes(words[i])) {
        expect(await activityWorkerPids(handle)).toContain(survivor.child.pid);
      }
    }
  });
});
