import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LedgerState } from '../policy/ledger';
import type { IdentifiedEvent } from '../policy/ledger-reducer';
import { ledgerEventSignal, ledgerQuery, ledgerWorkflowId } from '../workflows/messages';
import { trustLedger } from '../workflows/trust-ledger';

/** How activities, the CLI and Slack reach agents' trust ledgers. */
export interface LedgerLink {
  /** Sends evidence to the agent's ledger, starting the ledger if it does not exist yet. */
  send(agentId: string, event: IdentifiedEvent): Promise<void>;
  /** The agent's ledger, or null before its first evidence. */
  read(agentId: string): Promise<LedgerState | null>;
}

/**
 * A {@link LedgerLink} over a Temporal client: `signalWithStart` on `ledger/<queue>/<agent>` (so
 * the first evidence creates the ledger), and the ledger query.
 */
export function createLedgerLink(options: {
  client: Client;
  taskQueue: string;
  uiBaseUrl?: string;
}): LedgerLink {
  const { client, taskQueue } = options;
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
    async read(agentId) {
      try {
        return await client.workflow.getHandle(ledgerWorkflowId(taskQueue, agentId)).query(ledgerQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    },
  };
}
