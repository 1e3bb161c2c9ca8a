import type { Client } from '@temporalio/client';
import type { TaskRequest } from '../policy/task';
import { isSlackUserId } from '../policy/slack-ids';
import { stepsHashOf } from '../policy/step-edits';
import { statusQuery, taskRequestQuery, type TaskStatus } from '../workflows/messages';
import { WaitingOnKey } from '../workflows/search-attributes';
import { mapBounded } from './map-bounded';
import type { WaitingTask } from './waiting-on';

// The approval requests of one task class that a person may answer together (Slack's batch
// modal). Read-only and advisory: what may be batched here only shapes the form; every answer is
// still sent on its own and each task's update validator decides it.

/** One rung-2 approval request as a batch shows it: who asked, exactly what runs, what it needs. */
export interface PendingApproval {
  workflowId: string;
  agentId: string;
  taskClass: string;
  title: string;
  environment: string;
  resource?: string;
  /** Slack id of whoever asked for the task. */
  requester: string;
  /** The exact steps that run once approved: the task's steps now (after any Edit…). */
  steps: TaskRequest['steps'];
  /** The hash an approval carries (the status's), so it approves the steps it names only. */
  stepsHash: string;
  /**
   * Whether `steps` hash to `stepsHash`: false when an edit landed between the two reads, and then
   * the request is not offered for approval here (the listed steps are not the ones it would approve).
   */
  stepsConfirmed: boolean;
  /** The class's approvers as the task decided them. */
  approvers: readonly string[];
  twoPersonRule: boolean;
  /** The name an approver must type, when the policy asks for typed confirmation; else null. */
  typedConfirmation: string | null;
  /** Whether the task's `WaitingOn` names the person (they may answer it). */
  waitsOnPerson: boolean;
}

/** Why a request cannot be approved in a batch by one person; undefined when it can. */
export type BatchBlocker =
  | { kind: 'typed-confirmation'; expected: string }
  | { kind: 'two-person-rule'; requester: string }
  | { kind: 'steps-changed' };

/**
 * Why `user` cannot approve `task` in a batch: its listed steps are not those its approval would
 * bind to, a typed confirmation (a batch types nothing), or the two-person rule with `user` as the
 * requester. Undefined when nothing stands in the way here (the workflow still checks everything). Pure.
 */
export function batchBlockerOf(task: PendingApproval, user: string): BatchBlocker | undefined {
  if (!task.stepsConfirmed) return { kind: 'steps-changed' };
  if (task.twoPersonRule && task.requester === user) return { kind: 'two-person-rule', requester: user };
  if (task.typedConfirmation !== null)
    return { kind: 'typed-confirmation', expected: task.typedConfirmation };
  return undefined;
}

/** Whether a task waiting on a person asks for a rung-2 approval (not a draft, report or outcome). Pure. */
export function isApprovalRequest(status: TaskStatus): boolean {
  return status.phase === 'awaiting-human' && status.rung === 2 && status.decision !== null;
}

/**
 * The task classes in which `tasks` hold at least `min` approval requests, with how many, most
 * first then by name. Pure; counts only the tasks given (the App Home's newest).
 */
export function classesWithApprovals(
  tasks: readonly WaitingTask[],
  min = 2,
): { taskClass: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const t of tasks) {
    const taskClass = t.status.decision?.taskClass;
    if (taskClass && isApprovalRequest(t.status)) counts.set(taskClass, (counts.get(taskClass) ?? 0) + 1);
  }
  return [...counts]
    .filter(([, count]) => count >= min)
    .map(([taskClass, count]) => ({ taskClass, count }))
    .sort((a, b) => b.count - a.count || a.taskClass.localeCompare(b.taskClass));
}

/** Groups approval requests by task class, keeping their order within each class. Pure. */
export function groupByClass(tasks: readonly PendingApproval[]): Map<string, PendingApproval[]> {
  const groups = new Map<string, PendingApproval[]>();
  for (const t of tasks) {
    const group = groups.get(t.taskClass) ?? [];
    group.push(t);
    groups.set(t.taskClass, group);
  }
  return groups;
}

/** Reads of one listing at a time; a batch is small, and each read is two calls to Temporal. */
const READ_CONCURRENCY = 4;

/**
 * The running rung-2 approval requests of `taskClass` on `taskQueue` that concern `user`: those
 * waiting on them (the `WaitingOn` search attribute), and, so they are shown with the reason,
 * those they asked for themselves under the two-person rule while being an approver (the workflow
 * leaves the requester out of `WaitingOn` then). Newest first; at most `limit` read in full;
 * `more` counts those waiting on `user` that were not read.
 *
 * Cost: one visibility list and one count, then per task a status query and a query of its
 * request as it is now (requester and steps, edited ones included).
 *
 * @throws Error when `user` is not a Slack user id or `taskClass` is empty (both go into a
 *   visibility query).
 */
