import { condition } from '@temporalio/workflow';
import {
  baseNotification,
  closeMainMessage,
  decisionOf,
  post,
  quick,
  record,
  type TaskContext,
} from '../task-context';
import { runSteps, type ExecutionResult } from './execute';

/** Rung 1: produces the real artifact (diff, request, command) for review; applies it only when accepted. */
export async function draft(
  ctx: TaskContext,
): Promise<ExecutionResult | { outcome: 'draft-rejected' | 'expired'; executedSteps: 0 }> {
  const d = decisionOf(ctx);
  const drafts = [];
  for (let index = 0; index < ctx.input.task.steps.length; index++) {
    drafts.push(
      await quick.draftStep({
        workflowId: ctx.workflowId,
        index,
        step: ctx.input.task.steps[index],
        allowedHosts: ctx.bundle?.allowedHosts ?? null,
      }),
    );
  }
  const text = [
    'Draft for review (nothing applied yet):',
    ...drafts.map((dr, i) => `--- step ${i + 1} (${dr.kind}) ---\n${dr.text}`),
  ].join('\n');
  ctx.status.waitingOn = `reviewers: ${d.approvers.join(', ')}`;
  ctx.waiting = 'draft';
  await post(ctx, 'draft', { ...baseNotification(ctx, 'draft', text), actions: ['accept', 'reject'] }, true);
  // 'awaiting-human' means the request is out; `waiting` was set before posting so an instant click is accepted.
  ctx.status.phase = 'awaiting-human';
  const answered = await condition(() => ctx.human.draft !== undefined, d.approval.expireAfterMs);
  ctx.waiting = null;
  ctx.status.waitingOn = null;
  if (!answered) {
    await closeMainMessage(ctx, 'Expired: the draft was not reviewed in time.');
    await record(ctx, 'expired');
    return { outcome: 'expired', executedSteps: 0 };
  }
  const review = ctx.human.draft!;
  if (!review.accept) {
    await closeMainMessage(
      ctx,
      `Draft rejected by ${review.by} at ${review.at}${review.reason ? `: ${review.reason}` : ''}.`,
    );
    await record(ctx, 'draft-rejected', { by: review.by, detail: review.reason });
    return { outcome: 'draft-rejected', executedSteps: 0 };
  }
  ctx.status.approvedBy = review.by;
  await closeMainMessage(ctx, `Draft accepted by ${review.by} at ${review.at}; applying.`);
  await record(ctx, 'draft-accepted', { by: review.by });
  return runSteps(ctx, { autonomous: false, compensate: false, healthWatch: false });
}
