import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ledgerQuery, ledgerWorkflowId } from '../../workflows/messages';
import { summarize, type LatencySummary } from '../latency-stats';
import { epochMs } from './history-counts';
import { markdownTable } from './report';
import { listExecutions } from './visibility';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** How an agent's trust ledger kept up with a round of tasks: its workflow tasks' waits and its catch-up. */
export interface LedgerLag {
  /** Runs of the ledger (continue-as-new chain) with workflow tasks in the round. */
  runs: number;
  /** Workflow tasks that started in the round. */
  workflowTasks: number;
  /**
   * Per started workflow task, ms from when it was first scheduled (a sticky task that timed out
   * and was rescheduled counts from the first schedule) to its start: the ledger's queueing.
   */
  waitMs: LatencySummary;
  /** Workflow tasks that timed out (schedule-to-start on a sticky queue, or start-to-close) or failed. */
  timedOut: number;
  failed: number;
  /** From the round's last task closing to the ledger having counted every approval; null if it never did. */
  caughtUpSeconds: number | null;
}

/**
 * The queueing of each workflow task in one history since `sinceMs`, in ms: from the first
 * schedule of a pending task (timeouts that reschedule it keep the first time) to its start. Pure.
 */
export function workflowTaskWaits(
  events: readonly HistoryEvent[],
  sinceMs: number,
): { waits: number[]; timedOut: number; failed: number } {
  const waits: number[] = [];
  let pendingSince: number | null = null;
  let timedOut = 0;
  let failed = 0;
  for (const event of events) {
    const at = epochMs(event.eventTime);
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        pendingSince ??= at;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        if (pendingSince !== null && at >= sinceMs) waits.push(at - pendingSince);
        pendingSince = null;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
        if (at >= sinceMs) timedOut++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
        if (at >= sinceMs) failed++;
        break;
      default:
        break;
    }
  }
  return { waits, timedOut, failed };
}

/**
 * Reads every run of `agentId`'s ledger on `taskQueue` for workflow tasks since `sinceMs`, and
 * first waits (polling its query each second, up to `catchUpTimeoutMs`) until the ledger has
 * counted `expectedApprovals` approvals in `taskClass` over its lifetime.
 */
export async function measureLedgerLag(
  client: Client,
  options: {
    taskQueue: string;
    agentId: string;
    taskClass: string;
    expectedApprovals: number;
    sinceMs: number;
    roundEndMs: number;
    catchUpTimeoutMs: number;
  },
): Promise<LedgerLag> {
  const workflowId = ledgerWorkflowId(options.taskQueue, options.agentId);
  let caughtUpSeconds: number | null = null;
  const deadline = Date.now() + options.catchUpTimeoutMs;
  while (Date.now() < deadline) {
    const state = await client.workflow
      .getHandle(workflowId)
      .query(ledgerQuery)
      .catch(() => null);
    if ((state?.classes[options.taskClass]?.lifetime.approved ?? 0) >= options.expectedApprovals) {
      caughtUpSeconds = Math.max(0, (Date.now() - options.roundEndMs) / 1000);
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  const runs = await listExecutions(client, `WorkflowId = ${JSON.stringify(workflowId)}`);
  const waits: number[] = [];
  let timedOut = 0;
  let failed = 0;
  let counted = 0;
  for (const run of runs) {
    if (Number.isFinite(run.closeMs) && run.closeMs < options.sinceMs) continue;
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    const one = workflowTaskWaits(history.events ?? [], options.sinceMs);
    if (one.waits.length > 0) counted++;
    waits.push(...one.waits);
    timedOut += one.timedOut;
    failed += one.failed;
  }
  return {
    runs: counted,
    workflowTasks: waits.length,
    waitMs: summarize(waits),
    timedOut,
    failed,
    caughtUpSeconds,
  };
}

/** The ledger's figures as a markdown table. Pure. */
export function ledgerLagTable(agentId: string, lag: LedgerLag): string {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : '–');
  return markdownTable([
    [`trust ledger of ${agentId} during the Ladder round`, 'value'],
    ['workflow tasks started / runs (continue-as-new)', `${lag.workflowTasks} / ${lag.runs}`],
    [
      'workflow task queued, scheduled → started, p50 / p99 / max ms',
      `${f(lag.waitMs.p50)} / ${f(lag.waitMs.p99)} / ${f(lag.waitMs.max)}`,
    ],
    ['workflow tasks timed out / failed', `${lag.timedOut} / ${lag.failed}`],
    [
      'every approval counted, s after the last task closed',
      lag.caughtUpSeconds === null ? 'never (gave up)' : lag.caughtUpSeconds.toFixed(1),
    ],
  ]);
}