export async function pendingApprovals(
  client: Client,
  options: { taskQueue: string; user: string; taskClass: string; limit: number },
): Promise<{ tasks: PendingApproval[]; more: number }> {
  const { user, taskClass } = options;
  if (!isSlackUserId(user)) throw new Error(`not a Slack user id: ${JSON.stringify(user)}`);
  if (!taskClass) throw new Error('pendingApprovals: no task class given');
  const query = [
    `TaskClass = ${JSON.stringify(taskClass)}`,
    'ExecutionStatus = "Running"',
    `TaskQueue = ${JSON.stringify(options.taskQueue)}`,
    'Rung = 2',
    'WaitingOn IS NOT NULL',
  ].join(' AND ');
  const listed: { workflowId: string; waitingOn: readonly string[] }[] = [];
  for await (const execution of client.workflow.list({ query, pageSize: options.limit })) {
    const waitingOn = execution.typedSearchAttributes.get(WaitingOnKey) ?? [];
    listed.push({ workflowId: execution.workflowId, waitingOn });
    if (listed.length >= options.limit) break;
  }
  // How many wait on the person in all: those beyond the ones read wait for the next batch.
  const { count } = await client.workflow.count(`${query} AND WaitingOn = ${JSON.stringify(user)}`);
  const read = await mapBounded(listed, READ_CONCURRENCY, (entry) =>
    readApproval(client, entry.workflowId, entry.waitingOn.includes(user)),
  );
  const tasks = read.filter(
    (t): t is PendingApproval =>
      t !== undefined &&
      (t.waitsOnPerson || (t.twoPersonRule && t.requester === user && t.approvers.includes(user))),
  );
  return { tasks, more: Math.max(0, count - tasks.filter((t) => t.waitsOnPerson).length) };
}

/**
 * One request's status and its request as it is now (after any Edit…); undefined when it no longer
 * asks for an approval, or is gone or unreadable (then its own message is where it is answered).
 */
async function readApproval(
  client: Client,
  workflowId: string,
  waitsOnPerson: boolean,
): Promise<PendingApproval | undefined> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    const [status, task] = await Promise.all([handle.query(statusQuery), handle.query(taskRequestQuery)]);
    // Visibility lags a little: a task answered a moment ago no longer asks.
    if (!isApprovalRequest(status) || !status.waitingOn) return undefined;
    const d = status.decision!;
    return {
      workflowId,
      agentId: task.agent.id,
      taskClass: task.taskClass,
      title: task.title,
      environment: task.environment,
      ...(task.resource !== undefined ? { resource: task.resource } : {}),
      requester: task.requester,
      steps: task.steps,
      stepsHash: status.stepsHash,
      // Two reads: an edit between them leaves steps that are not those the hash approves.
      stepsConfirmed: stepsHashOf(task.steps) === status.stepsHash,
      approvers: d.approvers,
      twoPersonRule: d.twoPersonRule,
      typedConfirmation: d.typedConfirmation.required ? d.typedConfirmation.expected : null,
      waitsOnPerson,
    };
  } catch {
    // Closed or unreadable since it was listed: it no longer asks anyone here.
    return undefined;
  }
}

/**
 * How many running approval requests (rung 2, waiting) wait on `user` in each of `classes`, for
 * classes with at least one, most first then by name. One visibility count per class (the policy's
 * classes are few); a rung-2 task asking about an unknown outcome counts too, so a class may list
 * fewer requests than counted here.
 *
 * @throws Error when `user` is not a Slack user id.
 */
export async function approvalCountsByClass(
  client: Client,
  options: { taskQueue: string; user: string; classes: readonly string[] },
): Promise<{ taskClass: string; count: number }[]> {
  const { user } = options;
  if (!isSlackUserId(user)) throw new Error(`not a Slack user id: ${JSON.stringify(user)}`);
  const counts = await mapBounded(options.classes, READ_CONCURRENCY, async (taskClass) => {
    const query = [
      `WaitingOn = ${JSON.stringify(user)}`,
      `TaskClass = ${JSON.stringify(taskClass)}`,
      'ExecutionStatus = "Running"',
      `TaskQueue = ${JSON.stringify(options.taskQueue)}`,
      'Rung = 2',
    ].join(' AND ');
    return { taskClass, count: (await client.workflow.count(query)).count };
  });
  return counts
    .filter((c) => c.count > 0)
    .sort((a, b) => b.count - a.count || a.taskClass.localeCompare(b.taskClass));
}
