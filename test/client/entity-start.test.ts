import { ENTITY_PRIORITY, entityTaskQueue } from '../../client/entity-start';
import { ledgerWorkflowId } from '../../workflows/messages';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

/**
 * Entity workflows (the ledgers every task signals) run on a task queue of their own, served by
 * a worker of their own in each worker process, and at a higher task priority than the task
 * workflows, so a backlog of tasks neither queues them nor takes their slots.
 */
describe('entity workflows start on their own queue, ahead of tasks', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('entity-start', { policy: workflowTestPolicy(), ledger: true });
  });
  afterAll(async () => stack?.stop());

  it('starts the trust and quota ledgers on the entity queue at the entity priority, and the task on its queue at the default', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a3', 'quota', [appendStep('entity')]));
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3 });

    // Evidence reaches the ledger after the task ends (batched by the worker), and visibility
    // lags the server a little: wait until the list shows all three.
    const started = new Map<string, number | undefined>();
    const queueOf = new Map<string, string>();
    const key = (type: string, id: string) => `${type}:${id}`;
    await waitUntil(async () => {
      for await (const execution of stack.client.workflow.list({
        query: `TaskQueue IN ("${stack.taskQueue}", "${entityTaskQueue(stack.taskQueue)}")`,
      })) {
        const described = await stack.client.workflow
          .getHandle(execution.workflowId, execution.runId)
          .describe();
        started.set(key(described.type, described.workflowId), described.priority?.priorityKey);
        queueOf.set(key(described.type, described.workflowId), described.taskQueue);
      }
      return (
        started.has(key('trustLedger', ledgerWorkflowId(stack.taskQueue, 'a3'))) &&
        [...started.keys()].some((k) => k.startsWith('quotaLedger:')) &&
        started.has(key('delegatedTask', workflowId))
      );
    });
    expect(started.get(key('trustLedger', ledgerWorkflowId(stack.taskQueue, 'a3')))).toBe(
      ENTITY_PRIORITY.priorityKey,
    );
    const quota = [...started.entries()].filter(([key]) => key.startsWith('quotaLedger:'));
    expect(quota).toHaveLength(1);
    expect(quota[0][1]).toBe(ENTITY_PRIORITY.priorityKey);
    // The task keeps the server's default priority (unset), below the entities'.
    expect(started.get(key('delegatedTask', workflowId))).toBeUndefined();
    // Tasks on the deployment's queue, entities on theirs.
    expect(queueOf.get(key('delegatedTask', workflowId))).toBe(stack.taskQueue);
    expect(queueOf.get(key('trustLedger', ledgerWorkflowId(stack.taskQueue, 'a3')))).toBe(
      entityTaskQueue(stack.taskQueue),
    );
    expect(queueOf.get(quota[0][0])).toBe(entityTaskQueue(stack.taskQueue));
  });
});
