import type { OutcomeAnswer } from '../../workflows/messages';

/**
 * The question a task asks when an effect's outcome is unknown (workflows/rungs/outcome-unknown.ts),
 * and how its message reads once answered or abandoned. The workflow passes the facts (which step,
 * which stage, what is known, which answers it accepts, who answered) and posts what these return.
 *
 * Pure, with type imports only: workflows import this module into the deterministic workflow
 * sandbox. Texts are plain; `taskMessageBlocks` escapes them for Slack.
 */

/** The effect in question: a step (0-based) of the task, or the undo of one. */
export interface EffectFacts {
  step: number;
  stage: 'execute' | 'compensate';
  /** The step's action type, e.g. `http.request`. */
  action: string;
}

/** The effect named for people: `step 2 (http.request)` or `the undo of step 2 (http.request)`. Pure. */
export function effectName(e: EffectFacts): string {
  return `${e.stage === 'compensate' ? 'the undo of ' : ''}step ${e.step + 1} (${e.action})`;
}

/** The answers as the question and its closed message word them (the buttons' own labels). */
export const OUTCOME_ANSWER_WORDS: Readonly<Record<OutcomeAnswer, string>> = {
  ran: 'it ran',
  'run-again': 'run it again',
  undo: 'undo it',
};

/**
 * The question: what is known (`detail`, from the worker), and what each answer will do; undo is
 * offered only when `answers` includes it. Pure.
 */
export function unknownOutcomeQuestionText(q: {
  effect: EffectFacts;
  detail: string;
  answers: readonly OutcomeAnswer[];
}): string {
  return [
    `Ladder cannot tell whether ${effectName(q.effect)} took effect, and will not repeat it blindly.`,
    `What is known: ${q.detail}`,
    'Check the destination, then say what happened:',
    '• It ran: record it as done and go on, without running it again.',
    '• Run it again: it did not happen; run it now.',
    ...(q.answers.includes('undo') ? ['• Undo it: run its declared undo and stop the task.'] : []),
  ].join('\n');
}

/** The question's message once someone answered it (`at` ISO). Pure. */
export function unknownOutcomeAnsweredText(a: {
  effect: EffectFacts;
  by: string;
  answer: OutcomeAnswer;
  at: string;
}): string {
  return `${effectName(a.effect)}: ${a.by} answered "${OUTCOME_ANSWER_WORDS[a.answer]}" at ${a.at}.`;
}

/** The question's message once the task was cancelled before anyone answered it. Pure. */
export function unknownOutcomeCancelledText(effect: EffectFacts): string {
  return `${effectName(effect)}: the task was cancelled before anyone said whether it ran. Check the destination by hand.`;
}
