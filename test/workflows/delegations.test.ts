import { join } from 'node:path';
import { endAway, listAway, setAway } from '../../client/delegations';
import { loadPolicyFile } from '../../policy/loader';
import { approveUpdate, rejectUpdate, statusQuery } from '../../workflows/messages';
import { answerAs, frontendSigner, reasonOf } from '../helpers/answers';
import { maybeRecordHistory } from '../helpers/histories';
import { delegationsWorkflowId } from '../../workflows/delegation-messages';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

// Out-of-office delegation against the real dev server and worker: an approver declares their own
// absence with a stand-in the policy allows; requests decided meanwhile name the stand-in, whose
// answer is recorded with both names; never the requester; back, and the stand-in is nobody again.

const DAY = 86_400_000;
describe('delegation while an approver is away (real dev server)', () => {
  let stack: TestStack;
  const caller = () => ({ taskQueue: stack.taskQueue, signer: frontendSigner() });
  const inDays = (days: number): string => new Date(Date.now() + days * DAY).toISOString();

  beforeAll(async () => {
    stack = await startTestStack('delegation', {
      policy: loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'standing.yaml')).policy,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses an absence the policy does not allow, naming why', async () => {
    expect(
      await reasonOf(
        setAway(stack.client, caller(), { by: 'U0OWNER01', delegate: 'U0SUB0001', until: inDays(1) }),
      ),
    ).toMatch('the policy names nobody who may stand in for U0OWNER01');
    expect(
      await reasonOf(
        setAway(stack.client, caller(), { by: 'U0APPR002', delegate: 'U0OTHER01', until: inDays(1) }),
      ),
    ).toMatch('U0OTHER01 may not stand in for U0APPR002 (the policy allows: U0SUB0001, U0OWNER01)');
    expect(
      await reasonOf(
        setAway(stack.client, caller(), { by: 'U0APPR002', delegate: 'U0SUB0001', until: inDays(-1) }),
      ),
    ).toMatch('until: expected a time in the future');
    expect(
      await reasonOf(
        setAway(stack.client, caller(), { by: 'U0APPR002', delegate: 'U0SUB0001', until: inDays(31) }),
      ),
    ).toMatch("until: at most 30 days ahead (the policy's maxAway)");
    expect(await listAway(stack.client, stack.taskQueue)).toEqual([]);
  });

  it('names the stand-in on requests decided meanwhile, records both names, and stops when they are back', async () => {
    const away = await setAway(stack.client, caller(), {
      by: 'U0APPR002',
      delegate: 'U0SUB0001',
      until: inDays(2),
    });
    expect(away).toMatchObject({ approver: 'U0APPR002', delegate: 'U0SUB0001' });

    const task = await submit(stack, taskRequest('a2', 'plain', [appendStep('delegated')]));
    await waitForStatus(task.handle, (s) => s.phase === 'awaiting-human');
    const request = stack.notifier.forWorkflow(task.workflowId)[0].notification;
    expect(request.facts?.answer).toMatchObject({
      mayAnswer: ['U0APPR001', 'U0APPR002', 'U0SUB0001'],
      standIns: [{ who: 'U0SUB0001', for: 'U0APPR002', until: away.until }],
    });
    const hash = request.fields!.stepsHash;
    expect(
      await reasonOf(answerAs(task.handle, approveUpdate, { approver: 'U0SUB0001', stepsHash: hash })),
    ).toBe('accepted');
    expect(await task.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0SUB0001' });
    maybeRecordHistory(task.handle, 'delegatedTask', 'rung2-approved-by-stand-in');
    const closed = stack.notifier.forWorkflow(task.workflowId)[0].updates.map((u) => u.text);
    expect(closed.join('\n')).toContain('Approved by U0SUB0001 (standing in for U0APPR002)');
    expect(
      stack.outcomes.events.find((e) => e.workflowId === task.workflowId && e.kind === 'approved'),
    ).toMatchObject({
      by: 'U0SUB0001',
      detail: 'standing in for U0APPR002',
    });

    // A stand-in may say no as they may say yes: before, only a yes was theirs to give.
    const declined = await submit(stack, taskRequest('a2', 'plain', [appendStep('declined')]));
    await waitForStatus(declined.handle, (s) => s.phase === 'awaiting-human');
    expect(
      await reasonOf(
        answerAs(declined.handle, rejectUpdate, { approver: 'U0SUB0001', reason: 'not during the freeze' }),
      ),
    ).toBe('accepted');
    expect(await declined.handle.result()).toMatchObject({ outcome: 'rejected' });
    expect(
      stack.outcomes.events.find((e) => e.workflowId === declined.workflowId && e.kind === 'rejected'),
    ).toMatchObject({ by: 'U0SUB0001' });

    // Never on their own request, even standing in: the agent's owner stands in now, and asked for this.
    await setAway(stack.client, caller(), { by: 'U0APPR002', delegate: 'U0OWNER01', until: inDays(2) });
    const own = await submit(
      stack,
      taskRequest('a2', 'plain', [appendStep('own')], { requester: 'U0OWNER01' }),
    );
    await waitForStatus(own.handle, (s) => s.phase === 'awaiting-human');
    const ownHash = stack.notifier.forWorkflow(own.workflowId)[0].notification.fields!.stepsHash;
    expect(
      await reasonOf(answerAs(own.handle, approveUpdate, { approver: 'U0OWNER01', stepsHash: ownHash })),
    ).toBe(
      'U0OWNER01 stands in for U0APPR002 but requested this task: a stand-in never answers their own request',
    );
    await own.handle.cancel();

    // A request decided while U0OWNER01 stood in, answered after the absence ended: refused, as the
    // policy and the registry in force say, not the snapshot the task was decided with.
    const pending = await submit(stack, taskRequest('a2', 'plain', [appendStep('pending-away')]));
    await waitForStatus(pending.handle, (s) => s.phase === 'awaiting-human');
    const pendingRequest = stack.notifier.forWorkflow(pending.workflowId)[0].notification;
    expect(pendingRequest.facts?.answer?.mayAnswer).toContain('U0OWNER01');

    // Back: the approver ends it; a request decided after names no stand-in, who is refused.
    expect(
      await reasonOf(endAway(stack.client, caller(), { by: 'U0APPR001', approver: 'U0APPR002' })),
    ).toMatch("U0APPR001 may not end U0APPR002's absence");
    await endAway(stack.client, caller(), { by: 'U0APPR002' });
    expect(await listAway(stack.client, stack.taskQueue)).toEqual([]);
    expect(
      await reasonOf(
        answerAs(pending.handle, approveUpdate, {
          approver: 'U0OWNER01',
          stepsHash: pendingRequest.fields!.stepsHash,
        }),
      ),
    ).toBe('U0OWNER01 no longer stands in for U0APPR002: the absence has ended');
    expect((await pending.handle.query(statusQuery)).phase).toBe('awaiting-human');
    await pending.handle.cancel();
    const after = await submit(stack, taskRequest('a2', 'plain', [appendStep('after')]));
    await waitForStatus(after.handle, (s) => s.phase === 'awaiting-human');
    const afterRequest = stack.notifier.forWorkflow(after.workflowId)[0].notification;
    expect(afterRequest.facts?.answer?.mayAnswer).toEqual(['U0APPR001', 'U0APPR002']);
    expect(
      await reasonOf(
        answerAs(after.handle, approveUpdate, {
          approver: 'U0SUB0001',
          stepsHash: afterRequest.fields!.stepsHash,
        }),
      ),
    ).toMatch(/^U0SUB0001 is not an approver for task class "plain"/);
    await after.handle.cancel();
    maybeRecordHistory(
      stack.client.workflow.getHandle(delegationsWorkflowId(stack.taskQueue)),
      'delegations',
      'away-replaced-ended',
    );
  });
});
