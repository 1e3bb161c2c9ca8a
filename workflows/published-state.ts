import { upsertMemo, workflowInfo } from '@temporalio/workflow';

/**
 * A value an entity workflow keeps in its memo for the readers on every task's path (the kill
 * switch, an agent's ledger view). The server answers a describe from the workflow's committed
 * state: no worker runs a query for it, and a change is visible once the workflow task that made
 * it completes, which is also when an update that made it returns.
 */
export interface PublishedState<T> {
  /**
   * Puts `value` in the memo unless it is what the memo already holds (compared as JSON). Call it
   * in the same activation as the change, so no workflow task completes with the change unpublished.
   */
  publish(value: T): void;
  /** The memo a continued run starts with, so it is published from its first moment. */
  carried(value: T): Record<string, unknown>;
}

/**
 * Creates the {@link PublishedState} of memo key `key` for the running workflow. A run continued
 * with {@link PublishedState.carried} starts with the value already published, and publishing the
 * same value again adds nothing to its history.
 */
export function publishedState<T>(key: string): PublishedState<T> {
  const held = workflowInfo().memo?.[key];
  let last = held === undefined ? undefined : JSON.stringify(held);
  return {
    publish(value) {
      const json = JSON.stringify(value);
      if (json === last) return;
      upsertMemo({ [key]: value });
      last = json;
    },
    carried: (value) => ({ [key]: value }),
  };
}
