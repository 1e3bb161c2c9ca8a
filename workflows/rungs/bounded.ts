import { condition } from '@temporalio/workflow';
import type { QuotaReply } from '../messages';
import { decisionOf, quick, type TaskContext } from '../task-context';

/**
 * Rung 3+: reserves one autonomous execution in the agent's daily quota ledger. The ledger
 * serialises concurrent requests, so with a quota of M exactly M tasks are granted.
 *
 * @param reply - reads the ledger's answer (set by the quotaReply signal handler).
 */
export async function reserveAutonomy(
  ctx: TaskContext,
  reply: () => QuotaReply | undefined,
): Promise<{ granted: boolean; reason: string }> {
  const d = decisionOf(ctx);
  const bundle = ctx.bundle!;
  if (!bundle.limits) return { granted: false, reason: 'the task class defines no daily bounds' };
  ctx.status.phase = 'reserving-quota';
  ctx.status.waitingOn = 'daily quota ledger';
  const costUsd = ctx.input.task.steps.reduce((sum, s) => sum + (s.costUsd ?? 0), 0);
  await quick.requestQuota({
    agentId: d.agentId,
    taskClass: d.taskClass,
    day: bundle.day,
    request: { requesterWorkflowId: ctx.workflowId, costUsd, limits: bundle.limits },
  });
  const answered = await condition(() => reply() !== undefined, '2 minutes');
  ctx.status.waitingOn = null;
  if (!answered) return { granted: false, reason: 'the daily quota ledger did not answer within 2 minutes' };
  const r = reply()!;
  return r.granted ? { granted: true, reason: '' } : { granted: false, reason: r.reason ?? 'quota refused' };
}
