import { onOwnAuthorityText } from '../../slack/blocks/outcome-wording';
import type { OutcomeEvent } from '../../activities/outcomes';
import {
  baseNotification,
  beside,
  evidenceOf,
  fallBackToConfirmation,
  note,
  post,
  record,
  stepsFacts,
  type TaskContext,
} from '../task-context';
import { confirmThenExecute } from './rung-2-confirm';
import { finalMessageText, fromExecution, tellFailure, type RungResult } from './rung-result';
import { runSteps, type ExecutionOptions } from './run-steps';

/**
 * Rung 3, execute within bounds. Asks: nobody, as long as the task stays inside its class's
 * bounds and the daily quota grants it a run (reserved with the decision), and the policy and kill
 * switch still allow it right before each step. Otherwise it falls back to rung 2 and asks an
 * approver. Next: the steps run; people are told what ran, with a button to report a defect.
 */
export async function executeWithinBounds(ctx: TaskContext): Promise<RungResult> {
  return runOnOwnAuthority(ctx, { compensate: false, healthWatch: false }, announceExecuted(3));
}

/**
 * Tells people of a successful run and records `evidence` (the executed outcome) for the ledger:
 * with the message where there is one, beside it otherwise.
 */
export type Announce = (ctx: TaskContext, result: RungResult, evidence: OutcomeEvent) => Promise<RungResult>;

/**
 * What rungs 3 to 5 share: the quota reservation (or the fallback to confirmation), the run, and
 * the evidence; `announce` tells people of a successful run (a message at rungs 3–4, a report at 5).
 */
export async function runOnOwnAuthority(
  ctx: TaskContext,
  saga: Pick<ExecutionOptions, 'compensate' | 'healthWatch'>,
  announce: Announce,
): Promise<RungResult> {
  const reservation = reservationOf(ctx);
  if (!reservation.granted) {
    note(ctx, `fell back to confirmation: ${reservation.reason}`);
    await record(ctx, 'fell-back', { detail: reservation.reason });
    fallBackToConfirmation(ctx, reservation.reason, null);
    return confirmThenExecute(ctx, reservation.reason);
  }
  const result = fromExecution(await runSteps(ctx, { autonomous: true, ...saga }));
  if (result.outcome === 'executed') {
    // The evidence travels with what people are told: one activity for both.
    return announce(ctx, result, evidenceOf(ctx, 'executed', { detail: `${result.executedSteps} step(s)` }));
  }
  if (result.outcome === 'failed') {
    beside(ctx, record(ctx, 'failed', { detail: result.error ?? undefined }));
    await tellFailure(ctx, result);
  }
  return result;
}

/** Tells people what ran on the agent's own authority: one message, already in its final form. */
export function announceExecuted(rung: number): Announce {
  return async (ctx, result, evidence) => {
    // Posted in its final form (what ran, and the button to report a defect): one Slack call.
    const text = onOwnAuthorityText(finalMessageText(ctx, 'executed', result.executedSteps, null), rung);
    await post(
      ctx,
      'executed',
      {
        ...baseNotification(ctx, 'executed', text),
        actions: ['report-defect'],
        facts: { steps: stepsFacts(ctx, 'not-run') },
      },
      true,
      evidence,
    );
    ctx.mainMessageFinal = true;
    return result;
  };
}

/**
 * Whether the agent's daily quota ledger granted the reservation the decision asked for. The
 * ledger serialises concurrent requests, so with a quota of M exactly M tasks are granted.
 */
export function reservationOf(ctx: TaskContext): { granted: boolean; reason: string } {
  const bundle = ctx.bundle!;
  if (!bundle.limits) return { granted: false, reason: 'the task class defines no daily bounds' };
  const reply = bundle.reservation;
  if (!reply) return { granted: false, reason: 'no reservation was asked for' };
  return reply.granted
    ? { granted: true, reason: '' }
    : { granted: false, reason: reply.reason ?? 'quota refused' };
}
