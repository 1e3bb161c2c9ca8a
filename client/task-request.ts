import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { TaskRequest } from '../policy/task';
import { taskRequestQuery } from '../workflows/messages';

/** A task's request as it was submitted, or why it could not be read. */
export type TaskRequestRead = { task: TaskRequest } | { missing: true } | { missing: false; error: string };

/**
 * Reads the request of the task `workflowId` (its `taskRequestQuery`). Never throws: a task that
 * does not exist is `missing`; any other failure (no worker answering, a timeout) is its `error`.
 */
export async function readTaskRequest(client: Client, workflowId: string): Promise<TaskRequestRead> {
  try {
    return { task: await client.workflow.getHandle(workflowId).query(taskRequestQuery) };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { missing: true };
    return { missing: false, error: (err as Error).message };
  }
}
