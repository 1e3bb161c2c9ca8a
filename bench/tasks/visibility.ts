import type { Client } from '@temporalio/client';
import { entityTaskQueue } from '../../client/entity-start';
import { OutcomeKey } from '../../workflows/search-attributes';
import { sleep } from './pool';

/** One closed (or running) execution as visibility lists it. */
export interface ListedExecution {
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  startMs: number;
  /** NaN while it runs. */
  closeMs: number;
  /** Ladder's Outcome search attribute, when set. */
  outcome?: string;
  historyLength: number;
}

/** A visibility query for every execution whose workflow id starts with `prefix`. */
export function idPrefixQuery(prefix: string): string {
  return `WorkflowId STARTS_WITH ${JSON.stringify(prefix)}`;
}

/** A batch whose tasks stopped closing: how far it got and what the stuck tasks were doing. */
export class BatchStalled extends Error {
  constructor(
    readonly label: string,
    readonly closed: number,
    readonly expected: number,
    readonly stallMs: number,
    readonly why: string,
  ) {
    super(
      `${label}: ${closed} of ${expected} tasks closed, and none closed in the last ${Math.round(stallMs / 1000)} s. ${why}`,
    );
    this.name = 'BatchStalled';
  }
}

/**
 * Waits until visibility counts `n` closed executions matching `query`.
 *
 * @param stallMs - fails when the count has not grown for this long.
 * @param explain - adds what the stuck executions are doing to the error (e.g. a status query).
 * @throws {BatchStalled} naming the batch, how many closed of how many, and `explain`'s answer.
 */
export async function awaitClosed(
  client: Client,
  query: string,
  n: number,
  stallMs: number,
  label: string,
  explain: () => Promise<string>,
): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { count } = await client.workflow.count(`${query} AND ExecutionStatus != "Running"`);
    if (count >= n) return;
    if (count !== last) {
      last = count;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > stallMs) {
      const why = await explain().catch((err: unknown) => `(could not tell why: ${(err as Error).message})`);
      throw new BatchStalled(label, count, n, stallMs, why);
    }
    await sleep(500);
  }
}

/**
 * Waits until no execution matching `query` is running any more.
 *
 * @returns false when some still run after `timeoutMs`.
 */
export async function awaitNoneRunning(client: Client, query: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { count } = await client.workflow.count(`${query} AND ExecutionStatus = "Running"`);
    if (count === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(1000);
  }
}

/** Every execution matching `query`, with times, status and Ladder's Outcome attribute. */
export async function listExecutions(client: Client, query: string): Promise<ListedExecution[]> {
  const out: ListedExecution[] = [];
  for await (const wf of client.workflow.list({ query })) {
    let outcome: string | undefined;
    try {
      outcome = wf.typedSearchAttributes.get(OutcomeKey);
    } catch {
      outcome = undefined;
    }
    out.push({
      workflowId: wf.workflowId,
      runId: wf.runId,
      type: wf.type,
      status: wf.status.name,
      startMs: wf.startTime.getTime(),
      closeMs: wf.closeTime?.getTime() ?? NaN,
      outcome,
      historyLength: wf.historyLength,
    });
  }
  return out;
}

/**
 * History events of every execution on `taskQueue` or its entity queue that is not of type
 * `excludeType`: the entity workflows (quota and trust ledgers, kill switch, token registry…) each
 * task also writes to. They run on the entity queue ({@link entityTaskQueue}); a query of the task
 * queue alone finds none of them. Closed runs count with their final length; running ones are
 * described for their current length.
 */
export async function entityEventTotal(
  client: Client,
  taskQueue: string,
  excludeType: string,
): Promise<number> {
  const queues = [taskQueue, entityTaskQueue(taskQueue)].map((q) => JSON.stringify(q)).join(', ');
  const listed = await listExecutions(
    client,
    `TaskQueue IN (${queues}) AND WorkflowType != ${JSON.stringify(excludeType)}`,
  );
  let total = 0;
  for (const e of listed) {
    if (e.status !== 'RUNNING') total += e.historyLength;
    else {
      const described = await client.workflow.getHandle(e.workflowId, e.runId).describe();
      total += described.historyLength;
    }
  }
  return total;
}
