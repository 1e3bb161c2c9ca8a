import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { Receipt } from '../workflows/messages';
import {
  awayQuery,
  delegationsWorkflowId,
  endAwayUpdate,
  setAwayUpdate,
  type Away,
  type EndAwayArgs,
  type SetAwayArgs,
} from '../workflows/delegation-messages';
import { delegations } from '../workflows/delegations';
import { answerEntity, type EntityCaller } from './entity-answer';

/** Raised when the registry refuses an absence or its end; the message says why in a person's words. */
export class DelegationError extends Error {}

/** Where the registry lives, who vouches for the person (the Slack app, or an operator's key), how long to try. */
export type DelegationCaller = EntityCaller;

const answerRegistry = <R, A extends object>(
  client: Client,
  caller: DelegationCaller,
  update: UpdateDefinition<R, [A]>,
  args: A,
): Promise<R> =>
  answerEntity(
    client,
    { ...caller, workflowId: delegationsWorkflowId(caller.taskQueue), workflow: delegations },
    update,
    args,
    (reason) => new DelegationError(reason),
  );

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
  return answerRegistry(client, caller, setAwayUpdate, away as SetAwayArgs);
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
  return answerRegistry(client, caller, endAwayUpdate, end as EndAwayArgs);
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
