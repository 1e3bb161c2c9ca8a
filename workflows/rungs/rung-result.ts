import type { TaskOutcome } from '../messages';
import { baseNotification, post, type TaskContext } from '../task-context';
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
      `Failed after ${result.executedSteps} of ${ctx.input.task.steps.length} step(s): ${result.error ?? 'unknown error'}. Steps that ran were not undone at this rung.`,
    ),
    to: ctx.bundle?.owner ?? 'channel',
  });
}

const OUTCOME_WORDS: Partial<Record<TaskOutcome, string>> = {
  executed: 'Executed',
  failed: 'Failed',
  'rolled-back': 'Rolled back',
  'rollback-failed': 'INCIDENT: rollback failed',
};

/** One line on how an executed task ended: outcome, steps, who approved, who read the report. */
export function finalMessageText(
  ctx: TaskContext,
  outcome: TaskOutcome,
  executedSteps: number,
  reportRead: boolean | null,
): string {
  const parts = [
    `${OUTCOME_WORDS[outcome] ?? outcome}: ${executedSteps} of ${ctx.input.task.steps.length} step(s) ran.`,
  ];
  const approval = ctx.human.approval ?? (ctx.human.draft?.accept ? ctx.human.draft : undefined);
  if (approval) parts.push(`Approved by ${approval.by} at ${approval.at}.`);
  if (reportRead === true && ctx.human.reportRead)
    parts.push(`Report read by ${ctx.human.reportRead.by} at ${ctx.human.reportRead.at}.`);
  if (reportRead === false) parts.push('Report unread past its read SLA.');
  return parts.join(' ');
}
