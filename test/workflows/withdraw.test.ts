import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { approveUpdate, withdrawUpdate } from '../../workflows/messages';
import { answerAs, reasonOf } from '../helpers/answers';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

// The agent's withdrawal (the agent API's cancel) is decided by the workflow, against its own
// state: accepted while the question is open, refused once an answer is taken, so an approval that
// lands first always wins and the steps it approved run to the end.

describe("an agent's withdrawal (real dev server)", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('withdraw', { policy: workflowTestPolicy() });
  });
  afterAll(async () => stack?.stop());
  const effects = (): string => {
    const file = join(stack.dirs.sandboxDir, 'effects.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };

  it('ends a waiting request as cancelled, closes its message and refuses the answers after it', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a2', 'ops', [appendStep('withdrawn')]));
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const hash = stack.notifier.forWorkflow(workflowId)[0].notification.fields!.stepsHash;

    const receipt = await handle.executeUpdate(withdrawUpdate, { args: [{}] });
    expect(receipt).toMatchObject({ accepted: true });
    // Answers after it are refused, whoever gives them, or aborted as the task closes: never taken.
    expect(
      await reasonOf(answerAs(handle, approveUpdate, { approver: 'U0APPR002', stepsHash: hash })),
    ).toMatch(
      /^(the agent withdrew this task at |task already finished \(cancelled\)|workflow update was aborted by closing workflow)/,
    );
    expect(await handle.result()).toMatchObject({ outcome: 'cancelled', executedSteps: 0 });
    expect(effects()).not.toContain('withdrawn');
    // The request's message says how it ended and offers no button.
    await waitUntil(() => {
      const last = stack.notifier.forWorkflow(workflowId)[0].updates.at(-1);
      return last !== undefined && last.text.startsWith('Cancelled') && (last.actions ?? []).length === 0;
    });
    expect(await reasonOf(handle.executeUpdate(withdrawUpdate, { args: [{}] }))).toMatch(
      /already finished|completed/i,
    );
    maybeRecordHistory(handle, 'delegatedTask', 'rung2-withdrawn');
  });

  it('closes the reminders that carried buttons, saying the agent withdrew it', async () => {
    // Class `expiry-wait` never expires a request and reminds after 300 ms.
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'expiry-wait', [appendStep('reminded')], { requester: 'U0OWNER01' }),
    );
    const reminders = () =>
      stack.notifier
        .forWorkflow(workflowId)
        .filter(
          (m) => m.notification.kind === 'approval-reminder' && (m.notification.actions ?? []).length > 0,
        );
    await waitUntil(() => reminders().length > 0);
    await handle.executeUpdate(withdrawUpdate, { args: [{}] });
    expect(await handle.result()).toMatchObject({ outcome: 'cancelled', executedSteps: 0 });
    for (const m of reminders()) {
      expect(m.updates.at(-1)).toMatchObject({
        text: 'This request is closed: the agent withdrew the task before anyone answered. Nothing ran.',
        actions: [],
      });
    }
  });

  it('refuses a withdrawal once an approval is taken: the approved steps run to the end', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [appendStep('approved-first')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const hash = stack.notifier.forWorkflow(workflowId)[0].notification.fields!.stepsHash;
    await answerAs(handle, approveUpdate, { approver: 'U0APPR002', stepsHash: hash });
    const refused = await reasonOf(handle.executeUpdate(withdrawUpdate, { args: [{}] }));
    expect(refused).toMatch(
      /^is (answered, and its steps are about to start|executing|done)|^already finished \(executed\)/,
    );
    expect(await handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    expect(effects()).toContain('approved-first');
  });
});
