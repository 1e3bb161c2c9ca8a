import { condition } from '@temporalio/workflow';
import type { TaskOutcome } from '../messages';
import {
  baseNotification,
  closeMainMessage,
  decisionOf,
  post,
  quick,
  record,
  type TaskContext,
} from '../task-context';

/** Rung 0: posts the proposed action and executes nothing; waits (until expiry) for done or dismissed. */
export async function suggest(ctx: TaskContext): Promise<TaskOutcome> {
  const d = decisionOf(ctx);
  const described = await quick.describeSteps(ctx.input.task.steps);
  const text = [
    'Suggested (Ladder will not run this; do it yourself if you agree):',
    ...described.map((s, i) => `${i + 1}. ${s.description}`),
  ].join('\n');
  ctx.status.waitingOn = `requester ${ctx.input.task.requester} or approvers`;
  ctx.waiting = 'suggestion';
  await post(
    ctx,
    'suggestion',
    { ...baseNotification(ctx, 'suggestion', text), actions: ['done', 'dismiss'] },
    true,
  );
  // 'awaiting-human' means the request is out; `waiting` was set before posting so an instant click is accepted.
  ctx.status.phase = 'awaiting-human';
  const answered = await condition(() => ctx.human.suggestion !== undefined, d.approval.expireAfterMs);
  ctx.waiting = null;
  if (!answered) {
    await closeMainMessage(ctx, 'Expired: nobody marked the suggestion done or dismissed.');
    await record(ctx, 'expired');
    return 'expired';
  }
  const { by, resolution, at } = ctx.human.suggestion!;
  await closeMainMessage(ctx, `${resolution === 'done' ? 'Done' : 'Dismissed'} by ${by} at ${at}.`);
  await record(ctx, resolution === 'done' ? 'suggestion-done' : 'suggestion-dismissed', { by });
  return resolution === 'done' ? 'suggestion-done' : 'suggestion-dismissed';
}
