import {
  approverStats,
  checkReviewer,
  classOwnersOf,
  clearWatchFlag,
  MAX_ANSWERS_KEPT,
  newApproverWatch,
  recordWatchedAnswer,
  recordWatchedDefect,
  rubberStampVerdict,
} from '../../policy/approver-watch';
import type { ApproverWatchRule } from '../../policy/schema';

const DAY = 86_400_000;
const rule: ApproverWatchRule = {
  period: 30 * DAY,
  minAnswers: 4,
  fastAnswer: 10_000,
  minApprovalRate: 0.9,
  minDefects: 1,
};
const T0 = Date.UTC(2026, 10, 1);

describe('the rubber-stamp watch rules', () => {
  it('flags only when every threshold holds: enough answers, near-100% approved, fast, and a defect', () => {
    const state = newApproverWatch('ops');
    for (let i = 0; i < 4; i++)
      expect(
        recordWatchedAnswer(
          state,
          { approver: 'U1', workflowId: `t${i}`, approved: true, answerMs: 3_000 },
          rule,
          T0 + i,
        ),
      ).toEqual({ counts: true, newlyFlagged: null });
    // Fast and always approving, but nothing escaped: not flagged.
    expect(state.approvers.U1.flag).toBeNull();
    const flagged = recordWatchedDefect(state, { approver: 'U1', workflowId: 't0' }, rule, T0 + 10);
    expect(flagged).toMatchObject({
      approver: 'U1',
      stats: { answers: 4, approved: 4, approvalRate: 1, medianApproveMs: 3_000, defects: 1 },
    });
    // The same defect again changes nothing; an approval now does not count, a rejection does.
    expect(recordWatchedDefect(state, { approver: 'U1', workflowId: 't0' }, rule, T0 + 11)).toBeNull();
    expect(state.approvers.U1.defects).toHaveLength(1);
    expect(
      recordWatchedAnswer(
        state,
        { approver: 'U1', workflowId: 't9', approved: true, answerMs: 2_000 },
        rule,
        T0 + 12,
      ),
    ).toEqual({ counts: false, newlyFlagged: null });
    expect(
      recordWatchedAnswer(
        state,
        { approver: 'U1', workflowId: 't10', approved: false, answerMs: 2_000 },
        rule,
        T0 + 13,
      ),
    ).toEqual({ counts: true, newlyFlagged: null });
    // A retried record of an answer returns what the first one did.
    expect(
      recordWatchedAnswer(
        state,
        { approver: 'U1', workflowId: 't9', approved: true, answerMs: 2_000 },
        rule,
        T0 + 14,
      ),
    ).toEqual({ counts: false, newlyFlagged: null });
    expect(state.approvers.U1.answers).toHaveLength(6);
  });

  it('does not flag a careful approver: slow answers, or rejections below the rate', () => {
    const slow = newApproverWatch('ops');
    for (let i = 0; i < 6; i++)
      recordWatchedAnswer(
        slow,
        { approver: 'U2', workflowId: `s${i}`, approved: true, answerMs: 120_000 },
        rule,
        T0,
      );
    expect(recordWatchedDefect(slow, { approver: 'U2', workflowId: 's0' }, rule, T0)).toBeNull();
    const critical = newApproverWatch('ops');
    for (let i = 0; i < 6; i++)
      recordWatchedAnswer(
        critical,
        { approver: 'U3', workflowId: `c${i}`, approved: i % 3 !== 0, answerMs: 1_000 },
        rule,
        T0,
      );
    expect(recordWatchedDefect(critical, { approver: 'U3', workflowId: 'c1' }, rule, T0)).toBeNull();
    // An answer whose time is unknown never reads as fast.
    const unknown = newApproverWatch('ops');
    for (let i = 0; i < 6; i++)
      recordWatchedAnswer(unknown, { approver: 'U4', workflowId: `u${i}`, approved: true }, rule, T0);
    expect(recordWatchedDefect(unknown, { approver: 'U4', workflowId: 'u0' }, rule, T0)).toBeNull();
    expect(approverStats(unknown.approvers.U4).medianApproveMs).toBeNull();
  });

  it('judges the last period only, and keeps at most the newest 500 answers', () => {
    const state = newApproverWatch('ops');
    for (let i = 0; i < 4; i++)
      recordWatchedAnswer(
        state,
        { approver: 'U1', workflowId: `old${i}`, approved: true, answerMs: 1_000 },
        rule,
        T0,
      );
    // Those answers are older than the period when the defect comes: nothing to judge.
    expect(
      recordWatchedDefect(state, { approver: 'U1', workflowId: 'old0' }, rule, T0 + 31 * DAY),
    ).toBeNull();
    expect(state.approvers.U1.answers).toEqual([]);
    for (let i = 0; i < MAX_ANSWERS_KEPT + 20; i++)
      recordWatchedAnswer(
        state,
        { approver: 'U5', workflowId: `n${i}`, approved: false, answerMs: 1_000 },
        rule,
        T0 + i,
      );
    expect(state.approvers.U5.answers).toHaveLength(MAX_ANSWERS_KEPT);
  });

  it('clears a flag on review and starts the window afresh; refuses a review of someone not flagged', () => {
    const state = newApproverWatch('ops');
    for (let i = 0; i < 4; i++)
      recordWatchedAnswer(
        state,
        { approver: 'U1', workflowId: `t${i}`, approved: true, answerMs: 1_000 },
        rule,
        T0,
      );
    recordWatchedDefect(state, { approver: 'U1', workflowId: 't1' }, rule, T0);
    clearWatchFlag(state, 'U1', { by: 'U9', atMs: T0 + 5, note: 'ok' });
    expect(state.approvers.U1).toEqual({
      answers: [],
      defects: [],
      flag: null,
      reviewed: { by: 'U9', atMs: T0 + 5, note: 'ok' },
    });
    expect(() => clearWatchFlag(state, 'U1', { by: 'U9', atMs: T0 + 6 })).toThrow(
      'U1 is not under review in ops',
    );
  });

  it('says every threshold in the verdict, with the numbers', () => {
    const verdict = rubberStampVerdict(
      { answers: 25, approved: 25, approvalRate: 1, medianApproveMs: 4_000, defects: 2 },
      { ...rule, minAnswers: 20, minDefects: 2, minApprovalRate: 0.98 },
    );
    expect(verdict.rubberStamp).toBe(true);
    expect(verdict.why).toBe(
      '25 answers (judged from 20); 100.0% approved (flag from 98.0%); median time to approve 4s (flag at or under 10s); 2 approved tasks later found defective (flag from 2)',
    );
  });

  it('lets the class owners review, never the approver themself; the admins own a class that names none', () => {
    expect(() => checkReviewer({ by: 'U1', approver: 'U1', taskClass: 'ops' }, ['U1', 'U2'])).toThrow(
      'U1 may not review their own approvals: another owner of ops must',
    );
    expect(() => checkReviewer({ by: 'U3', approver: 'U1', taskClass: 'ops' }, ['U2'])).toThrow(
      'U3 may not review approvers in ops: its owners may (U2)',
    );
    expect(() => checkReviewer({ by: 'U2', approver: 'U1', taskClass: 'ops' }, ['U2'])).not.toThrow();
    const policy = { admins: ['UA'], taskClasses: { ops: { owners: ['U2'] }, db: {} } };
    expect(classOwnersOf(policy, 'ops')).toEqual(['U2']);
    expect(classOwnersOf(policy, 'db')).toEqual(['UA']);
  });
});
