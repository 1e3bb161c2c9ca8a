import type { Notification } from '../../activities/notify/notifier';
import { workflowNowMs } from '../clock';
import {
  baseNotification,
  beside,
  closeMainMessage,
  decisionOf,
  lookingUp,
  record,
  type TaskContext,
} from '../task-context';
import {
  approvalEscalationText,
  approvalExpiredText,
  approvalRejectedText,
  approvalReminderText,
  approvalRequestText,
  approvedText,
} from '../../slack/blocks/task-wording';
import { timelineLabel } from '../task-story';
import { askHuman, type Nudge } from './ask-human';
import { fromExecution, tellFailure, type RungResult } from './rung-result';
import { runSteps } from './run-steps';

export type ApprovalResult = 'approved' | 'rejected' | 'expired';

/**
 * Rung 2, execute with confirmation. Asks: an approver of the class, showing exactly what will
 * run and why a person is asked. Answer: *approve* (bound to these exact steps, from someone other
 * than the requester under the two-person rule, with the typed confirmation where required) or
 * *reject* with a reason. Next: approved, the steps run and the outcome is recorded; otherwise
 * nothing runs.
 *
 * @param why - shown above the request when a higher rung fell back to this one.
 */
export async function confirmThenExecute(ctx: TaskContext, why?: string): Promise<RungResult> {
  const answer = await awaitApproval(ctx, why);
  if (answer !== 'approved') return fromExecution({ outcome: answer, executedSteps: 0 });
  const result = fromExecution(
    await runSteps(ctx, { autonomous: false, compensate: false, healthWatch: false }),
  );
  // rolled-back / rollback-failed are recorded by the unwind itself (a person asked to undo a step).
  if (result.outcome === 'executed' || result.outcome === 'failed') {
    beside(ctx, record(ctx, result.outcome, { detail: result.error ?? undefined }));
  }
  if (result.outcome === 'failed') await tellFailure(ctx, result);
  return result;
}

/**
 * Posts exactly what will happen and waits for an authorised answer (validated in the update's
 * validator), reminding and escalating on the policy's timeline and expiring after `expireAfter`.
 * Also where an autonomous step falls back to when the policy no longer allows it.
 */
export async function awaitApproval(ctx: TaskContext, why?: string): Promise<ApprovalResult> {
  const d = decisionOf(ctx);
  const described = await lookingUp.describeSteps.executeWithOptions(
    { summary: timelineLabel.describeSteps() },
    [ctx.input.task.steps],
  );
  const typedName = d.typedConfirmation.required ? d.typedConfirmation.expected : null;
  const text = approvalRequestText({ fallbackReason: why, steps: described, reasons: d.reasons, typedName });
  const askedAt = workflowNowMs();
  const nudges: Nudge[] = [
    {
      atMs: d.approval.remindAfterMs,
      kind: 'approval-reminder',
      to: 'channel',
      key: 'approval-reminder',
      text: approvalReminderText(ctx.input.task.title),
    },
    ...d.escalation.map((e, i) => ({
      atMs: e.afterMs,
      kind: 'approval-reminder' as const,
      to: e.notify === 'owner' ? (ctx.bundle?.owner ?? 'channel') : e.notify,
      key: `approval-escalation-${i}`,
      text: approvalEscalationText(ctx.input.task.title),
    })),
  ];
  const answered = await askHuman(ctx, {
    expects: 'approval',
    waitingOn: `approvers: ${d.approvers.join(', ')}`,
    // Under the two-person rule the requester cannot release the task: it does not wait on them.
    answerers: d.twoPersonRule ? d.approvers.filter((a) => a !== ctx.input.task.requester) : d.approvers,
    key: `approval-request${why ? '-fallback' : ''}`,
    message: withFields(
      baseNotification(ctx, 'approval-request', text),
      {
        stepsHash: ctx.input.stepsHash,
        approvers: d.approvers.join(', '),
      },
      typedName,
    ),
    answered: () => ctx.human.approval !== undefined || ctx.human.rejection !== undefined,
    expireAfterMs: d.approval.expireAfterMs,
    nudges,
  });
  if (!answered) {
    await closeMainMessage(ctx, approvalExpiredText(d.approval.expireAfterMs));
    await record(ctx, 'expired');
    return 'expired';
  }
  const latencyMs = workflowNowMs() - askedAt;
  if (ctx.human.rejection) {
    const { by, reason, at } = ctx.human.rejection;
    await closeMainMessage(ctx, approvalRejectedText({ by, at, reason }));
    await record(ctx, 'rejected', { by, latencyMs, detail: reason });
    return 'rejected';
  }
  const { by, at } = ctx.human.approval!;
  ctx.status.approvedBy = by;
  // Off the path to the step: the step is scheduled in the same workflow task as these.
  beside(ctx, closeMainMessage(ctx, approvedText({ by, at })));
  beside(ctx, record(ctx, 'approved', { by, latencyMs }));
  return 'approved';
}

/**
 * The approval request: the base notification plus the facts an approver needs, with Approve (the
 * typed Approve, carrying the name to type, where the policy asks for one) and Reject.
 */
function withFields(n: Notification, fields: Record<string, string>, typed: string | null): Notification {
  return {
    ...n,
    fields: { ...n.fields, ...fields, ...(typed !== null ? { typedConfirmation: typed } : {}) },
    actions: [typed !== null ? 'approve-typed' : 'approve', 'reject'],
  };
}
