import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { listAway } from '../../client/delegations';
import type { Away } from '../../policy/delegation';
import { ledgerOverviewQuery, ledgerWorkflowId } from '../../workflows/messages';
import type { HomeProposal } from '../blocks/app-home-sections';

/**
 * The open promotion proposals `user` may decide, across the agents named: each agent's ledger is
 * asked for its state and its open proposals whose `approvers` name `user` are kept (the ledger's
 * validator lets exactly those decide). An agent without a ledger yet has none; a ledger that
 * cannot be read is left out (the proposal's own message still asks). Oldest first.
 */
export async function proposalsFor(
  client: Client,
  taskQueue: string,
  agentIds: readonly string[],
  user: string,
  /** Collects the agents whose ledger could not be read, for the caller to log. */
  unreadable: string[] = [],
): Promise<HomeProposal[]> {
  const perAgent = await Promise.all(
    agentIds.map(async (agentId): Promise<HomeProposal[]> => {
      const workflowId = ledgerWorkflowId(taskQueue, agentId);
      try {
        const state = await client.workflow.getHandle(workflowId).query(ledgerOverviewQuery);
        return state.proposals
          .filter((p) => p.status === 'open' && p.approvers.includes(user))
          .map((proposal) => ({ agentId, ledgerWorkflowId: workflowId, proposal }));
      } catch (err) {
        // No ledger yet: no proposals. Any other failure leaves this agent out of the Home only.
        if (!(err instanceof WorkflowNotFoundError)) unreadable.push(agentId);
        return [];
      }
    }),
  );
  return perAgent.flat().sort((a, b) => a.proposal.at.localeCompare(b.proposal.at));
}

/** `user`'s own absence in force (they are the approver who is away), if any. */
export async function absenceOf(client: Client, taskQueue: string, user: string): Promise<Away | undefined> {
  return (await listAway(client, taskQueue)).find((a) => a.approver === user);
}
