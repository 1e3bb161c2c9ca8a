import type { ApproverWatchLink } from '../client/approver-watch';
import type { LedgerLink } from '../client/ledger-link';
import type { Logger } from '../config/logger';
import type { OutcomeKind } from '../policy/ledger';
import type { LadderMetrics } from '../observability/ladder-metrics';
import type { IdentifiedEvent } from '../policy/ledger-reducer';

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

/** What {@link recordEvidence} records with. */
export interface EvidenceDeps {
  outcomes: OutcomeSink;
  ledger?: LedgerLink;
  metrics?: LadderMetrics;
  approverWatch?: ApproverWatchLink;
}

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
export function recordEvidence(deps: EvidenceDeps, event: OutcomeEvent): Promise<void> {
  return recordAllEvidence(deps, [event]);
}

/**
 * Records `events` as {@link recordEvidence} does each, in order, and hands them to the ledgers
 * together: the link sends at most one signal a second per ledger, so evidence handed over one
 * at a time (a task's approval, then its execution) waited a second more for each.
 */
export async function recordAllEvidence(deps: EvidenceDeps, events: readonly OutcomeEvent[]): Promise<void> {
  const toLedger: { agentId: string; event: IdentifiedEvent }[] = [];
  for (const event of events) {
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
    toLedger.push({
      agentId: event.agentId,
      event: {
        // The class too: a rung-5 digest records its read (or breach) once per class it covers.
        id: `${event.workflowId}/${event.taskClass}/${event.kind}`,
        event: {
          kind: 'outcome',
          outcome,
          workflowId: event.workflowId,
          taskClass: event.taskClass,
          rung: event.rung,
        },
      },
    });
  }
  // Handed over in one turn, so the link's batching puts them in one signal per ledger.
  const { ledger } = deps;
  if (ledger) await Promise.all(toLedger.map(({ agentId, event }) => ledger.send(agentId, event)));
  for (const event of events) deps.metrics?.outcome(event);
}
