import { AnswerOutcomeUnknownError } from '../../../client/answer-task';
import { notRecordedText } from '../../../slack/listeners/answers';

describe('notRecordedText', () => {
  it('tells a person their answer may have been recorded when Temporal did not confirm it', () => {
    const err = new AnswerOutcomeUnknownError('task/a2/t-1', new Error('14 UNAVAILABLE: down'), 7, 60_000);
    expect(notRecordedText(err)).toBe(
      "Not confirmed: Ladder got no confirmation from Temporal of the answer to task/a2/t-1 within 60 s (7 tries; last: 14 UNAVAILABLE: down); it may or may not have been recorded: `ladder status task/a2/t-1` or the task's Slack message shows which",
    );
  });

  it('tells them it was not recorded for any other failure', () => {
    expect(notRecordedText(new Error('workflow not found for ID: ledger/q/a3'))).toBe(
      'Ladder could not record that: workflow not found for ID: ledger/q/a3',
    );
  });
});
