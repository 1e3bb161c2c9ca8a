import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { Receipt } from '../workflows/messages';
import {
  awayQuery,
  delegationsWorkflowId,
  endAwayUpdate,
  setAwayUpdate,
  type Away,
} from '../workflows/delegation-messages';
import { delegations } from '../workflows/delegations';
import type { AnswerSigner } from './answer-signer';
import { entityStartOptions } from './entity-start';

/** Raised when the registry refuses an absence or its end; the message says why in a person's words. */
export class DelegationError extends Error {}

/** Where the registry lives and who vouches for the person (the Slack app, or an operator's key). */
export interface DelegationCaller {
  taskQueue: string;
  signer: AnswerSigner;
}

async function answerRegistry<R>(
  client: Client,
  caller: DelegationCaller,
  update: typeof setAwayUpdate | typeof endAwayUpdate,
  args: object,
): Promise<R> {
  const workflowId = delegationsWorkflowId(caller.taskQueue);
  try {
    return (await client.workflow.executeUpdateWithStart(update as typeof setAwayUpdate, {
      args: [caller.signer.sign(workflowId, update.name, args) as never],
      startWorkflowOperation: new WithStartWorkflowOperation(delegations, {
        workflowId,
        ...entityStartOptions(caller.taskQueue),
        args: [],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    })) as R;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw new DelegationError((err.cause as Error | undefined)?.message ?? err.message);
    throw err;
  }
}

/**
 * Declares `by` away until `until` (ISO) with `delegate` answering their requests meanwhile. Only
 * the approver themself declares it, and only with a stand-in the policy allows for them.
 *
 * @throws {DelegationError} with the registry's reason when refused.
 */
export function setAway(
  client: Client,
  caller: DelegationCaller,
  away: { by: string; delegate: string; until: string },
): Promise<Away> {
  return answerRegistry<Away>(client, caller, setAwayUpdate, away);
}

/**
 * Ends an absence: `by`'s own, or (admins) `approver`'s.
 *
 * @throws {DelegationError} when they are not away or `by` may not.
 */
export function endAway(
  client: Client,
  caller: DelegationCaller,
  end: { by: string; approver?: string },
): Promise<Receipt> {
  return answerRegistry<Receipt>(client, caller, endAwayUpdate, end);
}

/** The absences in force; none before the first was declared. */
export async function listAway(client: Client, taskQueue: string): Promise<Away[]> {
  try {
    return await client.workflow.getHandle(delegationsWorkflowId(taskQueue)).query(awayQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}
