import {
  baseNotification,
  closeMainMessage,
  decisionOf,
  describeForPeople,
  evidenceOf,
  type TaskContext,
} from '../task-context';
import {
  SUGGESTION_EXPIRED_TEXT,
  suggestionResolvedText,
  suggestionText,
} from '../../slack/blocks/task-wording';
import { askHuman } from './ask-human';
import { workflowNowMs } from '../clock';
import { fromExecution, type RungResult } from './rung-result';

/**
 * Rung 0, suggest. Asks: the requester or an approver to do the proposed steps themselves.
 * Answer: *done* or *dismissed*. Next: nothing runs; the task ends with the answer, or expires.
 */
export async function suggest(ctx: TaskContext): Promise<RungResult> {
  const d = decisionOf(ctx);
  const described = await describeForPeople(ctx);
  const text = suggestionText(described.map((s) => s.description));
  const askedAt = workflowNowMs();
  const answered = await askHuman(ctx, {
    expects: 'suggestion',
    waitingOn: `requester ${ctx.input.task.requester} or approvers`,
    answerers: [ctx.input.task.requester, ...d.approvers],
    key: 'suggestion',
    message: {
      ...baseNotification(ctx, 'suggestion', text),
      actions: ['done', 'dismiss'],
      // The requester may answer a suggestion too: nothing runs, so no two-person rule applies.
      facts: {
        answer: {
          mayAnswer: [...new Set([ctx.input.task.requester, ...d.approvers])],
          expiresAt: new Date(workflowNowMs() + d.approval.expireAfterMs).toISOString(),
          onExpiry: { then: 'reject' },
        },
      },
    },
    answered: () => ctx.human.suggestion !== undefined,
    expireAfterMs: d.approval.expireAfterMs,
  });
  if (!answered) {
    await closeMainMessage(ctx, SUGGESTION_EXPIRED_TEXT, [], 'suggested', [evidenceOf(ctx, 'expired')]);
    return fromExecution({ outcome: 'expired', executedSteps: 0 });
  }
  const { by, resolution, at } = ctx.human.suggestion!;
  const outcome = resolution === 'done' ? 'suggestion-done' : 'suggestion-dismissed';
  await closeMainMessage(ctx, suggestionResolvedText({ resolution, by, at }), [], 'suggested', [
    evidenceOf(ctx, outcome, { by, latencyMs: workflowNowMs() - askedAt }),
  ]);
  return fromExecution({ outcome, executedSteps: 0 });
}
