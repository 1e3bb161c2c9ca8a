import { createWriteStream, openSync, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Client } from '@temporalio/client';
import { forEachHistoryEvent } from '../client/history-events';
import { AuditRecordBuilder, type AuditRecord } from './audit-record';

// Streams audit records: lists task workflows with a visibility query, page by page, reads each
// one's history page by page into one record, and writes it as a line as soon as it is ready. At
// most `concurrency` histories are being read at once; nothing else is kept.

/** Which task workflows an export covers. */
export interface AuditWindow {
  /** Started at or after, epoch ms. */
  sinceMs: number;
  /** Started before, epoch ms. */
  untilMs: number;
  /** Only this deployment's tasks; every task queue in the namespace when absent. */
  taskQueue?: string;
}

/** Workflow executions asked for per visibility page. */
const LIST_PAGE_SIZE = 100;
/** Histories read at once: enough to hide the round trips, few enough for a small server. */
export const DEFAULT_CONCURRENCY = 4;

/**
 * The visibility query for `window`: delegated tasks by start time (and task queue). Pure.
 *
 * @throws Error when the task queue is not a plain name (it is quoted into the query).
 */
export function auditQuery(window: AuditWindow): string {
  const clauses = [
    `WorkflowType = 'delegatedTask'`,
    `StartTime >= '${new Date(window.sinceMs).toISOString()}'`,
    `StartTime < '${new Date(window.untilMs).toISOString()}'`,
  ];
  if (window.taskQueue !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/.test(window.taskQueue))
      throw new Error(`--task-queue: expected letters, digits, ".", "_" or "-", got "${window.taskQueue}"`);
    clauses.push(`TaskQueue = '${window.taskQueue}'`);
  }
  return clauses.join(' AND ');
}

/** A task whose history could not be read (deleted by retention since it was listed, or an error). */
export interface AuditReadFailure {
  workflowId: string;
  runId: string;
  error: string;
}

/**
 * Reads one run's history, page by page, into its audit record.
 *
 * @throws the server's error (NOT_FOUND when retention deleted it) as is.
 */
export async function readAuditRecord(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<AuditRecord> {
  const builder = new AuditRecordBuilder(workflowId, runId);
  await forEachHistoryEvent(client, workflowId, runId, (event) => builder.add(event));
  return builder.finish();
}

/**
 * Every task workflow in `window`, as an audit record or a read failure, in the order visibility
 * lists them (newest first on SQL visibility). Each run is listed once; a task still open is
 * recorded as it stands when its history is read.
 */
export async function* auditRecords(
  client: Client,
  window: AuditWindow,
  concurrency = DEFAULT_CONCURRENCY,
): AsyncGenerator<AuditRecord | AuditReadFailure> {
  const listed = client.workflow.list({ query: auditQuery(window), pageSize: LIST_PAGE_SIZE });
  yield* inOrder(listed, concurrency, async (info) => {
    try {
      return await readAuditRecord(client, info.workflowId, info.runId);
    } catch (err) {
      return { workflowId: info.workflowId, runId: info.runId, error: (err as Error).message };
    }
  });
}

/**
 * Maps `source` with at most `limit` calls of `fn` in flight, yielding results in source order.
 * A rejected call rejects the iteration when its turn comes.
 */
export async function* inOrder<T, R>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  for await (const item of source) {
    const result = fn(item);
    // Awaited in turn below; until then a rejection must not count as unhandled.
    result.catch(() => undefined);
    inFlight.push(result);
    if (inFlight.length >= limit) yield await inFlight.shift()!;
  }
  while (inFlight.length > 0) yield await inFlight.shift()!;
}

/** Where lines go, waiting for the destination to drain so memory stays bounded. */
export interface LineSink {
  write(line: string): Promise<void>;
  /** Finishes the output (for a file: moves it into place). */
  close(): Promise<void>;
  /** Gives up: a file being written is removed, so no partial export looks complete. */
  abort(): Promise<void>;
}

/** A sink over an open stream (stdout); closing it leaves the stream open. */
export function streamSink(stream: Writable): LineSink {
  let failed: Error | null = null;
  const onError = (err: Error): void => {
    failed = err;
  };
  stream.on('error', onError);
  return {
    async write(line) {
      if (failed) throw failed;
      if (!stream.write(`${line}\n`)) await Promise.race([once(stream, 'drain'), once(stream, 'error')]);
      if (failed) throw failed;
    },
    async close() {
      stream.off('error', onError);
    },
    async abort() {
      stream.off('error', onError);
    },
  };
}

/**
 * A sink that writes `<path>.partial` (readable by its owner only: answers carry who decided what)
 * and renames it to `path` when closed, so `path` only ever holds a complete export.
 *
 * @throws the file system's error at once when `<path>.partial` cannot be created.
 */
export function fileSink(path: string): LineSink {
  const partial = `${path}.partial`;
  // Opened here, not by the stream, so a wrong folder is an error now rather than an event later.
  const file: WriteStream = createWriteStream('', { fd: openSync(partial, 'w', 0o600) });
  const inner = streamSink(file);
  const ended = async (): Promise<void> => {
    if (file.closed) return;
    const closed = once(file, 'close');
    file.end();
    await closed;
  };
  return {
    write: (line) => inner.write(line),
    async close() {
      await ended();
      renameSync(partial, path);
    },
    async abort() {
      await ended().catch(() => undefined);
      rmSync(partial, { force: true });
    },
  };
}
