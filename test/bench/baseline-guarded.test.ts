import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection } from '@temporalio/worker';
import { RecordingNotifier } from '../../activities/notify/recording';
import { createBaselineWorker } from '../../bench/baseline/create-baseline-worker';
import { baselineGuardedTask, baselineTask } from '../../bench/baseline/workflows';
import { countHistory } from '../../bench/tasks/history-counts';
import { baselineInput } from '../../bench/tasks/requests';
import { loadPolicyFile } from '../../policy/loader';
import { OutcomeKey, RungKey } from '../../workflows/search-attributes';
import { quietSdkLogs, testServerAddress } from '../helpers/temporal';

// The guarded bare workflow bench:floor measures must really carry the guards it is named for,
// on the real dev server: one local-activity decision, the rung and the outcome as search
// attributes, and the step after them, with the same structure as Ladder's rung-3 task.
describe('bench:floor guarded bare workflow on the real dev server', () => {
  const taskQueue = `test-floor-${randomUUID().slice(0, 8)}`;
  let client: Client;
  let connection: Connection;
  let native: NativeConnection;
  let stop: () => Promise<void>;
  let workspaceRoot: string;

  beforeAll(async () => {
    quietSdkLogs();
    const address = testServerAddress();
    native = await NativeConnection.connect({ address });
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: 'default' });
    const base = mkdtempSync(join(tmpdir(), 'ladder-floor-'));
    const dirs = {
      workspaceRoot: join(base, 'workspace'),
      sandboxDir: join(base, 'sandbox'),
      stateDir: join(base, 'state'),
    };
    Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
    workspaceRoot = dirs.workspaceRoot;
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../bench/baseline/workflows'),
      logger: new DefaultLogger('WARN'),
    });
    const worker = await createBaselineWorker({
      connection: native,
      client,
      taskQueue,
      workflows: { bundleCode: code },
      notifier: new RecordingNotifier(),
      dirs,
      policy: loadPolicyFile(join(__dirname, '..', '..', 'examples', 'policy.yaml')).policy,
      shutdownGraceTime: '2 seconds',
    });
    const running = worker.run();
    stop = async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    };
  }, 120_000);

  afterAll(async () => {
    await stop?.();
    await connection?.close();
    await native?.close();
  });

  it('decides in one local activity, sets the rung and the outcome, then runs the step', async () => {
    // One workflow that exists (a finished bare task) and one that does not (a kill switch never engaged).
    const existing = `floor-read-${randomUUID().slice(0, 8)}`;
    await client.workflow.execute(baselineTask, {
      workflowId: existing,
      taskQueue,
      args: [baselineInput(existing, 'read-target.txt', 'v-test')],
    });
    const workflowId = `floor-guarded-${randomUUID().slice(0, 8)}`;
    const ref = await client.workflow.execute(baselineGuardedTask, {
      workflowId,
      taskQueue,
      args: [
        {
          ...baselineInput(workflowId, 'guarded.txt', 'v-test'),
          guards: {
            decisionReads: [existing, `never-started-${randomUUID().slice(0, 8)}`],
            recheckWorkflowId: existing,
            decisionBytes: 3_500,
            searchAttributes: true,
          },
        },
      ],
    });
    expect(typeof ref).toBe('string');
    const handle = client.workflow.getHandle(workflowId);
    const counts = countHistory((await handle.fetchHistory()).events ?? []);
    expect(counts).toMatchObject({ workflowTasks: 3, activities: 2, localActivities: 1 });
    expect(counts.eventTypes.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES).toBe(2);
    expect(counts.activityTypes).toEqual({ baselineExecute: 1, baselinePost: 1 });
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(RungKey)).toBe(3);
    expect(described.typedSearchAttributes.get(OutcomeKey)).toBe('executed');
    expect(readFileSync(join(workspaceRoot, 'guarded.txt'), 'utf8')).toContain('guarded.txt');
  });

  it('leaves out the search attributes and the re-read when told to, keeping the decision', async () => {
    const workflowId = `floor-decision-${randomUUID().slice(0, 8)}`;
    await client.workflow.execute(baselineGuardedTask, {
      workflowId,
      taskQueue,
      args: [
        {
          ...baselineInput(workflowId, 'decision-only.txt', 'v-test'),
          guards: { decisionReads: [], decisionBytes: 3_500, searchAttributes: false },
        },
      ],
    });
    const handle = client.workflow.getHandle(workflowId);
    const counts = countHistory((await handle.fetchHistory()).events ?? []);
    expect(counts).toMatchObject({ workflowTasks: 3, activities: 2, localActivities: 1 });
    expect(counts.eventTypes.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES).toBeUndefined();
    expect((await handle.describe()).typedSearchAttributes.get(RungKey)).toBeUndefined();
  });
});
