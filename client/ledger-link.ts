import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { LedgerState, LedgerView } from '../policy/ledger';
import type { IdentifiedEvent } from '../policy/ledger-reducer';
import {
  LEDGER_VIEW_MEMO,
  ledgerEventsSignal,
  ledgerQuery,
  ledgerViewQuery,
  ledgerWorkflowId,
} from '../workflows/messages';
import { trustLedger } from '../workflows/trust-ledger';
import { createBatchedCalls } from './batched-calls';
import { entityStartOptions, type EntityStartOptions } from './entity-start';
import { createFreshReads } from './fresh-reads';
import { readPublished } from './published-state';

/** How activities, the CLI and Slack reach agents' trust ledgers. */
export interface LedgerLink {
  /**
   * Sends evidence to the agent's ledger, starting the ledger if it does not exist yet; resolves
   * once the server has it. Concurrent sends for one agent from this process go together in one
   * signal (one in flight per agent), so a burst of outcomes costs a few signals, not one per task.
   */
  send(agentId: string, event: IdentifiedEvent): Promise<void>;
  /** The agent's whole ledger (for people and the CLI), or null before its first evidence. */
  read(agentId: string): Promise<LedgerState | null>;
  /**
   * What a decision needs (earned rungs, model and prompt version), or null before the first
   * evidence: read from the ledger's memo, no query to a worker. Concurrent callers in this process
   * share one read per agent, each still getting a view read after it asked.
   */
  view(agentId: string): Promise<LedgerView | null>;
}

/** The most events one signal carries (about 150 bytes each). */
const EVENTS_PER_SIGNAL = 200;
/**
 * The least time between two evidence signals to one ledger from one worker, in ms. A burst of
 * outcomes then reaches a ledger as one signal a second per worker, each with what gathered
 * meanwhile: a workflow receiving signals faster than it completes a workflow task has its tasks
 * failed by the server (100 buffered events) and, past its history limit, cannot continue as new.
 * An idle ledger still gets its first event at once; a burst's evidence waits up to a second.
 */
const SIGNAL_INTERVAL_MS = 1000;
/**
 * A ledger's workflow task may take this long. After a task the server refused (a continue-as-new
 * that signals overtook), the ledger replays its whole run: on a worker busy with thousands of
 * tasks that took 20-54 s (bench:waiting), past the default 10 s, so every retry timed out until
 * the burst ended.
 */
const LEDGER_TASK_TIMEOUT: Duration = '60 seconds';

/**
 * Start options of an agent's trust ledger, whoever starts it (a task's evidence, a person's
 * report): the entity priority and the ledger's workflow task timeout, which continue-as-new keeps.
 */
export function ledgerStartOptions(
  taskQueue: string,
  agentId: string,
): EntityStartOptions & { workflowId: string; staticSummary: string; workflowTaskTimeout: Duration } {
  return {
    ...entityStartOptions(taskQueue),
    workflowId: ledgerWorkflowId(taskQueue, agentId),
    staticSummary: `trust ledger of ${agentId}`,
    workflowTaskTimeout: LEDGER_TASK_TIMEOUT,
  };
}

/**
 * A {@link LedgerLink} over a Temporal client: `signalWithStart` on `ledger/<queue>/<agent>` (so
 * the first evidence creates the ledger), and the ledger's queries.
 */
export function createLedgerLink(options: {
  client: Client;
  taskQueue: string;
  uiBaseUrl?: string;
}): LedgerLink {
  const { client, taskQueue } = options;
  const query = async <T>(agentId: string, run: (id: string) => Promise<T>): Promise<T | null> => {
    try {
      return await run(ledgerWorkflowId(taskQueue, agentId));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  };
  const views = createFreshReads((agentId) =>
    query(agentId, (id) => {
      const handle = client.workflow.getHandle(id);
      return readPublished(handle, LEDGER_VIEW_MEMO, () => handle.query(ledgerViewQuery));
    }),
  );
  const signals = createBatchedCalls<IdentifiedEvent, void>(
    async (agentId, events) => {
      // Tasks that saw the same ledger send the same version event: it goes once.
      const unique = [...new Map(events.map((e) => [e.id, e])).values()];
      await client.workflow.signalWithStart(trustLedger, {
        ...ledgerStartOptions(taskQueue, agentId),
        args: [{ agentId, uiBaseUrl: options.uiBaseUrl }],
        signal: ledgerEventsSignal,
        signalArgs: [unique],
      });
      return events.map(() => undefined);
    },
    { maxBatch: EVENTS_PER_SIGNAL, minIntervalMs: SIGNAL_INTERVAL_MS },
  );
  return {
    send: (agentId, event) => signals.call(agentId, event),
    read: (agentId) => query(agentId, (id) => client.workflow.getHandle(id).query(ledgerQuery)),
    view: (agentId) => views.read(agentId),
  };
}
