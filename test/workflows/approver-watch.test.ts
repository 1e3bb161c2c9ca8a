import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import {
  ApproverReviewError,
  createApproverWatchLink,
  listWatchedApprovers,
  reviewApprover,
} from '../../client/approver-watch';
import { reportDefect } from '../../client/evidence';
import { loadPolicyFile } from '../../policy/loader';
import type { LedgerState } from '../../policy/ledger';
import {
  approverWatchWorkflowId,
  reviewApproverUpdate,
  type WatchedApproverView,
} from '../../workflows/approver-watch-messages';
import type { delegatedTask } from '../../workflows/delegated-task';
import { approveUpdate, ledgerQuery, ledgerWorkflowId } from '../../workflows/messages';
import { answerAs, operatorSignerOf } from '../helpers/answers';
import { runLadder, type CliRun } from '../helpers/cli';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

const POLICY = join(__dirname, '..', 'fixtures', 'policies', 'approver-watch.yaml');
const policy = loadPolicyFile(POLICY).policy;

// The rubber-stamp watch on the real dev server and worker: an approver who approves everything in
// seconds while a defect escapes is flagged, the class's owner is told, their approvals stop
// counting towards promotion, and only an owner's signed review makes them count again.
describe('the rubber-stamp watch', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('approver-watch', { policy, ledger: true });
  });
  afterAll(async () => stack?.stop());

  /** The built CLI, in its own process, as an operator runs it. */
  const ladder = (...args: string[]): Promise<CliRun> =>
    runLadder(
      { TEMPORAL_ADDRESS: stack.address, LADDER_TASK_QUEUE: stack.taskQueue, LADDER_POLICY_PATH: POLICY },
      ...args,
    );

  const readLedger = (): Promise<LedgerState> =>
    stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, 'stamped')).query(ledgerQuery);
  const watched = async (approver: string): Promise<WatchedApproverView | undefined> =>
    (await listWatchedApprovers(stack.client, stack.taskQueue, ['ops'])).find((a) => a.approver === approver);

  /** Runs one rung-2 task of `stamped` and has `approver` approve it at once. */
  const approvedTask = async (approver: string, word: string): Promise<string> => {
    const { handle, workflowId } = await submit(stack, taskRequest('stamped', 'ops', [appendStep(word)]));
    const s = await waitForStatus(
      handle as WorkflowHandle<typeof delegatedTask>,
      (st) => st.waitingOn !== null,
    );
    await answerAs(handle, approveUpdate, { approver, stepsHash: s.stepsHash });
    expect((await handle.result()).outcome).toBe('executed');
    return workflowId;
  };

  it('flags a fast, always-approving approver once a defect escapes, tells the owner, and stops counting their approvals until reviewed', async () => {
    // Three quick approvals: 100% approved, in milliseconds, but no defect yet, so not flagged.
    const first = await approvedTask('U0APPR001', 'w1');
    await approvedTask('U0APPR001', 'w2');
    await approvedTask('U0APPR001', 'w3');
    await waitUntil(async () => (await readLedger()).classes.ops?.evidence.approved === 3);
    const before = await watched('U0APPR001');
    expect(before).toMatchObject({ answers: 3, approved: 3, approvalRate: 1, defects: 0, flag: null });
    expect(before!.medianApproveMs).toBeLessThan(10_000);

    // A defect in work they approved: the ledger takes it (and demotes nothing below rung 2), and
    // the watch counts it against whoever approved the task (its ApprovedBy).
    await reportDefect(
      stack.client,
      { taskQueue: stack.taskQueue, signer: operatorSignerOf('U0ADMIN01') },
      policy,
      { workflowId: first, by: 'U0ADMIN01', text: 'wrong file' },
    );
    await waitUntil(async () => (await watched('U0APPR001'))?.flag !== null);
    const flagged = (await watched('U0APPR001'))!;
    expect(flagged).toMatchObject({
      defects: 1,
      flag: { stats: { answers: 3, approvalRate: 1, defects: 1 } },
    });
    expect(flagged.flag!.why).toContain('1 approved task later found defective (flag from 1)');

    // The owner hears it in the class channel and directly, with the review button.
    const watchId = approverWatchWorkflowId(stack.taskQueue, 'ops');
    await waitUntil(() => stack.notifier.forWorkflow(watchId).length >= 2);
    const told = stack.notifier.forWorkflow(watchId).map((p) => p.notification);
    expect(told.map((n) => n.to ?? n.channel).sort()).toEqual(['#ops', 'U0OWNER02']);
    for (const n of told)
      expect(n).toMatchObject({
        kind: 'approver-review',
        subject: 'U0APPR001',
        actions: ['review-approver'],
        title: 'approvals by U0APPR001 in ops no longer count',
      });
    expect(told[0].text).toMatch(/approved 100\.0% of their last 3 questions in ops in a median of/);

    // Their next approval lets the task run but moves no approval counter; a careful approver's does.
    const evidence = (await readLedger()).classes.ops!.evidence;
    await approvedTask('U0APPR001', 'w4');
    await approvedTask('U0APPR002', 'w5');
    await waitUntil(async () => (await readLedger()).classes.ops!.evidence.actions === evidence.actions + 2);
    const after = (await readLedger()).classes.ops!.evidence;
    expect(after.approved - evidence.approved).toBe(1);
    expect(after.decided - evidence.decided).toBe(1);
    expect(after.approvalsAsked - evidence.approvalsAsked).toBe(2);

    // Only an owner of the class may review, never the approver, and never without a proof.
    const review = (by: string) =>
      reviewApprover(
        stack.client,
        { taskQueue: stack.taskQueue, signer: operatorSignerOf(by) },
        { taskClass: 'ops', approver: 'U0APPR001', by, note: 'talked it through' },
      );
    await expect(review('U0APPR001')).rejects.toThrow(
      new ApproverReviewError('U0APPR001 may not review their own approvals: another owner of ops must'),
    );
    await expect(review('U0APPR002')).rejects.toThrow(
      /U0APPR002 may not review approvers in ops: its owners may \(U0OWNER02\)/,
    );
    const watch = stack.client.workflow.getHandle(watchId);
    // A Temporal client alone (which is all an agent could hold) cannot answer as the owner.
    await expect(
      watch.executeUpdate(reviewApproverUpdate, { args: [{ by: 'U0OWNER02', approver: 'U0APPR001' }] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/^unsigned answer refused/) } });
    expect((await watched('U0APPR001'))!.flag).not.toBeNull();

    // The CLI shows who is under review and why, and refuses bad input by name.
    const listed = await ladder('approvers', '--class', 'ops');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(
      /^U0APPR001 in ops: 4 answers, 100\.0% approved, median time to approve .+, 1 approved task\(s\) found defective\n {2}UNDER REVIEW since .+: their approvals do not count towards promotion \(3 answers \(judged from 3\)/m,
    );
    expect(await ladder('approvers', '--class', 'nope')).toMatchObject({
      code: 1,
      err: expect.stringContaining('--class: unknown task class "nope" (declared: ops)'),
    });
    expect(
      await ladder('approvers', 'review', 'U0APPR001', '--class', 'ops', '--as', 'U0APPR002'),
    ).toMatchObject({
      code: 1,
      err: expect.stringContaining(
        'Refused: U0APPR002 may not review approvers in ops: its owners may (U0OWNER02)',
      ),
    });

    // The owner's review (their own operator key) clears the flag, closes the message in place,
    // and their approvals count again.
    const reviewed = await ladder(
      'approvers',
      'review',
      'U0APPR001',
      '--class',
      'ops',
      '--as',
      'U0OWNER02',
      '--note',
      'talked it through',
    );
    expect({ ...reviewed, err: reviewed.err.trim() }).toMatchObject({
      code: 0,
      err: '',
      out: expect.stringMatching(
        /^Reviewed U0APPR001 in ops \(recorded at .+\): their approvals count again\.$/m,
      ),
    });
    expect(
      (await ladder('approvers', 'review', 'U0APPR001', '--class', 'ops', '--as', 'U0OWNER02')).err,
    ).toContain('Refused: U0APPR001 is not under review in ops');
    expect(await watched('U0APPR001')).toMatchObject({
      answers: 0,
      flag: null,
      reviewed: { by: 'U0OWNER02', note: 'talked it through' },
    });
    await waitUntil(() =>
      stack.notifier
        .forWorkflow(watchId)
        .some((p) => p.updates.some((u) => /Reviewed by U0OWNER02/.test(u.text))),
    );
    const counted = (await readLedger()).classes.ops!.evidence;
    await approvedTask('U0APPR001', 'w6');
    await waitUntil(async () => (await readLedger()).classes.ops!.evidence.approved === counted.approved + 1);
    maybeRecordHistory(watch, 'approverWatch', 'flagged-reviewed');
  });
  it('takes a burst of answers for one class in a few updates, each answer counted once with its own verdict', async () => {
    // Approvers of their own, so the first test's numbers and flags stay apart.
    const link = createApproverWatchLink({
      client: stack.client,
      taskQueue: stack.taskQueue,
      policy: () => policy,
    });
    const N = 120;
    const verdicts = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        link.recordAnswer('ops', {
          approver: `U0BURST${i % 3}`,
          workflowId: `task/burst/${i}`,
          approved: true,
        }),
      ),
    );
    expect(verdicts).toEqual(Array.from({ length: N }, () => ({ counts: true })));
    const listed = (await listWatchedApprovers(stack.client, stack.taskQueue, ['ops'])).filter((a) =>
      a.approver.startsWith('U0BURST'),
    );
    expect(listed.map((a) => [a.approver, a.answers]).sort()).toEqual([
      ['U0BURST0', 40],
      ['U0BURST1', 40],
      ['U0BURST2', 40],
    ]);
    // One update in flight per class from this process: far fewer updates than answers (the
    // server holds at most 10 in flight per workflow, and 120 at once would overrun it).
    const history = await stack.client.workflow
      .getHandle(approverWatchWorkflowId(stack.taskQueue, 'ops'))
      .fetchHistory();
    const updates = (history.events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.length).toBeLessThan(N / 4);
  });
});
