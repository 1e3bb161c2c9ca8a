import { cancelledWithUnknownOutcomeText } from '../../slack/blocks/outcome-wording';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  isCancellation,
} from '@temporalio/workflow';
import type { AutonomyWithdrawn } from '../../activities/task-activities';
import { STEP_PRIORITY } from '../activity-profiles';
import { AUTONOMY_WITHDRAWN } from '../messages';
import {
  acting,
  baseNotification,
  fallBackToConfirmation,
  note,
  onStepHost,
  post,
  record,
  recordStep,
  stepsFacts,
  tellStory,
  type TaskContext,
  redirectPlace,
} from '../task-context';
import { stepOutcomeFacts } from '../../slack/blocks/task-facts';
import { timelineLabel } from '../task-story';
import { awaitApproval } from './rung-2-confirm';
import { settleEffect, type Settled } from './outcome-unknown';
import { HealthCheckFailed, unwind, watchHealth } from './rung-4-rollback';

export type ExecutionResult =
  | { outcome: 'executed'; executedSteps: number }
  | { outcome: 'failed'; executedSteps: number; error: string }
  | { outcome: 'rolled-back'; executedSteps: number; error: string }
  | { outcome: 'rollback-failed'; executedSteps: number; error: string }
  | { outcome: 'rejected' | 'expired'; executedSteps: number };

export interface ExecutionOptions {
  /** Re-check the policy (kill switch) before each step and fall back to confirmation if it no longer allows autonomy. */
  autonomous: boolean;
  /** Record compensations and unwind on failure, cancellation or a failed health watch (rung 4+). */
  compensate: boolean;
  /** Watch health for the policy's window after the last step (rung 4+). */
  healthWatch: boolean;
}

/** A person asked to undo a step whose outcome was unknown. */
class UndoRequested extends Error {}

/**
 * Runs the task's steps in order. With `compensate`, each step's compensation is recorded before
 * it runs and, on failure, cancellation or a failed health watch, completed steps are undone in
 * reverse inside a non-cancellable scope (runWithCompensation, the saga).
 */
