import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LedgerState, LedgerView } from '../policy/ledger';
import type { IdentifiedEvent } from '../policy/ledger-reducer';
import { ledgerEventSignal, ledgerQuery, ledgerViewQuery, ledgerWorkflowId } from '../workflows/messages';
import { trustLedger } from '../workflows/trust-ledger';
import { createFreshReads } from './fresh-reads';

/** How activities, the CLI and Slack reach agents' trust ledgers. */
export interface LedgerLink {
  /** Sends evidence to the agent's ledger, starting the ledger if it does not exist yet. */
  send(agentId: string, event: IdentifiedEvent): Promise<void>;
  /** The agent's whole ledger (for people and the CLI), or null before its first evidence. */
  read(agentId: string): Promise<LedgerState | null>;
  /**
   * What a decision needs (earned rungs, model and prompt version), or null before the first
   * evidence. Concurrent callers in this process share one query per agent, each still getting a
   * view read after it asked.
   */
  view(agentId: string): Promise<LedgerView | null>;
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
    query(agentId, (id) => client.workflow.getHandle(id).query(ledgerViewQuery)),
  );
  return {
    async send(agentId, event) {
      await client.workflow.signalWithStart(trustLedger, {
        workflowId: ledgerWorkflowId(taskQueue, agentId),
        taskQueue,
        args: [{ agentId, uiBaseUrl: options.uiBaseUrl }],
        signal: ledgerEventSignal,
        signalArgs: [event],
        staticSummary: `trust ledger of ${agentId}`,
      });
    },
    read: (agentId) => query(agentId, (id) => client.workflow.getHandle(id).query(ledgerQuery)),
    view: (agentId) => views.read(agentId),
  };
}
