import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { AuditRecordBuilder, type AuditRecord } from '../../cli/audit-record';
import { committedHistories } from '../helpers/histories';

// The audit record of each committed task history (recorded from real runs): what a history holds
// comes out as the record says, and a history altered after the fact does not pass as verified.

interface JsonEvent {
  eventId: string;
  [attributes: string]: unknown;
}
interface JsonHistory {
  events: JsonEvent[];
}

const fixtures = new Map(
  committedHistories()
    .filter((f) => f.workflowType === 'delegatedTask')
    .map((f) => [f.file.replace(/^delegatedTask\.|\.json$/g, ''), f]),
);

function fixture(name: string): { workflowId: string; history: JsonHistory } {
  const f = fixtures.get(name);
  if (!f) throw new Error(`no committed history delegatedTask.${name}.json`);
  // A deep copy: tests alter it.
  return { workflowId: f.workflowId!, history: JSON.parse(JSON.stringify(f.history)) as JsonHistory };
}

function recordOf(workflowId: string, history: JsonHistory): AuditRecord {
  const builder = new AuditRecordBuilder(workflowId, 'run-1');
  for (const event of historyFromJSON(history).events ?? []) builder.add(event);
  return builder.finish();
}

const decode = (data: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as Record<string, unknown>;
const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

/** The payload of the first answer in a history, to alter. */
function answerPayload(history: JsonHistory): { data: string } {
  const accepted = history.events.find(
    (e) => e.workflowExecutionUpdateAcceptedEventAttributes !== undefined,
  )!;
  return (
    accepted.workflowExecutionUpdateAcceptedEventAttributes as {
      acceptedRequest: { input: { args: { payloads: { data: string }[] } } };
    }
  ).acceptedRequest.input.args.payloads[0];
}

describe('audit records from task histories', () => {
  it.each([
    ['rung0-done', 0, 'suggestion-done', 'resolveSuggestion', 'done', 'suggestion'],
    ['rung2-approved', 2, 'executed', 'approve', 'approve', 'approval-request'],
    ['rung3-outcome-unknown-run-again', 3, 'executed', 'resolveOutcome', 'run-again', 'outcome-unknown'],
    ['rung5-read', 5, 'executed', 'markReportRead', 'read', 'report'],
  ])(
    '%s: decision at rung %i, outcome %s, one verified %s answer (%s) with the %s message it answered',
    (name, rung, outcome, update, answer, shownKind) => {
      const { workflowId, history } = fixture(name);
      const record = recordOf(workflowId, history);
      expect(record).toMatchObject({
        schema: 'ladder.audit/v1',
        workflowId,
        runId: 'run-1',
        status: 'completed',
        decision: { effectiveRung: rung, refused: null },
        rung,
        outcome: { outcome, rung },
        failure: null,
      });
      expect(record.task!.taskId).toBe(workflowId.split('/')[2]);
      expect(record.answers).toHaveLength(1);
      const [a] = record.answers;
      expect(a).toMatchObject({
        update,
        answer,
        result: 'accepted',
        refusal: null,
        proof: { keyId: 'frontend', keyKind: 'frontend', verified: true, problem: null },
        shown: { kind: shownKind, messageRef: expect.any(String) },
      });
      expect(a.args).not.toHaveProperty('proof');
      expect(Date.parse(a.acceptedAt)).toBeGreaterThanOrEqual(Date.parse(a.shown!.postedAt));
      expect(Date.parse(record.closedAt!)).toBeGreaterThanOrEqual(Date.parse(a.acceptedAt));
      if (update === 'approve') expect(record.outcome!.approvedBy).toBe(a.by);
    },
  );

  it.each([
    ['rung2-expired-escalated', 'expired'],
    ['rung3-failed-notice', 'failed'],
    ['rung4-rolled-back', 'rolled-back'],
    ['rung4-interrupted-step', 'rollback-failed'],
    ['rung5-sla-breach', 'executed'],
  ])('%s: no human answer, outcome %s', (name, outcome) => {
    const { workflowId, history } = fixture(name);
    const record = recordOf(workflowId, history);
    expect(record.answers).toEqual([]);
    expect(record.outcome!.outcome).toBe(outcome);
    expect(record.decision!.policyVersion).toMatch(/\S/);
  });

  it('shows an answer whose arguments were altered after signing as not verified', () => {
    const { workflowId, history } = fixture('rung2-approved');
    const payload = answerPayload(history);
    payload.data = encode({ ...decode(payload.data), approver: 'U0APPR001' });
    const [a] = recordOf(workflowId, history).answers;
    expect(a.by).toBe('U0APPR001');
    expect(a.proof).toMatchObject({
      keyId: 'frontend',
      verified: false,
      problem: expect.stringMatching(/^answer signature does not match this answer/),
    });
  });

  it('shows a claimed identity (no proof) as such', () => {
    const { workflowId, history } = fixture('rung2-approved');
    const payload = answerPayload(history);
    const { proof: _proof, ...unsigned } = decode(payload.data);
    payload.data = encode(unsigned);
    expect(recordOf(workflowId, history).answers[0].proof).toBeNull();
  });

  it('records an answer its handler refused after validation, with the reason', () => {
    const { workflowId, history } = fixture('rung2-approved');
    const completed = history.events.find(
      (e) => e.workflowExecutionUpdateCompletedEventAttributes !== undefined,
    )!;
    (completed.workflowExecutionUpdateCompletedEventAttributes as { outcome: unknown }).outcome = {
      failure: {
        message: 'answer key "frontend" was revoked',
        applicationFailureInfo: { type: 'AnswerRefused' },
      },
    };
    const [a] = recordOf(workflowId, history).answers;
    expect(a).toMatchObject({ result: 'refused', refusal: 'answer key "frontend" was revoked' });
    expect(a.at).toBe(a.acceptedAt);
  });

  it('records a task still open as running, with what it has so far', () => {
    const { workflowId, history } = fixture('rung2-approved');
    const accepted = history.events.findIndex(
      (e) => e.workflowExecutionUpdateAcceptedEventAttributes !== undefined,
    );
    history.events = history.events.slice(0, accepted + 1);
    const record = recordOf(workflowId, history);
    expect(record).toMatchObject({
      status: 'running',
      closedAt: null,
      outcome: null,
      decision: { effectiveRung: 2 },
    });
    expect(record.answers).toMatchObject([{ update: 'approve', result: 'pending' }]);
  });
});
