import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { hostTaskQueue } from '../../activities/actions/host-queue';
import { createActionRegistry } from '../../activities/actions/registry';
import { RecordingNotifier } from '../../activities/notify/recording';
import { RecordingOutcomes } from '../../activities/outcomes';
import { submitTask } from '../../client/submit-task';
import { createLadderWorkers, type LadderWorkerOptions } from '../../worker/create-worker';
import { approveUpdate } from '../../workflows/messages';
import { answerAs } from '../helpers/answers';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { quietSdkLogs, testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { TEST_ENV } from '../setup/shared-state';

const { EventType } = temporal.api.enums.v1;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The wait after an approval for the outcome edit before the message says "approved" (rung-2-confirm.ts). */
const GRACE_SECONDS = 1;
/** Attempts at getting the grace timer past a stopped worker (each a new task). */
const ATTEMPTS = 4;

// A rung-2 task whose step ends while no worker has the workflow, after the second the workflow
// gives the outcome edit to come first: the step's result and the grace timer then reach it in
// one activation. The message must end in the outcome, not in "Approved …; executing." sent after
// it (what CI's chaos run once found after a dev-server restart). The step runs on a host queue of
// its own so that the worker that has the workflow can stop while the step waits to run.
describe('the "approved" edit never lands after the outcome edit', () => {
  const taskQueue = `test-grace-race-${randomUUID().slice(0, 8)}`;
  const policy = workflowTestPolicy();
  const notifier = new RecordingNotifier();
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;
  const running: { worker: Worker; run: Promise<void> }[] = [];

  /** The gate host's queue: where the deciding worker pins the task's shell step. */
  const gateQueue = hostTaskQueue(taskQueue, 'gate');
  /**
   * A Ladder worker's workers on the queue. `pinsTo` makes a worker without a host of its own
   * decide as the gate host's worker does (its host worker is the first one's, started later).
   */
  const workers = async (extra: Pick<LadderWorkerOptions, 'host' | 'entities'> & { pinsTo?: string }) => {
    const base = mkdtempSync(join(tmpdir(), 'ladder-grace-race-'));
    const dirs = {
      workspaceRoot: join(base, 'workspace'),
      sandboxDir: join(base, 'sandbox'),
      stateDir: join(base, 'state'),
    };
    Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
    return createLadderWorkers({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflows: { bundlePath: process.env[TEST_ENV.bundlePath]! },
      activityDeps: {
        policy: () => policy,
        registry: createActionRegistry(),
        client,
        taskQueue,
        ...dirs,
        notifier,
        outcomes: new RecordingOutcomes(),
        ...(extra.pinsTo !== undefined ? { hostQueue: extra.pinsTo } : {}),
      },
      workerOptions: { shutdownGraceTime: '2 seconds' },
      ...(extra.host !== undefined ? { host: extra.host } : {}),
      ...(extra.entities !== undefined ? { entities: extra.entities } : {}),
    });
  };
  const start = (worker: Worker): { worker: Worker; run: Promise<void> } => {
    const r = { worker, run: worker.run() };
    running.push(r);
    return r;
  };
  const stop = async (r: { worker: Worker; run: Promise<void> }): Promise<void> => {
    if (r.worker.getState() === 'RUNNING') r.worker.shutdown();
    await r.run;
  };
  const events = async (handle: WorkflowHandle): Promise<HistoryEvent[]> =>
    (await handle.fetchHistory()).events ?? [];
  const isGraceTimer = (e: HistoryEvent): boolean =>
    e.eventType === EventType.EVENT_TYPE_TIMER_STARTED &&
    Number(e.timerStartedEventAttributes?.startToFireTimeout?.seconds ?? 0) === GRACE_SECONDS;

  beforeAll(async () => {
    quietSdkLogs();
    nativeConnection = await NativeConnection.connect({ address: testServerAddress() });
    connection = await Connection.connect({ address: testServerAddress() });
    client = new Client({ connection, namespace: 'default' });
  });
  afterAll(async () => {
    await Promise.all(running.map(stop));
    await connection?.close();
    await nativeConnection?.close();
  });

  it('a step that ends while no worker has the workflow, past the grace, leaves the outcome as the last edit', async () => {
    // The worker that decides pins the task's shell step to `<queue>@gate`, whose worker runs later.
    const first = await workers({ host: 'gate' });
    start(first.entityWorker!);
    let handle: WorkflowHandle | undefined;
    let workflowId = '';
    for (let attempt = 1; attempt <= ATTEMPTS && !handle; attempt++) {
      const deciding =
        attempt === 1
          ? start(first.worker)
          : start((await workers({ entities: false, pinsTo: gateQueue })).worker);
      const submission = await submitTask(
        client,
        taskRequest('a2', 'ops', [appendStep(`grace-race-${attempt}`)]),
        { taskQueue, policy, actions: createActionRegistry() },
      );
      await waitForStatus(submission.handle, (s) => s.phase === 'awaiting-human');
      const [message] = notifier.forWorkflow(submission.workflowId);
      await answerAs(submission.handle, approveUpdate, {
        approver: 'U0APPR002',
        stepsHash: message.notification.fields!.stepsHash,
      });
      // Stopped within the grace: the timer then fires with no worker to hear it.
      await stop(deciding);
      const history = await events(submission.handle);
      const timer = history.find(isGraceTimer);
      if (!timer) throw new Error(`attempt ${attempt}: no ${GRACE_SECONDS} s grace timer after the approval`);
      const fired = (h: HistoryEvent[]) =>
        h.findIndex(
          (e) =>
            e.eventType === EventType.EVENT_TYPE_TIMER_FIRED &&
            e.timerFiredEventAttributes?.timerId === timer.timerStartedEventAttributes?.timerId,
        );
      await waitUntil(async () => fired(await events(submission.handle)) >= 0);
      const after = await events(submission.handle);
      // The worker heard the timer before it stopped (a slow machine): try again with a new task.
      if (after.slice(fired(after)).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED))
        continue;
      // The step is pinned to the gate's queue, where no worker polls yet.
      const scheduled = after.filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED);
      expect(scheduled.at(-1)?.activityTaskScheduledEventAttributes?.taskQueue?.name).toBe(gateQueue);
      handle = submission.handle;
      workflowId = submission.workflowId;
    }
    if (!handle)
      throw new Error(`the worker heard the grace timer before it stopped in all ${ATTEMPTS} attempts`);

    // The step runs and ends while still no worker has the workflow.
    start(first.hostWorker!);
    await waitUntil(async () =>
      (await events(handle)).some((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
    );
    const pending = await events(handle);
    const firedAt = pending.findIndex((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED);
    expect(pending.slice(firedAt).map((e) => e.eventType)).not.toContain(
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    );

    // A worker takes the workflow: the timer and the step's end arrive in one activation.
    start((await workers({ entities: false })).worker);
    expect(await handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    const [message] = notifier.forWorkflow(workflowId);
    expect(message.updates.map((u) => u.text.split(':')[0])).toEqual(['Executed']);
    maybeRecordHistory(handle, 'delegatedTask', 'rung2-approved-edit-race');
  });
});
