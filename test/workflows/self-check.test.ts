import { temporal } from '@temporalio/proto';
import { selfCheck } from '../../workflows/self-check';
import { LADDER_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { maybeRecordHistory } from '../helpers/histories';
import { startTestStack, type TestStack } from '../helpers/temporal';

describe('selfCheck workflow on the real dev server', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('self-check', { activityDeps: { identity: 'test-worker-identity' } });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs a real activity on the worker polling its task queue', async () => {
    const workflowId = `self-check/test-${Date.now()}`;
    const handle = await stack.client.workflow.start(selfCheck, { taskQueue: stack.taskQueue, workflowId });
    const result = await handle.result();

    expect(result.workflowId).toBe(workflowId);
    expect(result.taskQueue).toBe(stack.taskQueue);
    expect(result.worker).toMatchObject({
      identity: 'test-worker-identity',
      taskQueue: stack.taskQueue,
      pid: process.pid,
      attempt: 1,
    });

    const history = await handle.fetchHistory();
    const scheduled = history.events?.filter((e) => e.activityTaskScheduledEventAttributes) ?? [];
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)).toEqual([
      'describeWorker',
    ]);
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    maybeRecordHistory(handle, 'selfCheck', 'completed');
  });

  it('has Ladder search attributes registered on the server', async () => {
    const response = await stack.client.connection.operatorService.listSearchAttributes({
      namespace: 'default',
    });
    const custom = response.customAttributes ?? {};
    const { INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_INT, INDEXED_VALUE_TYPE_KEYWORD_LIST } =
      temporal.api.enums.v1.IndexedValueType;
    expect(LADDER_SEARCH_ATTRIBUTES.map((key) => [key.name, custom[key.name]])).toEqual([
      ['AgentId', INDEXED_VALUE_TYPE_KEYWORD],
      ['TaskClass', INDEXED_VALUE_TYPE_KEYWORD],
      ['Rung', INDEXED_VALUE_TYPE_INT],
      ['Outcome', INDEXED_VALUE_TYPE_KEYWORD],
      ['ApprovedBy', INDEXED_VALUE_TYPE_KEYWORD],
      ['WaitingOn', INDEXED_VALUE_TYPE_KEYWORD_LIST],
    ]);
  });
});
