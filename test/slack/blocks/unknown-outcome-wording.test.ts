import { OUTCOME_ANSWER_ACTIONS } from '../../../slack/action-ids';
import {
  effectName,
  OUTCOME_ANSWER_WORDS,
  unknownOutcomeAnsweredText,
  unknownOutcomeCancelledText,
  unknownOutcomeQuestionText,
} from '../../../slack/blocks/unknown-outcome-wording';

const step = { step: 1, stage: 'execute' as const, action: 'http.request' };
const undo = { ...step, stage: 'compensate' as const };

describe('unknown outcome wording', () => {
  it('names the step 1-based with its action, and an undo as such', () => {
    expect(effectName(step)).toBe('step 2 (http.request)');
    expect(effectName(undo)).toBe('the undo of step 2 (http.request)');
  });

  it('asks with what is known and what each answer does, offering undo only when it is an answer', () => {
    const lines = [
      'Ladder cannot tell whether step 2 (http.request) took effect, and will not repeat it blindly.',
      'What is known: worker died after sending',
      'Check the destination, then say what happened:',
      '• It ran: record it as done and go on, without running it again.',
      '• Run it again: it did not happen; run it now.',
    ];
    const detail = 'worker died after sending';
    expect(unknownOutcomeQuestionText({ effect: step, detail, answers: ['ran', 'run-again'] })).toBe(
      lines.join('\n'),
    );
    expect(unknownOutcomeQuestionText({ effect: step, detail, answers: ['ran', 'run-again', 'undo'] })).toBe(
      [...lines, '• Undo it: run its declared undo and stop the task.'].join('\n'),
    );
  });

  it('closes with who answered what and when, or that the task was cancelled first', () => {
    expect(
      unknownOutcomeAnsweredText({
        effect: undo,
        by: 'U0OWNER01',
        answer: 'run-again',
        at: '2026-03-01T10:00:00.000Z',
      }),
    ).toBe(
      'the undo of step 2 (http.request): U0OWNER01 answered "run it again" at 2026-03-01T10:00:00.000Z.',
    );
    expect(unknownOutcomeCancelledText(step)).toBe(
      'step 2 (http.request): the task was cancelled before anyone said whether it ran. Check the destination by hand.',
    );
  });

  it('words every answer there is a button for', () => {
    expect(Object.keys(OUTCOME_ANSWER_WORDS).sort()).toEqual(Object.keys(OUTCOME_ANSWER_ACTIONS).sort());
  });
});
