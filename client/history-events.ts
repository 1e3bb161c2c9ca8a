import type { Client } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';

/** One event of a workflow's history, as the service returns it. */
export type HistoryEvent = NonNullable<History['events']>[number];

/** History events asked for per page: a task's history is usually one page. */
const HISTORY_PAGE_SIZE = 500;

/**
 * Hands every event of one run's history to `visit`, in order, reading it page by page so that
 * no more than a page is held at once.
 *
 * @throws the server's error as is (NOT_FOUND when the run is unknown or retention deleted it).
 */
export async function forEachHistoryEvent(
  client: Client,
  workflowId: string,
  runId: string | undefined,
  visit: (event: HistoryEvent) => void,
): Promise<void> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: HISTORY_PAGE_SIZE,
      nextPageToken,
    });
    for (const event of page.history?.events ?? []) visit(event);
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}
