import { quoted } from '../../client/visibility-query';
import { defaultPayloadConverter } from '@temporalio/common';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { readAuditRecord } from '../../cli/audit-export';
import type { AuditRecord } from '../../cli/audit-schema';
import { forEachHistoryEvent, type HistoryEvent } from '../../client/history-events';
import { mapBounded } from '../../client/map-bounded';
import { loadCanaryPolicy, type CanaryState } from '../../policy/canary';
import type { DailySeries } from '../../policy/ledger-series';
import type { LoadedPolicy } from '../../policy/loader';
import type { TaskRequest } from '../../policy/task';
import {
  canaryQuery,
  canaryWorkflowId,
  ledgerOverviewQuery,
  ledgerSeriesQuery,
  ledgerWorkflowId,
  statusQuery,
  type DelegatedTaskInput,
  type TaskStatus,
} from '../../workflows/messages';
import type { LedgerRead } from '../model/grid';
import type { WaitingTaskRead } from '../model/pending';

// Every read the dashboard makes of Temporal: queries on the entity workflows (ledgers, canary),
// visibility lists of task workflows, and one task's history. Nothing here writes or starts a workflow.

/** Queries in flight at once per page refresh: enough to hide round trips, gentle on the worker. */
export const READ_CONCURRENCY = 8;

