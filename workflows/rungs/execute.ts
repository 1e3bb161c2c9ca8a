import { CancellationScope, CancelledFailure, isCancellation, sleep } from '@temporalio/workflow';
import {
  acting,
  baseNotification,
  compensating,
  deciding,
  decisionOf,
  note,
  post,
  quick,
  record,
  type TaskContext,
} from '../task-context';
import { awaitApproval } from './confirm';
import { settleEffect } from './outcome-unknown';

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

class HealthCheckFailed extends Error {}
/** A person asked to undo a step whose outcome was unknown. */
class UndoRequested extends Error {}

/**
 * Runs the task's steps in order. With `compensate`, each step's compensation is recorded before
 * it runs and, on failure, cancellation or a failed health watch, completed steps are undone in
 * reverse inside a non-cancellable scope (runWithCompensation, the saga).
 */
export async function runSteps(ctx: TaskContext, options: ExecutionOptions): Promise<ExecutionResult> {
  const steps = ctx.input.task.steps;
  const allowedHosts = ctx.bundle?.allowedHosts ?? null;
  const compensations: { index: number; undo: unknown; done: boolean }[] = [];
  let autonomous = options.autonomous;
  let executed = 0;
  ctx.status.phase = 'executing';
  try {
    for (let index = 0; index < steps.length; index++) {
      ctx.status.currentStep = index;
      if (autonomous) {
        const now = await deciding.recheckAutonomy(ctx.input.task);
        if (now.rung < 3) {
          autonomous = false;
          const why = `the policy in force now (${now.policyVersion}) allows rung ${now.rung}: ${now.reasons.join('; ')}`;
          note(ctx, `fell back to confirmation before step ${index + 1}: ${why}`);
          await record(ctx, 'fell-back', { detail: why });
          const answer = await awaitApproval(ctx, why);
          if (answer !== 'approved') {
            if (options.compensate && compensations.length > 0) {
              await unwind(ctx, compensations, allowedHosts, `not approved after fallback (${answer})`);
            }
            return { outcome: answer, executedSteps: executed };
          }
          ctx.status.phase = 'executing';
        }
      }
      const entry = { index, undo: undefined as unknown, done: false };
      if (options.compensate) compensations.push(entry); // recorded before the step runs
      const ref = { workflowId: ctx.workflowId, index, step: steps[index], allowedHosts };
      const settled = await settleEffect(ctx, index, 'execute', (resolution) =>
        acting.executeStep({ ...ref, ...(resolution ? { resolution } : {}) }),
      );
      if ('undo' in settled) {
        // A person said to undo an effect whose outcome was unknown: take it as having run (its
        // undo record comes from the journal), then undo it with the rest.
        entry.undo = await acting.executeStep({ ...ref, resolution: { answer: 'ran', marker: '' } });
        entry.done = true;
        executed++;
        if (!options.compensate) compensations.push(entry);
        throw new UndoRequested(
          `the outcome of step ${index + 1} was unknown and ${settled.undo.by} asked to undo it at ${settled.undo.at}`,
        );
      }
      entry.undo = settled.value;
      entry.done = true;
      executed++;
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

async function watchHealth(ctx: TaskContext, allowedHosts: string[] | null): Promise<void> {
  const rollback = decisionOf(ctx).rollback;
  if (!rollback) return;
  ctx.status.phase = 'health-watch';
  const checks = Math.max(1, Math.ceil(rollback.healthWindowMs / rollback.healthIntervalMs));
  for (let i = 0; i < checks; i++) {
    for (let index = 0; index < ctx.input.task.steps.length; index++) {
      const v = await quick.verifyStep({
        workflowId: ctx.workflowId,
        index,
        step: ctx.input.task.steps[index],
        allowedHosts,
      });
      if (!v.healthy) throw new HealthCheckFailed(`health check failed after step ${index + 1}: ${v.detail}`);
    }
    if (i < checks - 1) await sleep(rollback.healthIntervalMs);
  }
}

/** Undoes completed steps in reverse, even when the workflow is being cancelled. Returns false if any compensation failed. */
async function unwind(
  ctx: TaskContext,
  compensations: { index: number; undo: unknown; done: boolean }[],
  allowedHosts: string[] | null,
  why: string,
): Promise<boolean> {
  return CancellationScope.nonCancellable(async () => {
    ctx.status.phase = 'rolling-back';
    const failures: string[] = [];
    let undone = 0;
    for (const c of [...compensations].reverse()) {
      const ref = {
        workflowId: ctx.workflowId,
        index: c.index,
        step: ctx.input.task.steps[c.index],
        allowedHosts,
      };
      if (!c.done && ctx.unresolvedOutcome?.step === c.index) {
        // Nobody said whether it ran before the cancellation: neither undo it blindly nor pretend.
        failures.push(
          `step ${c.index + 1}: its outcome was still unknown when the task was cancelled; check the destination and undo it by hand if it ran`,
        );
        continue;
      }
      if (!c.done) {
        // The step failed or was cancelled part-way; undo what its handler journaled before acting.
        try {
          const settled = await settleEffect(ctx, c.index, 'compensate', (resolution) =>
            compensating.compensateInterruptedStep({ ...ref, ...(resolution ? { resolution } : {}) }),
          );
          if ('value' in settled && settled.value) undone++;
        } catch (err) {
          failures.push(`step ${c.index + 1} (interrupted): ${describeError(err)}`);
        }
        continue;
      }
      try {
        await settleEffect(ctx, c.index, 'compensate', (resolution) =>
          compensating.compensateStep({ ...ref, undo: c.undo, ...(resolution ? { resolution } : {}) }),
        );
        undone++;
      } catch (err) {
        failures.push(`step ${c.index + 1}: ${describeError(err)}`);
      }
    }
    if (failures.length === 0) {
      note(ctx, `rolled back ${undone} step(s): ${why}`);
      await post(
        ctx,
        'rollback',
        baseNotification(ctx, 'rollback', `Rolled back ${undone} step(s) because ${why}.`),
      );
      await record(ctx, 'rolled-back', { detail: why });
      return true;
    }
    note(ctx, `rollback failed: ${failures.join('; ')}`);
    await post(ctx, 'rollback-failed', {
      ...baseNotification(
        ctx,
        'rollback-failed',
        `INCIDENT: rollback failed (${failures.join('; ')}) after: ${why}. A person must repair this by hand.`,
      ),
      to: ctx.bundle?.owner ?? 'channel',
    });
    await record(ctx, 'rollback-failed', { detail: failures.join('; ') });
    return false;
  });
}

/** Below rung 4 nothing is undone on cancel; the owner still hears of a step nobody accounted for. */
async function tellUnresolved(ctx: TaskContext): Promise<void> {
  const { step } = ctx.unresolvedOutcome!;
  await CancellationScope.nonCancellable(() =>
    post(ctx, 'cancelled-unresolved', {
      ...baseNotification(
        ctx,
        'outcome',
        `Cancelled while step ${step + 1}'s outcome was unknown: check the destination by hand.`,
      ),
      to: ctx.bundle?.owner ?? 'channel',
    }),
  );
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
