import type { Client } from '@temporalio/client';
import { isSlackUserId } from '../policy/slack-ids';
import { stepsHashOf } from '../policy/step-edits';
import type { TaskRequest } from '../policy/task';
import { statusQuery, taskRequestQuery, type TaskStatus } from '../workflows/messages';
import { taskStaticDetails } from '../workflows/task-story';

/** One task that waits on a person, as their App Home shows it. */
export interface WaitingTask {
  workflowId: string;
  /** The task's one-line summary (agent · class · environment: title), fixed at start. */
  summary: string;
  /**
   * What it will do (who asked, every step): its steps as they are now (after any Edit…) when
   * `stepsConfirmed`, else as they were submitted.
   */
  details: string;
  status: TaskStatus;
  /**
   * Whether `details` lists the steps `status.stepsHash` names, the ones an Approve binds to; false
   * when the task's request could not be read or its steps hash to something else (then the Home
   * offers no Approve and sends the person to the request message).
   */
  stepsConfirmed: boolean;
}

/**
 * A task's request as it is now, when its steps are the ones `stepsHash` names; undefined when it
 * cannot be read or they are not (an edit landed between the reads).
 */
async function currentRequest(
  handle: ReturnType<Client['workflow']['getHandle']>,
  stepsHash: string,
): Promise<TaskRequest | undefined> {
  try {
    const task = await handle.query(taskRequestQuery);
    return stepsHashOf(task.steps) === stepsHash ? task : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The running tasks of the deployment on `taskQueue` that wait on `user` now (the `WaitingOn`
 * search attribute), newest first, at most `limit` read in full; `total` counts them all. Each
 * task's steps are read as they are now (its request query), so the Home shows what an Approve
 * would approve.
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
      // The static details list the steps as submitted; an Edit… changes them (and the hash).
      const current = await currentRequest(handle, status.stepsHash);
      tasks.push({
        workflowId,
        summary: (await described.staticSummary()) ?? workflowId,
        details: current ? taskStaticDetails(current) : ((await described.staticDetails()) ?? ''),
        status,
        stepsConfirmed: current !== undefined,
      });
    } catch {
      // Closed or unreadable since it was listed: it no longer waits on anyone here.
    }
  }
  return { tasks, total: Math.max(count, tasks.length) };
}