/** An agent's ledger without its recently-counted ids; null before its first evidence, 'error' if unreadable. */
export async function readLedgerOverview(
  client: Client,
  taskQueue: string,
  agentId: string,
): Promise<LedgerRead> {
  try {
    return await client.workflow.getHandle(ledgerWorkflowId(taskQueue, agentId)).query(ledgerOverviewQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    return 'error';
  }
}

/** An agent's daily series, or null before its first evidence. */
export async function readLedgerSeries(
  client: Client,
  taskQueue: string,
  agentId: string,
): Promise<DailySeries | null> {
  try {
    return await client.workflow.getHandle(ledgerWorkflowId(taskQueue, agentId)).query(ledgerSeriesQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/**
 * The canary's state without starting it (the dashboard is read-only: `ladder status` or the worker
 * start it on first use); null when the policy declares none or it has not started.
 */
export async function readCanary(
  client: Client,
  taskQueue: string,
  policy: LoadedPolicy,
  policyPath: string,
): Promise<CanaryState | null> {
  if (!policy.canary) return null;
  let next: LoadedPolicy | null;
  try {
    next = loadCanaryPolicy(policy, policyPath);
  } catch {
    return null;
  }
  if (!next) return null;
  try {
    return await client.workflow.getHandle(canaryWorkflowId(taskQueue, next.versionId)).query(canaryQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/** The visibility query for this deployment's running tasks. */
export function runningTasksQuery(taskQueue: string): string {
  return `WorkflowType = 'delegatedTask' AND ExecutionStatus = 'Running' AND TaskQueue = ${quoted(taskQueue, 'task queue')}`;
}

/**
 * The newest `limit` running tasks with their status and the question they wait on (from their
 * history), and how many more run. Only tasks waiting on a person read their history.
 */
export async function readWaitingTasks(
  client: Client,
  taskQueue: string,
  limit: number,
): Promise<{ tasks: WaitingTaskRead[]; notShown: number }> {
  const query = runningTasksQuery(taskQueue);
  const listed: { workflowId: string; runId: string; startedAtMs: number }[] = [];
  for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 100) })) {
    listed.push({ workflowId: info.workflowId, runId: info.runId, startedAtMs: info.startTime.getTime() });
    if (listed.length >= limit) break;
  }
  const total = listed.length < limit ? listed.length : (await client.workflow.count(query)).count;
  const read = await mapBounded(listed, READ_CONCURRENCY, async (t): Promise<WaitingTaskRead | null> => {
    let status: TaskStatus;
    try {
      status = await client.workflow.getHandle(t.workflowId, t.runId).query(statusQuery);
    } catch {
      return null; // closed meanwhile, or its worker is away: left out of this refresh
    }
    if (!['awaiting-human', 'outcome-unknown', 'awaiting-report-read'].includes(status.phase))
      return { ...t, status, title: null, postedAtMs: null, messageRef: null };
    const asked = await lastQuestion(client, t.workflowId, t.runId).catch(() => null);
    return {
      ...t,
      status,
      title: asked?.title ?? null,
      postedAtMs: asked?.postedAtMs ?? null,
      messageRef: asked?.ref ?? null,
    };
  });
  return {
    tasks: read.filter((t): t is WaitingTaskRead => t !== null),
    notShown: Math.max(0, total - listed.length),
  };
}

/** Notification kinds that ask a person something, or report to them. */
const QUESTION_KINDS = ['approval-request', 'suggestion', 'draft', 'outcome-unknown', 'report'];

/** The task's title and the last question (or report) it posted: when, and the message's ref. */
async function lastQuestion(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<{ title: string | null; postedAtMs: number | null; ref: string | null }> {
  const fold = new QuestionFold();
  await forEachHistoryEvent(client, workflowId, runId, (event) => fold.add(event));
  return fold.result();
}

type Payloads =
  { payloads?: Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null } | null | undefined;
const firstOf = <T>(p: Payloads): T | undefined => {
  const payload = p?.payloads?.[0];
  return payload ? defaultPayloadConverter.fromPayload<T>(payload) : undefined;
};
const timeOf = (e: HistoryEvent): number =>
  Number(String(e.eventTime?.seconds ?? 0)) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/** Folds a task's history into its title and its last question's posting time and ref. */
export class QuestionFold {
  private title: string | null = null;
  private last: { scheduledId: number; postedAtMs: number; ref: string | null } | null = null;

  /** Adds one event, in history order. */
  add(event: HistoryEvent): void {
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      this.title = firstOf<DelegatedTaskInput>(started.input)?.task?.title ?? null;
      return;
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'notify') {
      const kind = firstOf<{ notification?: { kind?: string } }>(scheduled.input)?.notification?.kind;
      if (kind && QUESTION_KINDS.includes(kind))
        this.last = { scheduledId: Number(String(event.eventId)), postedAtMs: timeOf(event), ref: null };
      return;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed && this.last && Number(String(completed.scheduledEventId)) === this.last.scheduledId)
      this.last.ref = firstOf<{ ref?: string }>(completed.result)?.ref ?? null;
  }

  /** What was found. */
  result(): { title: string | null; postedAtMs: number | null; ref: string | null } {
    return { title: this.title, postedAtMs: this.last?.postedAtMs ?? null, ref: this.last?.ref || null };
  }
}

/**
 * How long the agent's tasks in a class took, submit to close, for those closed since `sinceMs`:
 * the newest `limit` of them (a bounded read, whatever the history holds).
 */
export async function readTurnDurations(
  client: Client,
  taskQueue: string,
  agentId: string,
  taskClass: string,
  sinceMs: number,
  limit: number,
): Promise<{ closedAtMs: number; seconds: number }[]> {
  const query = [
    `WorkflowType = 'delegatedTask'`,
    `TaskQueue = ${quoted(taskQueue, 'task queue')}`,
    `AgentId = ${quoted(agentId, 'agent')}`,
    `TaskClass = ${quoted(taskClass, 'task class')}`,
    `ExecutionStatus != 'Running'`,
    `CloseTime >= '${new Date(sinceMs).toISOString()}'`,
  ].join(' AND ');
  const out: { closedAtMs: number; seconds: number }[] = [];
  for await (const info of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    if (info.closeTime) {
      out.push({
        closedAtMs: info.closeTime.getTime(),
        seconds: (info.closeTime.getTime() - info.startTime.getTime()) / 1000,
      });
    }
    if (out.length >= limit) break;
  }
  return out;
}

/** One task for its page: the audit record of its latest run and, while it runs, its live status. */
export interface TaskRead {
  record: AuditRecord;
  status: TaskStatus | null;
  task: TaskRequest | null;
  /** The last question's message, for a link to Slack. */
  messageRef: string | null;
}

/** Reads one task; null when no such workflow exists (or retention removed it). */
export async function readTask(client: Client, workflowId: string): Promise<TaskRead | null> {
  let runId: string;
  let running: boolean;
  try {
    const described = await client.workflow.getHandle(workflowId).describe();
    runId = described.runId;
    running = described.status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const [record, status, asked] = await Promise.all([
    readAuditRecord(client, workflowId, runId),
    running
      ? client.workflow
          .getHandle(workflowId, runId)
          .query(statusQuery)
          .catch(() => null)
      : Promise.resolve(null),
    lastQuestion(client, workflowId, runId).catch(() => null),
  ]);
  return { record, status, task: record.task, messageRef: asked?.ref ?? null };
}
