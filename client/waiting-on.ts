import type { Client } from '@temporalio/client';
import { isSlackUserId } from '../policy/slack-ids';
import { statusQuery, type TaskStatus } from '../workflows/messages';

/** One task that waits on a person, as their App Home shows it. */
export interface WaitingTask {
  workflowId: string;
  /** The task's one-line summary (agent · class · environment: title), fixed at start. */
  summary: string;
  /** What it will do (who asked, every step), fixed at start. */
  details: string;
  status: TaskStatus;
}

/**
 * The running tasks of the deployment on `taskQueue` that wait on `user` now (the `WaitingOn`
 * search attribute), newest first, at most `limit` read in full; `total` counts them all.
 *
 * @throws Error when `user` is not a Slack user id (it goes into a visibility query).
 */
export async function tasksWaitingOn(
  client: Client,
  options: { taskQueue: string; user: string; limit: number },
): Promise<{ tasks: WaitingTask[]; total: number }> {
  if (!isSlackUserId(options.user)) throw new Error(`not a Slack user id: ${JSON.stringify(options.user)}`);
  const query = `WaitingOn = "${options.user}" AND ExecutionStatus = "Running" AND TaskQueue = ${JSON.stringify(options.taskQueue)}`;
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: options.limit })) {
    ids.push(execution.workflowId);
    if (ids.length >= options.limit) break;
  }
  const { count } = await client.workflow.count(query);
  const tasks: WaitingTask[] = [];
  for (const workflowId of ids) {
    const handle = client.workflow.getHandle(workflowId);
    try {
      const [described, status] = await Promise.all([handle.describe(), handle.query(statusQuery)]);
      // Visibility lags a little: a task answered a moment ago no longer waits.
      if (status.phase === 'done' || status.waitingOn === null) continue;
      tasks.push({
        workflowId,
        summary: (await described.staticSummary()) ?? workflowId,
        details: (await described.staticDetails()) ?? '',
        status,
      });
    } catch {
      // Closed or unreadable since it was listed: it no longer waits on anyone here.
    }
  }
  return { tasks, total: Math.max(count, tasks.length) };
}
