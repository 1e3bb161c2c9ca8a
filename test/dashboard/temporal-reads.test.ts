import { join } from 'node:path';
import { readTask, readTurnDurations, readWaitingTasks } from '../../dashboard/data/temporal-reads';
import { loadPolicyFile } from '../../policy/loader';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

const policy = loadPolicyFile(join(__dirname, 'dashboard-policy.yaml')).policy;

// The dashboard's reads of Temporal on the real dev server: running tasks that wait on people (with
// the question's posting time from history), turn durations from visibility, and a missing task.
describe("the dashboard's Temporal reads", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('dashboard-reads', { policy });
  });
  afterAll(async () => stack?.stop());

  it('lists a task waiting for approval with its question, and leaves finished ones out', async () => {
    const before = Date.now();
    const waiting = (await submit(stack, taskRequest('waiter', 'ops', [appendStep('w')]))).handle;
    await waitForStatus(waiting, (s) => s.waitingOn !== null);
    const done = (await submit(stack, taskRequest('steady', 'ops', [appendStep('s')]))).handle;
    await done.result();
    let read: Awaited<ReturnType<typeof readWaitingTasks>> | undefined;
    // Visibility catches up with the start a moment later.
    await waitUntil(async () => {
      read = await readWaitingTasks(stack.client, stack.taskQueue, 50);
      return read.tasks.some((t) => t.workflowId === waiting.workflowId);
    }, 30_000);
    const task = read!.tasks.find((t) => t.workflowId === waiting.workflowId)!;
    expect(task.status.phase).toBe('awaiting-human');
    expect(task.title).toBe('waiter ops test task');
    expect(task.postedAtMs).toBeGreaterThanOrEqual(before - 1000);
    expect(task.postedAtMs).toBeLessThanOrEqual(Date.now());
    expect(read!.tasks.some((t) => t.workflowId === done.workflowId)).toBe(false);
    expect(read!.notShown).toBe(0);

    await waitUntil(async () => {
      const closed = await readTurnDurations(
        stack.client,
        stack.taskQueue,
        'steady',
        'ops',
        before - 60_000,
        10,
      );
      return closed.length === 1 && closed[0].seconds > 0 && closed[0].seconds < 120;
    }, 30_000);
  });

  it('reads no task for an unknown id', async () => {
    await expect(readTask(stack.client, 'task/nobody/nothing')).resolves.toBeNull();
  });

  it('refuses names that would change a visibility query', async () => {
    await expect(
      readTurnDurations(stack.client, stack.taskQueue, "x' OR WorkflowType != '", 'ops', 0, 10),
    ).rejects.toThrow(/agent: expected letters, digits/);
  });
});
