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
 * Start options for an entity workflow on `taskQueue` (the deployment's one queue: entities and
 * tasks share workers, only their priority differs).
 */
export function entityStartOptions(taskQueue: string): EntityStartOptions {
  return { taskQueue, priority: ENTITY_PRIORITY };
}
