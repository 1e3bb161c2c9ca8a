import type { Client } from '@temporalio/client';
import { quoted } from './visibility-query';
import { entityTaskQueue } from './entity-start';
import { refreshAuthoritySignal } from '../workflows/messages';

/**
 * The entity workflows that hold a copy of the policy's authority (admins, approvers, answer keys)
 * and reload it on `refreshAuthority`: without the signal, each reloads on its own clock, up to 10
 * minutes after a policy change.
 */
export const AUTHORITY_HOLDERS = [
  'trustLedger',
  'killSwitch',
  'standingApprovals',
  'delegations',
  'agentTokens',
  'approverWatch',
] as const;

/** The visibility query for the running authority holders of the deployment on `taskQueue` (they run on its entity queue). */
export function authorityHoldersQuery(taskQueue: string): string {
  return [
    `TaskQueue = ${quoted(entityTaskQueue(taskQueue), 'task queue')}`,
    `ExecutionStatus = 'Running'`,
    `WorkflowType IN (${AUTHORITY_HOLDERS.map((t) => `'${t}'`).join(', ')})`,
  ].join(' AND ');
}

/**
 * Asks every running entity workflow of `taskQueue` to reload its authority now, so a removed
 * approver or admin, or a revoked key, stops counting there at once rather than at the entity's
 * next scheduled reload. One that ended meanwhile is skipped; the others are still asked.
 *
 * @returns how many were asked, and the errors of those that could not be (by workflow id).
 */
export async function refreshEntityAuthorities(
  client: Client,
  taskQueue: string,
): Promise<{ signalled: number; failed: { workflowId: string; error: string }[] }> {
  let signalled = 0;
  const failed: { workflowId: string; error: string }[] = [];
  for await (const execution of client.workflow.list({ query: authorityHoldersQuery(taskQueue) })) {
    try {
      await client.workflow.getHandle(execution.workflowId).signal(refreshAuthoritySignal);
      signalled += 1;
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') continue;
      failed.push({ workflowId: execution.workflowId, error: (err as Error).message });
    }
  }
  return { signalled, failed };
}
