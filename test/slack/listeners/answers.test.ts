import { AnswerOutcomeUnknownError } from '../../../client/answer-task';
import { notRecordedText, refusedText } from '../../../slack/listeners/answers';
import { commandFailedText } from '../../../slack/listeners/commands';

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

describe('what agents wrote, in refusals and failures', () => {
  const hostile = '<!channel> <http://evil.example/ok|orders-db> & co';
  const inert = '&lt;!channel&gt; &lt;http://evil.example/ok|orders-db&gt; &amp; co';

  it('escapes a refusal’s reason', () => {
    expect(refusedText(`typed confirmation does not match: type "${hostile}" exactly`)).toBe(
      `Refused: typed confirmation does not match: type "${inert}" exactly`,
    );
  });

  it('escapes a failure’s words, confirmed or not', () => {
    expect(notRecordedText(new Error(hostile))).toBe(`Ladder could not record that: ${inert}`);
    expect(commandFailedText(new Error(hostile))).toBe(`Ladder could not do that: ${inert}`);
    const unknown = new AnswerOutcomeUnknownError('control/q/kill-switch', new Error('x'), 1, 2000, 'look');
    expect(commandFailedText(unknown)).toMatch(
      /^Not confirmed: Ladder got no confirmation .* recorded: look$/,
    );
  });
});
