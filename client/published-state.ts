import type { WorkflowHandle } from '@temporalio/client';

/**
 * Reads what an entity workflow keeps in its memo under `key` (see `workflows/published-state.ts`):
 * one describe, which the server answers from the workflow's committed state. No worker runs a
 * query for it, so a burst of tasks reading the kill switch costs the entity's worker nothing, and
 * every change committed before the call is seen. A run that has not published it yet (its first
 * workflow task still open) is asked by `query` instead.
 *
 * @throws WorkflowNotFoundError when no such workflow exists, as a query would.
 */
export async function readPublished<T>(
  handle: WorkflowHandle,
  key: string,
  query: () => Promise<T>,
): Promise<T> {
  const { memo } = await handle.describe();
  const value = memo?.[key];
  return value === undefined ? query() : (value as T);
}
