import { failureText, finalOutcomeText } from '../../slack/blocks/outcome-wording';
import type { TaskOutcome } from '../messages';
import { baseNotification, post, stepsFacts, type TaskContext } from '../task-context';
import type { ExecutionResult } from './run-steps';

/** How a rung ended: the task's outcome, steps that ran, whether its report was read, the error. */
export interface RungResult {
  outcome: TaskOutcome;
  executedSteps: number;
  /** Rung 5: whether the report was read in time; null elsewhere. */
  reportRead: boolean | null;
  error: string | null;
}

/** A {@link RungResult} of a run of steps (or of a question that ended without one). */
export function fromExecution(
  result: ExecutionResult | { outcome: TaskOutcome; executedSteps: number },
): RungResult {
  return {
    outcome: result.outcome,
    executedSteps: result.executedSteps,
    reportRead: null,
    error: 'error' in result ? result.error : null,
  };
}

/** People hear about a failed execution (which step, what error) without having to look for it. */
export async function tellFailure(ctx: TaskContext, result: RungResult): Promise<void> {
  await post(ctx, 'failed', {
    ...baseNotification(
      ctx,
      'outcome',
      failureText({
        executedSteps: result.executedSteps,
        totalSteps: ctx.input.task.steps.length,
        error: result.error,
      }),
    ),
    to: ctx.bundle?.owner ?? 'channel',
    facts: { steps: stepsFacts(ctx, 'not-run') },
  });
}

/**
 * One line on how an executed task ended ({@link finalOutcomeText}), from the task's facts: who
 * approved the steps or accepted the draft, and at rung 5 who read the report (`reportRead` true)
 * or that nobody did in time (false).
 */
export function finalMessageText(
  ctx: TaskContext,
  outcome: TaskOutcome,
  executedSteps: number,
  reportRead: boolean | null,
): string {
  const approval = ctx.human.approval ?? (ctx.human.draft?.accept ? ctx.human.draft : undefined);
  const report = reportRead === false ? false : reportRead === true ? ctx.human.reportRead : undefined;
  return finalOutcomeText({
    outcome,
    executedSteps,
    totalSteps: ctx.input.task.steps.length,
    approval,
    ...(ctx.bundle?.standing ? { standing: ctx.bundle.standing } : {}),
    report,
  });
}
