import {
  CANCELLED_TEXT,
  cancelledWithUnknownOutcomeText,
  failureText,
  finalOutcomeText,
  onOwnAuthorityText,
  refusedText,
  rollbackFailedText,
  rolledBackText,
} from '../../../slack/blocks/outcome-wording';

const at = '2026-03-01T10:00:00.000Z';

describe('finalOutcomeText', () => {
  it('names the outcome and the steps that ran', () => {
    expect(finalOutcomeText({ outcome: 'executed', executedSteps: 2, totalSteps: 2 })).toBe(
      'Executed: 2 of 2 step(s) ran.',
    );
    expect(finalOutcomeText({ outcome: 'rolled-back', executedSteps: 1, totalSteps: 3 })).toBe(
      'Rolled back: 1 of 3 step(s) ran.',
    );
    expect(finalOutcomeText({ outcome: 'rollback-failed', executedSteps: 1, totalSteps: 3 })).toBe(
      'INCIDENT: rollback failed: 1 of 3 step(s) ran.',
    );
    // An outcome without words of its own shows as its name.
    expect(finalOutcomeText({ outcome: 'cancelled', executedSteps: 0, totalSteps: 1 })).toBe(
      'cancelled: 0 of 1 step(s) ran.',
    );
  });

  it('adds who approved, then who read the report or that nobody read it in time', () => {
    const approval = { by: 'U0APPR002', at };
    expect(finalOutcomeText({ outcome: 'executed', executedSteps: 1, totalSteps: 1, approval })).toBe(
      'Executed: 1 of 1 step(s) ran. Approved by U0APPR002 at 2026-03-01T10:00:00.000Z.',
    );
    expect(
      finalOutcomeText({
        outcome: 'executed',
        executedSteps: 1,
        totalSteps: 1,
        approval,
        report: { by: 'U0READ003', at: '2026-03-01T11:00:00.000Z' },
      }),
    ).toBe(
      'Executed: 1 of 1 step(s) ran. Approved by U0APPR002 at 2026-03-01T10:00:00.000Z. Report read by U0READ003 at 2026-03-01T11:00:00.000Z.',
    );
    expect(finalOutcomeText({ outcome: 'executed', executedSteps: 1, totalSteps: 1, report: false })).toBe(
      'Executed: 1 of 1 step(s) ran. Report unread past its read SLA.',
    );
  });
});

describe('what people are told when a task ends otherwise', () => {
  it('tells a failure with how far it got and the error, or that the error is unknown', () => {
    expect(failureText({ executedSteps: 1, totalSteps: 2, error: 'HTTP 500' })).toBe(
      'Failed after 1 of 2 step(s): HTTP 500. Steps that ran were not undone at this rung.',
    );
    expect(failureText({ executedSteps: 0, totalSteps: 2, error: null })).toBe(
      'Failed after 0 of 2 step(s): unknown error. Steps that ran were not undone at this rung.',
    );
  });

  it('says what ran on the agent’s own authority and at which rung', () => {
    expect(onOwnAuthorityText('Executed: 1 of 1 step(s) ran.', 3)).toBe(
      'Executed: 1 of 1 step(s) ran. On my own at rung 3.',
    );
  });

  it('tells a rollback, and a failed one as an incident listing each step that could not be undone', () => {
    expect(rolledBackText(2, 'the health check failed')).toBe(
      'Rolled back 2 step(s) because the health check failed.',
    );
    expect(rollbackFailedText(['step 2: timeout', 'step 1: HTTP 500'], 'the health check failed')).toBe(
      'INCIDENT: rollback failed (step 2: timeout; step 1: HTTP 500) after: the health check failed. A person must repair this by hand.',
    );
  });

  it('tells a refusal, a cancellation, and a cancellation that left a step unaccounted for (1-based)', () => {
    expect(refusedText('unknown agent "x"')).toBe('Refused: unknown agent "x"');
    expect(CANCELLED_TEXT).toBe('Cancelled.');
    expect(cancelledWithUnknownOutcomeText(0)).toBe(
      "Cancelled while step 1's outcome was unknown: check the destination by hand.",
    );
  });
});
