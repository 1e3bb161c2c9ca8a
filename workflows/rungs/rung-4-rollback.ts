import { rollbackFailedText, rolledBackText } from '../../slack/blocks/outcome-wording';
import { CancellationScope, sleep } from '@temporalio/workflow';
import {
  baseNotification,
  compensating,
  decisionOf,
  note,
  onStepHost,
  post,
  quick,
  record,
  recordStep,
  stepsFacts,
  tellStory,
  type TaskContext,
  onOwnAuthority,
  redirectPlace,
} from '../task-context';
import { timelineLabel } from '../task-story';
import { settleEffect } from './outcome-unknown';
import { announceExecuted, runOnOwnAuthority } from './rung-3-bounded';
import type { RungResult } from './rung-result';
import { describeError } from './run-steps';

/** A health check failed during the watch after the last step. */
export class HealthCheckFailed extends Error {}

/**
 * Rung 4, execute with compensating rollback. Asks: nobody, as at rung 3. Each step's
 * compensation is recorded before it runs; after the last step, health is watched for the
 * policy's window. Next: on a failure, a cancellation or a failed health check, what ran is undone
 * in reverse (the saga below, in a non-cancellable scope); a compensation that keeps failing is an
 * incident (`rollback-failed`) for people to repair.
 */
export async function executeWithRollback(ctx: TaskContext): Promise<RungResult> {
  return runOnOwnAuthority(ctx, { compensate: true, healthWatch: true }, announceExecuted(4));
}

/**
 * Watches health for the policy's window after the last step: every step's check, every interval.
 *
 * @throws HealthCheckFailed at the first unhealthy check (the saga then unwinds).
 */
export async function watchHealth(ctx: TaskContext, allowedHosts: string[] | null): Promise<void> {
  const rollback = decisionOf(ctx).rollback;
  if (!rollback) return;
  ctx.status.phase = 'health-watch';
  tellStory(ctx);
  const steps = ctx.input.task.steps;
  const checks = Math.max(1, Math.ceil(rollback.healthWindowMs / rollback.healthIntervalMs));
  for (let i = 0; i < checks; i++) {
    for (let index = 0; index < steps.length; index++) {
      const v = await quick.verifyStep.executeWithOptions(
        { summary: timelineLabel.healthCheck(i, checks, index, steps.length), ...onStepHost(ctx, index) },
        [
          {
            workflowId: ctx.workflowId,
            index,
            step: steps[index],
            allowedHosts,
            place: redirectPlace(ctx, onOwnAuthority(ctx)),
          },
        ],
      );
      recordStep(ctx, index, { health: { healthy: v.healthy, detail: v.detail } });
      if (!v.healthy) throw new HealthCheckFailed(`health check failed after step ${index + 1}: ${v.detail}`);
    }
    if (i < checks - 1)
      await sleep(rollback.healthIntervalMs, { summary: timelineLabel.healthInterval(i, checks) });
  }
}

/** Undoes completed steps in reverse, even when the workflow is being cancelled. Returns false if any compensation failed. */
export async function unwind(
  ctx: TaskContext,
  compensations: { index: number; undo: unknown; done: boolean }[],
  allowedHosts: string[] | null,
  why: string,
): Promise<boolean> {
  return CancellationScope.nonCancellable(async () => {
    ctx.status.phase = 'rolling-back';
    ctx.error = why;
    tellStory(ctx);
    const total = ctx.input.task.steps.length;
    const failures: string[] = [];
    let undone = 0;
    for (const c of [...compensations].reverse()) {
      const ref = {
        workflowId: ctx.workflowId,
        index: c.index,
        step: ctx.input.task.steps[c.index],
        allowedHosts,
        place: redirectPlace(ctx, onOwnAuthority(ctx)),
      };
      if (!c.done && ctx.unresolvedOutcome?.step === c.index) {
        // Nobody said whether it ran before the cancellation: neither undo it blindly nor pretend.
        recordStep(ctx, c.index, {
          compensation: { undone: false, detail: 'its outcome was unknown; check the destination by hand' },
        });
        failures.push(
          `step ${c.index + 1}: its outcome was still unknown when the task was cancelled; check the destination and undo it by hand if it ran`,
        );
        continue;
      }
      if (!c.done) {
        // The step failed or was cancelled part-way: undo what its handler journaled before acting,
        // or run its declared undo when the effect may have begun (see ActionHandler.undoRecordFor).
        try {
          const settled = await settleEffect(ctx, c.index, 'compensate', (resolution) =>
            compensating.compensateInterruptedStep.executeWithOptions(
              {
                summary: timelineLabel.undoStep(c.index, total, ref.step, true),
                ...onStepHost(ctx, c.index),
              },
              [{ ...ref, ...(resolution ? { resolution } : {}) }],
            ),
          );
          const restored = 'value' in settled && settled.value;
          if (restored) undone++;
          recordStep(ctx, c.index, {
            compensation: restored
              ? { undone: true, detail: 'undone after it failed part-way' }
              : { undone: false, detail: 'nothing to undo: it changed nothing before it stopped' },
          });
        } catch (err) {
          recordStep(ctx, c.index, { compensation: { undone: false, detail: describeError(err) } });
          failures.push(`step ${c.index + 1} (interrupted): ${describeError(err)}`);
        }
        continue;
      }
      try {
        await settleEffect(ctx, c.index, 'compensate', (resolution) =>
          compensating.compensateStep.executeWithOptions(
            { summary: timelineLabel.undoStep(c.index, total, ref.step, false), ...onStepHost(ctx, c.index) },
            [{ ...ref, undo: c.undo, ...(resolution ? { resolution } : {}) }],
          ),
        );
        undone++;
        recordStep(ctx, c.index, { compensation: { undone: true, detail: '' } });
      } catch (err) {
        recordStep(ctx, c.index, { compensation: { undone: false, detail: describeError(err) } });
        failures.push(`step ${c.index + 1}: ${describeError(err)}`);
      }
    }
    if (failures.length === 0) {
      note(ctx, `rolled back ${undone} step(s): ${why}`);
      await post(ctx, 'rollback', {
        ...baseNotification(ctx, 'rollback', rolledBackText(undone, why)),
        facts: { steps: stepsFacts(ctx, 'not-run') },
      });
      await record(ctx, 'rolled-back', { detail: why });
      return true;
    }
    note(ctx, `rollback failed: ${failures.join('; ')}`);
    await post(ctx, 'rollback-failed', {
      ...baseNotification(ctx, 'rollback-failed', rollbackFailedText(failures, why)),
      to: ctx.bundle?.owner ?? 'channel',
      facts: { steps: stepsFacts(ctx, 'not-run') },
    });
    await record(ctx, 'rollback-failed', { detail: failures.join('; ') });
    return false;
  });
}
