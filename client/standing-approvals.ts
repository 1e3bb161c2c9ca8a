import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { ShownMessage } from '../policy/answer-proof';
import type { Receipt } from '../workflows/messages';
import {
  grantStandingApprovalUpdate,
  revokeStandingApprovalUpdate,
  standingApprovalsQuery,
  standingApprovalsWorkflowId,
  useStandingApprovalUpdate,
  type GrantStandingArgs,
  type RevokeStandingArgs,
  type StandingApproval,
  type StandingUse,
  type StandingUseRequest,
} from '../workflows/standing-approval-messages';
import { standingApprovals } from '../workflows/standing-approvals';
import { answerEntity, type EntityCaller } from './entity-answer';

/** Raised when the registry refuses a grant or revoke; the message says why in a person's words. */
export class StandingApprovalError extends Error {}

/** Where the registry lives, who vouches for the person (the Slack app, or an operator's key), how long to try. */
export type StandingCaller = EntityCaller;

const answerRegistry = <R, A extends object>(
  client: Client,
  caller: StandingCaller,
  update: UpdateDefinition<R, [A]>,
  args: A,
): Promise<R> =>
  answerEntity(
    client,
    {
      ...caller,
      workflowId: standingApprovalsWorkflowId(caller.taskQueue),
      workflow: standingApprovals,
      whereToLook: '`/ladder approvals` in Slack (or `ladder approvals`) lists those in force',
    },
    update,
    args,
    (reason) => new StandingApprovalError(reason),
  );

/**
 * Grants a standing approval: `grant.by` allows the agent the action on the resource in the
 * environment for `termMs` milliseconds, at most `maxUses` tasks. The registry checks the proof,
 * that `by` approves the class (or is an admin) and the class's limits.
 *
 * @throws {StandingApprovalError} with the registry's reason when refused.
 */
export function grantStandingApproval(
  client: Client,
  caller: StandingCaller,
  grant: Omit<GrantStandingArgs, 'proof'> & { shown?: ShownMessage },
): Promise<StandingApproval> {
  return answerRegistry(client, caller, grantStandingApprovalUpdate, grant as GrantStandingArgs);
}

/**
 * Revokes a standing approval at once: tasks decided after this are asked again.
 *
 * @throws {StandingApprovalError} when there is no such approval, it has ended, or `by` may not.
 */
export function revokeStandingApproval(
  client: Client,
  caller: StandingCaller,
  revoke: Omit<RevokeStandingArgs, 'proof'> & { shown?: ShownMessage },
): Promise<Receipt> {
  return answerRegistry(client, caller, revokeStandingApprovalUpdate, revoke as RevokeStandingArgs);
}

/** Every standing approval kept (in force, and those ended in the last day); none before the first grant. */
export async function listStandingApprovals(client: Client, taskQueue: string): Promise<StandingApproval[]> {
  try {
    return await client.workflow
      .getHandle(standingApprovalsWorkflowId(taskQueue))
      .query(standingApprovalsQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}

/**
 * Uses a standing approval for a task (from the decision activity), or answers null when none
 * covers it or none was ever granted. Asking again for the same task gets the same use.
 */
export async function useStandingApproval(
  client: Client,
  taskQueue: string,
  request: StandingUseRequest,
): Promise<StandingUse | null> {
  try {
    return await client.workflow
      .getHandle(standingApprovalsWorkflowId(taskQueue))
      .executeUpdate(useStandingApprovalUpdate, { args: [request] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