export async function runSteps(ctx: TaskContext, options: ExecutionOptions): Promise<ExecutionResult> {
  // The point of no return for the agent: a withdrawal it was told was accepted (while a standing
  // approval's message was posted, say) is never followed by a step, and none is accepted after.
  if (ctx.withdrawnAt) throw new CancelledFailure('withdrawn by the agent');
  ctx.stepsBegan = true;
  const steps = ctx.input.task.steps;
  const allowedHosts = ctx.bundle?.allowedHosts ?? null;
  const compensations: { index: number; undo: unknown; done: boolean }[] = [];
  let autonomous = options.autonomous;
  let executed = 0;
  ctx.status.phase = 'executing';
  const ran = (): void => {
    executed++;
    ctx.executedSteps = executed;
  };
  try {
    for (let index = 0; index < steps.length; index++) {
      ctx.status.currentStep = index;
      tellStory(ctx);
      const entry = { index, undo: undefined as unknown, done: false };
      if (options.compensate) compensations.push(entry); // recorded before the step runs
      const ref = {
        workflowId: ctx.workflowId,
        index,
        step: steps[index],
        allowedHosts,
        place: redirectPlace(ctx, autonomous),
        // Re-checked by the step's own activity, right before the effect: no extra round trip.
        ...(autonomous ? { autonomousTask: ctx.input.task } : {}),
      };
      let settled: Settled<unknown>;
      try {
        settled = await settleEffect(ctx, index, 'execute', (resolution) =>
          acting.executeStep.executeWithOptions(
            {
              summary: timelineLabel.executeStep(index, steps.length, steps[index], resolution?.answer),
              priority: STEP_PRIORITY,
              ...onStepHost(ctx, index),
            },
            [{ ...ref, ...(resolution ? { resolution } : {}) }],
          ),
        );
      } catch (err) {
        const withdrawn = autonomyWithdrawnOf(err);
        if (withdrawn === undefined) throw err;
        const { why, mayHaveRun } = withdrawn;
        if (mayHaveRun) {
          // A retry was refused after an earlier attempt that may have acted: its compensation
          // stays (a rejection below undoes what it journaled), and people see it as failed.
          recordStep(ctx, index, {
            status: 'failed',
            error: `an earlier attempt may have changed something before it failed; then autonomy was withdrawn (${why})`,
          });
        } else if (options.compensate) compensations.pop(); // it did not run: nothing of it to undo
        autonomous = false;
        note(ctx, `fell back to confirmation before step ${index + 1}: ${why}`);
        // Recorded at the rung that was withdrawn; what follows runs, and is recorded, at rung 2.
        await record(ctx, 'fell-back', { detail: why });
        fallBackToConfirmation(ctx, why, index);
        const answer = await awaitApproval(ctx, why);
        if (answer !== 'approved') {
          if (options.compensate && compensations.length > 0) {
            await unwind(ctx, compensations, allowedHosts, `not approved after fallback (${answer})`);
          }
          return { outcome: answer, executedSteps: executed };
        }
        ctx.status.phase = 'executing';
        // The same step again, now approved by a person: its next attempt records its compensation anew.
        if (mayHaveRun) {
          if (options.compensate) compensations.pop();
          recordStep(ctx, index, { status: 'to-run', error: undefined });
        }
        index--;
        continue;
      }
      if ('undo' in settled) {
        // A person said to undo an effect whose outcome was unknown: take it as having run (its
        // undo record comes from the journal), then undo it with the rest.
        entry.undo = await acting.executeStep.executeWithOptions(
          {
            summary: timelineLabel.executeStep(index, steps.length, steps[index], 'ran'),
            ...onStepHost(ctx, index),
          },
          [{ ...ref, autonomousTask: undefined, resolution: { answer: 'ran', marker: '' } }],
        );
        entry.done = true;
        ran();
        recordStep(ctx, index, { status: 'ran', ...stepOutcomeFacts(steps[index], entry.undo) });
        if (!options.compensate) compensations.push(entry);
        throw new UndoRequested(
          `the outcome of step ${index + 1} was unknown and ${settled.undo.by} asked to undo it at ${settled.undo.at}`,
        );
      }
      entry.undo = settled.value;
      entry.done = true;
      ran();
      recordStep(ctx, index, { status: 'ran', ...stepOutcomeFacts(steps[index], settled.value) });
    }
    if (options.healthWatch) await watchHealth(ctx, allowedHosts);
    return { outcome: 'executed', executedSteps: executed };
  } catch (err) {
    // A running step that was cancelled may fail with its own error (e.g. its process was killed):
    // the task's scope tells whether this is a cancellation.
    const cancelled = isCancellation(err) || CancellationScope.current().consideredCancelled;
    const error = cancelled
      ? 'cancelled'
      : err instanceof HealthCheckFailed || err instanceof UndoRequested
        ? err.message
        : describeError(err);
    markInterruptedStep(ctx, error, err instanceof HealthCheckFailed || err instanceof UndoRequested);
    if (!options.compensate && err instanceof UndoRequested) {
      // Below rung 4 nothing else is undone: only the step the person asked about.
      const unwound = await unwind(ctx, compensations, allowedHosts, error);
      return unwound
        ? { outcome: 'rolled-back', executedSteps: executed, error }
        : { outcome: 'rollback-failed', executedSteps: executed, error };
    }
    if (!options.compensate) {
      if (cancelled && ctx.unresolvedOutcome) await tellUnresolved(ctx);
      if (cancelled) throw isCancellation(err) ? err : new CancelledFailure('cancelled');
      return { outcome: 'failed', executedSteps: executed, error };
    }
    const unwound = await unwind(ctx, compensations, allowedHosts, error);
    if (cancelled) throw isCancellation(err) ? err : new CancelledFailure('cancelled');
    return unwound
      ? { outcome: 'rolled-back', executedSteps: executed, error }
      : { outcome: 'rollback-failed', executedSteps: executed, error };
  }
}

/**
 * The step running when the run stopped, for messages: its outcome unknown when nobody answered
 * about it, else failed with `error` (unless it had completed, or the stop came after the steps:
 * a failed health check, a person's undo).
 */
function markInterruptedStep(ctx: TaskContext, error: string, afterSteps: boolean): void {
  const index = ctx.status.currentStep;
  if (ctx.unresolvedOutcome?.stage === 'execute') {
    recordStep(ctx, ctx.unresolvedOutcome.step, { status: 'outcome-unknown' });
    return;
  }
  if (afterSteps || ctx.stepRuns[index]?.status === 'ran') return;
  recordStep(ctx, index, { status: 'failed', error });
}

/** Below rung 4 nothing is undone on cancel; the owner still hears of a step nobody accounted for. */
async function tellUnresolved(ctx: TaskContext): Promise<void> {
  const { step } = ctx.unresolvedOutcome!;
  await CancellationScope.nonCancellable(() =>
    post(ctx, 'cancelled-unresolved', {
      ...baseNotification(ctx, 'outcome', cancelledWithUnknownOutcomeText(step)),
      to: ctx.bundle?.owner ?? 'channel',
      facts: { steps: stepsFacts(ctx, 'not-run') },
    }),
  );
}

/**
 * Why the re-check before an autonomous step refused it, and whether an earlier attempt may have
 * acted (absent details count as may have: the safe side); undefined for any other failure.
 */
function autonomyWithdrawnOf(err: unknown): { why: string; mayHaveRun: boolean } | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || cause.type !== AUTONOMY_WITHDRAWN) return undefined;
  const details = cause.details?.[0] as Partial<AutonomyWithdrawn> | undefined;
  return { why: cause.message, mayHaveRun: details?.mayHaveRun !== false };
}

/** An error's message with its cause, for people and the event list. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
