import { condition } from '@temporalio/workflow';
import {
  baseNotification,
  closeMainMessage,
  decisionOf,
  note,
  post,
  quick,
  record,
  type TaskContext,
} from '../task-context';
import type { Notification } from '../../activities/notify/notifier';
import { workflowNowMs } from '../clock';

export type ApprovalResult = 'approved' | 'rejected' | 'expired';

/**
 * Rung 2: posts exactly what will happen and waits for an authorised Approve (validated in the
 * update's validator), reminding once after `remindAfter` and expiring after `expireAfter`.
 *
 * @param why - shown above the request when this is a fallback from a higher rung.
 */
export async function awaitApproval(ctx: TaskContext, why?: string): Promise<ApprovalResult> {
  const d = decisionOf(ctx);
  const described = await quick.describeSteps(ctx.input.task.steps);
  const lines = described.map((s, i) => `${i + 1}. ${s.description} (blast radius: ${s.blastRadius})`);
  const reasons = d.reasons.map((r) => `• [${r.rule}] ${r.message}`);
  const text = [
    why ? `Falls back to confirmation: ${why}` : 'Needs your approval before it runs:',
    ...lines,
    ...(reasons.length ? ['Why confirmation:', ...reasons] : []),
    d.typedConfirmation.required ? `Type "${d.typedConfirmation.expected}" to approve.` : '',
  ]
    .filter(Boolean)
    .join('\n');
  ctx.status.waitingOn = `approvers: ${d.approvers.join(', ')}`;
  ctx.waiting = 'approval';
  const askedAt = workflowNowMs();
  await post(
    ctx,
    `approval-request${why ? '-fallback' : ''}`,
    withFields(baseNotification(ctx, 'approval-request', text), {
      stepsHash: ctx.input.stepsHash,
      approvers: d.approvers.join(', '),
    }),
    true,
  );
  // 'awaiting-human' means the request is out; `waiting` was set before posting so an instant click is accepted.
  ctx.status.phase = 'awaiting-human';
  const answered = (): boolean => ctx.human.approval !== undefined || ctx.human.rejection !== undefined;
  const done = await awaitWithEscalation(ctx, answered);
  ctx.waiting = null;
  ctx.status.waitingOn = null;
  if (!done) {
    await closeMainMessage(
      ctx,
      `Expired: nobody approved within the policy's ${Math.round(d.approval.expireAfterMs / 1000)} s.`,
    );
    await record(ctx, 'expired');
    return 'expired';
  }
  const latencyMs = workflowNowMs() - askedAt;
  if (ctx.human.rejection) {
    const { by, reason, at } = ctx.human.rejection;
    await closeMainMessage(ctx, `Rejected by ${by} at ${at}: ${reason}`);
    await record(ctx, 'rejected', { by, latencyMs, detail: reason });
    return 'rejected';
  }
  const { by, at } = ctx.human.approval!;
  ctx.status.approvedBy = by;
  await closeMainMessage(ctx, `Approved by ${by} at ${at}; executing.`);
  await record(ctx, 'approved', { by, latencyMs });
  return 'approved';
}

/**
 * Waits for an answer along a timeline from the policy: the reminder to the channel at
 * `remindAfter`, then each escalation contact whose delay falls before expiry, then expiry.
 *
 * @returns whether an answer came before expiry.
 */
async function awaitWithEscalation(ctx: TaskContext, answered: () => boolean): Promise<boolean> {
  const d = decisionOf(ctx);
  const expireAt = d.approval.expireAfterMs;
  const timeline = [
    {
      at: d.approval.remindAfterMs,
      to: 'channel',
      key: 'approval-reminder',
      text: 'Still waiting for approval',
    },
    ...d.escalation.map((e, i) => ({
      at: e.afterMs,
      to: e.notify === 'owner' ? (ctx.bundle?.owner ?? 'channel') : e.notify,
      key: `approval-escalation-${i}`,
      text: 'Escalated: still waiting for approval',
    })),
  ]
    .filter((step) => step.at < expireAt)
    .sort((a, b) => a.at - b.at);
  let waited = 0;
  for (const step of timeline) {
    if (await condition(answered, Math.max(0, step.at - waited))) return true;
    waited = step.at;
    note(ctx, `approval unanswered after ${Math.round(step.at / 1000)} s: pinged ${step.to}`);
    await post(ctx, step.key, {
      ...baseNotification(ctx, 'approval-reminder', `${step.text}: ${ctx.input.task.title}`),
      to: step.to,
    });
  }
  return condition(answered, Math.max(0, expireAt - waited));
}

/** The approval request: the base notification plus the facts an approver needs, with Approve and Reject. */
function withFields(n: Notification, fields: Record<string, string>): Notification {
  return { ...n, fields: { ...n.fields, ...fields }, actions: ['approve', 'reject'] };
}
