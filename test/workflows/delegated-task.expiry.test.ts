import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { Notification } from '../../activities/notify/notifier';
import { taskMessageBlocks } from '../../slack/blocks/task-message';
import { approveUpdate } from '../../workflows/messages';
import { answerAs } from '../helpers/answers';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

const rendered = (n: Notification): string => JSON.stringify(taskMessageBlocks(n));

/** Why an update was refused, or `accepted`. */
const outcomeOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'accepted',
    (err: WorkflowUpdateFailedError) => String(err.cause?.message),
  );

describe('expiry as the policy says: a warning before, then reject, keep waiting or escalate (real dev server)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('expiry', { policy: workflowTestPolicy() });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('escalate: warns first, then each group of the chain gets the request in turn and may answer', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'expiry-escalate', [appendStep('expiry-lead')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const request = stack.notifier.forWorkflow(workflowId)[0];
    expect(request.notification.facts?.answer).toMatchObject({
      mayAnswer: ['U0APPR002'],
      onExpiry: { then: 'escalate', group: 'leads', members: ['U0LEAD001'] },
    });
    expect(rendered(request.notification)).toContain('then it goes to leads (<@U0LEAD001>)');
    expect(rendered(request.notification)).toContain('*Warning before expiry:*');
    const hash = request.notification.fields!.stepsHash;
    // Not yet a lead's to answer.
    expect(
      await outcomeOf(answerAs(handle, approveUpdate, { approver: 'U0LEAD001', stepsHash: hash })),
    ).toMatch(/U0LEAD001 is not an approver/);

    // The warning comes before expiry, with the buttons and who is waited on.
    await stack.notifier.waitFor(() =>
      stack.notifier.forWorkflow(workflowId).some((m) => m.key.endsWith('/approval-expiry-warning-0')),
    );
    const warning = stack.notifier
      .forWorkflow(workflowId)
      .find((m) => m.key.endsWith('/approval-expiry-warning-0'))!.notification;
    expect(warning).toMatchObject({
      kind: 'approval-reminder',
      to: 'channel',
      actions: ['approve', 'reject'],
    });
    expect(warning.text).toMatch(/^Expires in 2 s: still waiting for approval: /);
    expect(warning.fields?.stepsHash).toBe(hash);
    expect(rendered(warning)).toContain('*Who may answer:* <@U0APPR002>');

    // Unanswered: the leads get a request of their own; the first message says where it went.
    await stack.notifier.waitFor(() =>
      stack.notifier.forWorkflow(workflowId).some((m) => m.key.endsWith('/approval-request-escalated-1')),
    );
    const escalated = stack.notifier
      .forWorkflow(workflowId)
      .find((m) => m.key.endsWith('/approval-request-escalated-1'))!.notification;
    expect(escalated.kind).toBe('approval-request');
    expect(escalated.text).toMatch(/^Escalated to leads: nobody answered in time\.\nNeeds your approval/);
    expect(escalated.facts?.answer).toMatchObject({
      mayAnswer: ['U0APPR002', 'U0LEAD001'],
      excluded: [{ who: 'U0APPR001', rule: 'two-person-rule' }],
      onExpiry: { then: 'escalate', group: 'directors', members: ['U0DIRE001'] },
    });
    expect(request.updates.at(-1)?.text).toMatch(/^Not answered in time: the request went on to leads/);
    expect(request.updates.at(-1)?.actions).toEqual([]);
    // The requester stays excluded; the lead now may answer, from the new message's button.
    expect(
      await outcomeOf(answerAs(handle, approveUpdate, { approver: 'U0APPR001', stepsHash: hash })),
    ).toMatch(/two-person rule/);
    await answerAs(handle, approveUpdate, { approver: 'U0LEAD001', stepsHash: escalated.fields!.stepsHash });
    expect(await handle.result()).toMatchObject({
      outcome: 'executed',
      approvedBy: 'U0LEAD001',
      executedSteps: 1,
    });
    maybeRecordHistory(handle, 'delegatedTask', 'rung2-escalated-to-group-approved');
  });

  it('escalate: after the last group it is rejected, the message naming the chain it went through', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'expiry-escalate', [appendStep('expiry-never')]),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'expired', executedSteps: 0 });
    const keys = stack.notifier.forWorkflow(workflowId).map((m) => m.key.slice(workflowId.length + 1));
    expect(keys.filter((k) => k.startsWith('approval-request'))).toEqual([
      'approval-request',
      'approval-request-escalated-1',
      'approval-request-escalated-2',
    ]);
    // One warning per round.
    expect(keys.filter((k) => k.startsWith('approval-expiry-warning'))).toEqual([
      'approval-expiry-warning-0',
      'approval-expiry-warning-1',
      'approval-expiry-warning-2',
    ]);
    const last = stack.notifier
      .forWorkflow(workflowId)
      .find((m) => m.key.endsWith('/approval-request-escalated-2'))!;
    expect(last.notification.facts?.answer).toMatchObject({
      mayAnswer: ['U0APPR002', 'U0LEAD001', 'U0DIRE001'],
      onExpiry: { then: 'reject' },
    });
    expect(last.updates.at(-1)?.text).toBe(
      "Expired: nobody approved within the policy's 3 s, nor in turn leads, then directors (3 s each); rejected, nothing ran.",
    );
    expect(last.updates.at(-1)?.facts?.steps?.map((s) => s.status)).toEqual(['not-run']);
  });

  it('keep-waiting: the request never expires (only reminded) and is still answered later', async () => {
    const submittedAt = Date.now();
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'expiry-wait', [appendStep('expiry-wait')], { requester: 'U0OWNER01' }),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const request = stack.notifier.forWorkflow(workflowId)[0].notification;
    expect(request.facts?.answer).toEqual({ mayAnswer: ['U0APPR002'], onExpiry: { then: 'keep-waiting' } });
    expect(rendered(request)).toContain('*Expires:* never; it keeps waiting');
    await stack.notifier.waitFor(() =>
      stack.notifier.forWorkflow(workflowId).some((m) => m.notification.kind === 'approval-reminder'),
    );
    // Well past the class's expireAfter (500 ms), it still waits.
    const status = await waitForStatus(handle, () => Date.now() - submittedAt > 2_500);
    expect(status).toMatchObject({ phase: 'awaiting-human', outcome: null });
    await answerAs(handle, approveUpdate, { approver: 'U0APPR002', stepsHash: request.fields!.stepsHash });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    maybeRecordHistory(handle, 'delegatedTask', 'rung2-kept-waiting-approved');
  });

  it('reject (the default): the request says so and expires as before', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'fast', [appendStep('expiry-reject')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const request = stack.notifier.forWorkflow(workflowId)[0];
    expect(request.notification.facts?.answer?.onExpiry).toEqual({ then: 'reject' });
    expect(request.notification.facts?.answer?.warnAt).toBeUndefined();
    expect(await handle.result()).toMatchObject({ outcome: 'expired' });
    expect(request.updates.at(-1)?.text).toBe("Expired: nobody approved within the policy's 2 s.");
  });
});
