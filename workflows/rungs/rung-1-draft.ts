import {
  baseNotification,
  beside,
  closeMainMessage,
  decisionOf,
  evidenceOf,
  onStepHost,
  quick,
  type TaskContext,
} from '../task-context';
import {
  DRAFT_EXPIRED_TEXT,
  draftAcceptedText,
  draftRejectedText,
  draftText,
} from '../../slack/blocks/task-wording';
import { timelineLabel } from '../task-story';
import { approversOf, askHuman } from './ask-human';
import type { AnswerFacts } from '../../slack/blocks/task-facts';
import { workflowNowMs } from '../clock';
import { fromExecution, type RungResult } from './rung-result';
import { runSteps } from './run-steps';

/**
 * Rung 1, draft. Asks: a reviewer to look at the real artifact (diff, request, command), produced
 * without side effects. Answer: *accept* or *reject* with a reason. Next: accepted, the steps run
 * as drafted; rejected or expired, nothing runs.
 */
export async function draft(ctx: TaskContext): Promise<RungResult> {
  const d = decisionOf(ctx);
  const drafts = [];
  const steps = ctx.input.task.steps;
  for (let index = 0; index < steps.length; index++) {
    drafts.push(
      await quick.draftStep.executeWithOptions(
        { summary: timelineLabel.draftStep(index, steps.length, steps[index]), ...onStepHost(ctx, index) },
        [
          {
            workflowId: ctx.workflowId,
            index,
            step: steps[index],
            allowedHosts: ctx.bundle?.allowedHosts ?? null,
          },
        ],
      ),
    );
  }
  const text = draftText(drafts);
  // Reviewers are the class's approvers, under the same two-person rule as an approval.
  const answer: AnswerFacts = {
    ...approversOf(ctx, d.approvers),
    expiresAt: new Date(workflowNowMs() + d.approval.expireAfterMs).toISOString(),
    onExpiry: { then: 'reject' },
  };
  // How long the reviewer took: the rubber-stamp watch reads it beside the verdict.
  const askedAt = workflowNowMs();
  const answered = await askHuman(ctx, {
    expects: 'draft',
    waitingOn: `reviewers: ${d.approvers.join(', ')}`,
    answerers: answer.mayAnswer,
    key: 'draft',
    message: {
      ...baseNotification(ctx, 'draft', text),
      actions: ['accept', 'draft-reject'],
      facts: { answer },
    },
    answered: () => ctx.human.draft !== undefined,
    expireAfterMs: d.approval.expireAfterMs,
  });
  if (!answered) {
    await closeMainMessage(ctx, DRAFT_EXPIRED_TEXT, [], 'not-run', [evidenceOf(ctx, 'expired')]);
    return fromExecution({ outcome: 'expired', executedSteps: 0 });
  }
  const review = ctx.human.draft!;
  if (!review.accept) {
    await closeMainMessage(ctx, draftRejectedText(review), [], 'not-run', [
      evidenceOf(ctx, 'draft-rejected', {
        by: review.by,
        detail: review.reason,
        latencyMs: workflowNowMs() - askedAt,
      }),
    ]);
    return fromExecution({ outcome: 'draft-rejected', executedSteps: 0 });
  }
  ctx.status.approvedBy = review.by;
  // Off the path to the step, as after an approval; the edit records the acceptance.
  beside(
    ctx,
    closeMainMessage(ctx, draftAcceptedText(review), [], 'not-run', [
      evidenceOf(ctx, 'draft-accepted', { by: review.by, latencyMs: workflowNowMs() - askedAt }),
    ]),
  );
  return fromExecution(await runSteps(ctx, { autonomous: false, compensate: false, healthWatch: false }));
}
