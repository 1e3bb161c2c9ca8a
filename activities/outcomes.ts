import type { Logger } from '../config/logger';
import type { OutcomeKind } from '../policy/ledger';

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
