import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
} from '@temporalio/workflow';
import type { OutcomeResolution } from '../../activities/actions/contract';
import { OUTCOME_ANSWER_ACTIONS } from '../../slack/action-ids';
import {
  effectName,
  unknownOutcomeAnsweredText,
  unknownOutcomeCancelledText,
  unknownOutcomeQuestionText,
  type EffectFacts,
} from '../../slack/blocks/unknown-outcome-wording';
import { workflowNowIso } from '../clock';
import { OUTCOME_UNKNOWN_FAILURE, type OutcomeAnswer, type OutcomeQuestion } from '../messages';
import {
  baseNotification,
  note,
  notifying,
  post,
  setWaitingOn,
  tellStory,
  type TaskContext,
} from '../task-context';
import { timelineLabel } from '../task-story';

/** Why an effect's outcome is unknown, as the activity failure carries it. */
interface UnknownOutcome {
  detail: string;
  /** Names the unknown attempt, so `run-again` repeats that one only. */
  marker: string;
  /** Whether the step's action declares an undo (only then may a person ask for one). */
  undoable: boolean;
}

/** The unknown outcome an activity failure reports, or undefined for any other failure. */
export function unknownOutcomeOf(err: unknown): UnknownOutcome | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || cause.type !== OUTCOME_UNKNOWN_FAILURE) return undefined;
  const details = (cause.details?.[0] ?? {}) as { marker?: unknown; undoable?: unknown };
  return {
    detail: cause.message,
    marker: typeof details.marker === 'string' ? details.marker : '',
    undoable: details.undoable === true,
  };
}

/** How an effect ended once its outcome is settled: its result, or a person's request to undo it. */
export type Settled<T> = { value: T } | { undo: { by: string; at: string } };

/**
 * Runs one effect of a step (the action, or its compensation) and never lets an unknown outcome
 * pass silently: when the worker reports one, the task stops in the `outcome-unknown` phase, tells
 * the agent's owner what is known, and waits, without a deadline, for a person to say it ran (the
 * effect is recorded, not repeated), to run it again, or (for an action that declares an undo) to
 * undo it. Each answer is an update validated like an approval: who, which question, which answer.
 *
 * @param run - one attempt at the effect; `resolution` carries the person's answer after the first.
 */
export async function settleEffect<T>(
  ctx: TaskContext,
  step: number,
  stage: OutcomeQuestion['stage'],
  run: (resolution?: OutcomeResolution) => Promise<T>,
): Promise<Settled<T>> {
  let resolution: OutcomeResolution | undefined;
  for (;;) {
    try {
      return { value: await run(resolution) };
    } catch (err) {
      const unknown = unknownOutcomeOf(err);
      if (!unknown) throw err;
      const answers: OutcomeAnswer[] = ['ran', 'run-again'];
      if (stage === 'execute' && unknown.undoable) answers.push('undo');
      const { answer, by, at } = await askAboutOutcome(ctx, step, stage, unknown.detail, answers);
      if (answer === 'undo') return { undo: { by, at } };
      resolution = { answer, marker: unknown.marker };
    }
  }
}

/** Asks the owner (or the class channel) about one unknown outcome and waits for the answer. */
async function askAboutOutcome(
  ctx: TaskContext,
  step: number,
  stage: OutcomeQuestion['stage'],
  detail: string,
  answers: OutcomeAnswer[],
): Promise<{ answer: OutcomeAnswer; by: string; at: string }> {
  ctx.outcomeQuestionsAsked++;
  const question: OutcomeQuestion = {
    id: `q${ctx.outcomeQuestionsAsked}`,
    step,
    stage,
    action: ctx.input.task.steps[step].action,
    detail,
    answers,
    since: workflowNowIso(),
  };
  const phaseBefore = ctx.status.phase;
  const effect: EffectFacts = { step, stage, action: question.action };
  const what = effectName(effect);
  note(ctx, `outcome unknown of ${what}: ${detail}`);
  ctx.human.outcome = undefined;
  ctx.status.outcomeUnknown = question;
  ctx.status.waitingOn = `the agent's owner or an approver: did ${what} run?`;
  ctx.waiting = 'outcome';
  ctx.status.phase = 'outcome-unknown';
  // Whoever the answer validator accepts: the agent's owner and the class's approvers.
  setWaitingOn(ctx, [
    ...(ctx.bundle?.owner ? [ctx.bundle.owner] : []),
    ...(ctx.bundle?.decision.approvers ?? []),
  ]);
  tellStory(ctx);
  // Posted whole even when a cancel lands meanwhile (a busy worker): the wait below then sees the
  // cancel, and the question's message and status are closed, never left asking.
  let ref: string | undefined;
  try {
    ref = await CancellationScope.nonCancellable(() =>
      post(ctx, `outcome-unknown-${question.id}`, {
        ...baseNotification(ctx, 'outcome-unknown', unknownOutcomeQuestionText({ effect, detail, answers })),
        to: ctx.bundle?.owner ?? 'channel',
        subject: question.id,
        actions: answers.map((a) => OUTCOME_ANSWER_ACTIONS[a]),
      }),
    );
    await condition(() => ctx.human.outcome !== undefined);
  } catch (err) {
    // Cancelled while asking: the effect may have happened and nobody said. The saga reports it
    // (see runSteps); the question's message must not keep offering answers nobody can give.
    if (isCancellation(err)) {
      ctx.unresolvedOutcome = { step, stage };
      note(ctx, `cancelled while asking whether ${what} ran: its outcome stays unknown`);
      const text = unknownOutcomeCancelledText(effect);
      const posted = ref;
      if (posted !== undefined)
        await CancellationScope.nonCancellable(() =>
          notifying.updateNotification.executeWithOptions({ summary: timelineLabel.updateMessage(text) }, [
            { ref: posted, notification: { ...baseNotification(ctx, 'outcome', text), actions: [] } },
          ]),
        );
    }
    throw err;
  } finally {
    ctx.waiting = null;
    ctx.status.waitingOn = null;
    ctx.status.outcomeUnknown = null;
    ctx.status.phase = phaseBefore;
    setWaitingOn(ctx, []);
    tellStory(ctx);
  }
  const { answer, by, at } = ctx.human.outcome!;
  note(ctx, `${by} answered "${answer}" about ${what} at ${at}`);
  const answered = unknownOutcomeAnsweredText({ effect, by, answer, at });
  await notifying.updateNotification.executeWithOptions({ summary: timelineLabel.updateMessage(answered) }, [
    { ref, notification: { ...baseNotification(ctx, 'outcome', answered), actions: [] } },
  ]);
  return { answer, by, at };
}
