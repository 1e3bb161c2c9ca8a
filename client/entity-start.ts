import type { Priority } from '@temporalio/common';

/**
 * The task priority of Ladder's long-lived entity workflows (trust and quota ledgers, kill switch,
 * channel feeds, report digests, token registry, policy history, canaries): the highest of
 * Temporal's five levels, where task workflows keep the default (3).
 *
 * Why: thousands of task workflows all signal the same few entities. On one shared task queue,
 * with the same priority, an entity's workflow task waits behind the whole backlog it is there to
 * absorb (bench:waiting at 10,000 tasks measured the trust ledger stalled 45 s), and a person's
 * defect report or kill-switch freeze waits with it. Activities the entities schedule inherit it.
 */
export const ENTITY_PRIORITY: Priority = { priorityKey: 1 };

/** The start options every entity workflow shares; spread into each start, signal-with-start or update-with-start. */
export interface EntityStartOptions {
  taskQueue: string;
  priority: Priority;
}

/**
 * The task queue a deployment's entity workflows run on, beside its task queue `taskQueue`: every
 * Ladder worker process polls both, each with its own worker and so its own workflow-task slots.
 *
 * Why: a task's decision waits on entities (the kill switch, the trust ledger's view, the quota
 * reservation). On one queue, tasks holding every slot while they decide would leave none for the
 * entities' queries and updates they wait for; measured with four slots, the decisions of a burst
 * stalled until their queries timed out.
 */
export function entityTaskQueue(taskQueue: string): string {
  return `${taskQueue}${ENTITY_QUEUE_SUFFIX}`;
}

/** What {@link entityTaskQueue} appends to the deployment's task queue. */
export const ENTITY_QUEUE_SUFFIX = '-entities';

/**
 * Start options for an entity workflow of the deployment on `taskQueue`: its entity queue (see
 * {@link entityTaskQueue}), at the entities' priority.
 */
export function entityStartOptions(taskQueue: string): EntityStartOptions {
  return { taskQueue: entityTaskQueue(taskQueue), priority: ENTITY_PRIORITY };
}
