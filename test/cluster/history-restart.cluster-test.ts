import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tsToMs } from '@temporalio/common/lib/time';
import { resolveOutcomeUpdate, statusQuery, type OutcomeQuestion } from '../../workflows/messages';
import { answerAs } from '../helpers/answers';
import { isAlive } from '../helpers/processes';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';
import { shellsRunning } from './helpers/process-tree';

// The history service (owner of every workflow's state) killed with SIGKILL while a task's step is
// running, then brought back with the same command a person uses: the task finishes, its effect once.
const ROOT = resolve(__dirname, '..', '..');
const CLUSTER_DIR = process.env.LADDER_CLUSTER_DIR ?? join(ROOT, '.temporal', 'cluster');
const MARKER = `history-restart-${process.pid}`;

describe('a history service restart during a run', () => {
  let stack: TestStack;
  const lines = (file: string): string[] => {
    const path = join(stack.dirs.sandboxDir, file);
    return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
  };

  beforeAll(async () => {
    stack = await startTestStack('cluster-history', { policy: workflowTestPolicy() });
  });
  afterAll(async () => {
    await stack?.stop();
    // Whatever happened above, leave the cluster whole for the next test file.
    spawnSync('bash', [join(ROOT, 'scripts', 'cluster.sh'), 'up'], { stdio: 'ignore' });
  });

  it('loses nothing: the task completes, asking a person first if the outage outlasted the heartbeat timeout, and its effect lands once', async () => {
    const { handle } = await submit(
      stack,
      taskRequest('a3', 'ops', [
        {
          action: 'shell.exec',
          params: {
            command: `echo started >> marks.log; while [ ! -f go ]; do sleep 0.05; done; echo done >> effects.log # ${MARKER}`,
            verify: 'grep -qx done effects.log',
          },
        },
      ]),
    );
    await waitUntil(() => lines('marks.log').length === 1);

    const historyPid = Number(readFileSync(join(CLUSTER_DIR, 'run', 'history.pid'), 'utf8'));
    expect(isAlive(historyPid)).toBe(true);
    process.kill(historyPid, 'SIGKILL');
    await waitUntil(() => !isAlive(historyPid));
    const status = spawnSync('bash', [join(ROOT, 'scripts', 'cluster.sh'), 'status'], { encoding: 'utf8' });
    expect(status.stdout).toMatch(/^history\s+-\s+\d+\s+stopped$/m);

    const restartedAt = Date.now();
    const up = spawnSync('bash', [join(ROOT, 'scripts', 'cluster.sh'), 'up'], { encoding: 'utf8' });
    expect(up.status).toBe(0);
    expect(up.stderr).toMatch(/history starting/);
    const restartedPid = Number(readFileSync(join(CLUSTER_DIR, 'run', 'history.pid'), 'utf8'));
    expect(restartedPid).not.toBe(historyPid);

    // Two outcomes are right, depending on whether the outage outlasted the step's heartbeat timeout
    // (5 s; the restart takes 3-10 s on a loaded machine):
    // - shorter: the step's heartbeats reach the new history service and it goes on by itself;
    // - longer: the attempt timed out and the retry cannot tell whether the step happened while the
    //   old attempt may still run, so the task stops as "outcome unknown" and asks a person. Nothing
    //   is lost either way: here the owner answers "run again" once the old attempt is gone.
    let seen = '';
    let question: OutcomeQuestion | null | undefined;
    await waitUntil(async () => {
      const pending = (await handle.describe()).raw.pendingActivities ?? [];
      const beat = pending[0]?.lastHeartbeatTime;
      const shells = shellsRunning(MARKER);
      question = (await handle.query(statusQuery)).outcomeUnknown;
      seen = JSON.stringify({
        pending: pending.map((p) => ({ attempt: p.attempt, state: p.state })),
        heartbeatAfterRestartMs: beat ? tsToMs(beat) - restartedAt : null,
        shells,
        question: question?.id ?? null,
      });
      const goingOn = pending.length === 1 && !!beat && tsToMs(beat) > restartedAt && shells === 1;
      const asking = !!question && shells === 0;
      return goingOn || asking;
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}; last seen ${seen}`);
    });
    writeFileSync(join(stack.dirs.sandboxDir, 'go'), '');
    if (question) {
      expect(question).toMatchObject({ step: 0, stage: 'execute', action: 'shell.exec' });
      expect(lines('effects.log')).toEqual([]);
      await answerAs(handle, resolveOutcomeUpdate, {
        by: 'U0OWNER01',
        question: question.id,
        answer: 'run-again',
      });
    }
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3, executedSteps: 1 });
    expect(lines('effects.log')).toEqual(['done']);
  });
});
