import type { ApproverWatchLink } from '../client/approver-watch';
import type { LedgerLink } from '../client/ledger-link';
import type { Logger } from '../config/logger';
import type { OutcomeKind } from '../policy/ledger';
import type { LadderMetrics } from '../observability/ladder-metrics';

/** Evidence for the trust ledger: one event per thing that happened to a task. */
export interface OutcomeEvent {
  workflowId: string;
  agentId: string;
  taskClass: string;
  rung: number;
  kind: OutcomeKind;
  /** Who acted, when a person did. */
  by?: string;
  /** Milliseconds, e.g. time to decision or report read latency. */
  latencyMs?: number;
  detail?: string;
}

/** Where outcome events go; the trust ledger (issue 6) consumes them. */
export interface OutcomeSink {
  record(event: OutcomeEvent): Promise<void>;
}

/** Logs every event and keeps none: the worker's sink, whose memory must not grow per task. */
export class LoggingOutcomes implements OutcomeSink {
  constructor(private readonly log: Logger) {}
  async record(event: OutcomeEvent): Promise<void> {
    this.log.info(event, `outcome ${event.kind}`);
  }
}

/** Keeps events in memory (tests) and logs them. */
export class RecordingOutcomes implements OutcomeSink {
  readonly events: OutcomeEvent[] = [];
  constructor(private readonly log?: Logger) {}
  async record(event: OutcomeEvent): Promise<void> {
    this.events.push(event);
    this.log?.info(event, `outcome ${event.kind}`);
  }
}

/** A person's answer to a task's question, by the outcome it records: true approves, false rejects. */
const HUMAN_ANSWERS: Partial<Record<OutcomeKind, boolean>> = {
  approved: true,
  'draft-accepted': true,
  'suggestion-done': true,
  rejected: false,
  'draft-rejected': false,
  'suggestion-dismissed': false,
};

/**
 * Records one outcome: in the worker's outcome log and, when the worker has the trust ledgers,
 * as evidence in the agent's ledger, counted once per task, class and kind
 * (`<workflowId>/<taskClass>/<kind>`), so a retried call adds nothing; then in the worker's
 * metrics, when it keeps them (which count it once per task, class and kind as well).
 *
 * A person's answer goes to the class's rubber-stamp watch first (when the policy keeps one): an
 * approval by someone under review reaches the ledger as `approved-unweighted`, a sample that
 * counts as no human approval. Its id stays the approval's, so a retry counts it once either way.
 */
export async function recordEvidence(
  deps: {
    outcomes: OutcomeSink;
    ledger?: LedgerLink;
    metrics?: LadderMetrics;
    approverWatch?: ApproverWatchLink;
  },
  event: OutcomeEvent,
): Promise<void> {
  await deps.outcomes.record(event);
  let outcome = event.kind;
  const approves = HUMAN_ANSWERS[event.kind];
  if (deps.ledger && deps.approverWatch && approves !== undefined && event.by) {
    const { counts } = await deps.approverWatch.recordAnswer(event.taskClass, {
      approver: event.by,
      workflowId: event.workflowId,
      approved: approves,
      ...(event.latencyMs !== undefined ? { answerMs: event.latencyMs } : {}),
    });
    if (approves && !counts) outcome = 'approved-unweighted';
  }
  await deps.ledger?.send(event.agentId, {
    // The class too: a rung-5 digest records its read (or breach) once per class it covers.
    id: `${event.workflowId}/${event.taskClass}/${event.kind}`,
    event: {
      kind: 'outcome',
      outcome,
      workflowId: event.workflowId,
      taskClass: event.taskClass,
      rung: event.rung,
    },
  });
  deps.metrics?.outcome(event);
}
