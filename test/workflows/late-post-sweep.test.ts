import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

// Slack's chat.postMessage has no idempotency key: when a post needed a retry, a slower attempt's
// copy may still land after the retry posted. The task sweeps for such copies before it ends, so
// one message remains per notification, and it is the one the task updated to its final text.
describe('late copies of a retried post', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('late-post', {
      policy: workflowTestPolicy(),
      activityDeps: { latePostGraceMs: 1_500 },
    });
  });
  afterAll(async () => stack?.stop());

  it('removes the late copy and keeps the message it holds, in its final text', async () => {
    stack.notifier.failNext(1); // the task's first post fails once: its retry is attempt 2
    const { handle, workflowId } = await submit(stack, taskRequest('a3', 'ops', [appendStep('late')]));
    const key = `${workflowId}/executed`;
    await stack.notifier.waitFor(() => stack.notifier.posted.some((p) => p.key === key));
    const kept = stack.notifier.posted.find((p) => p.key === key)!.ref;
    // The first attempt's post lands after the retry's: two messages for one notification.
    const late = stack.notifier.addLateCopy(key);
    expect(stack.notifier.posted.filter((p) => p.key === key)).toHaveLength(2);

    const result = await handle.result();
    expect(result.outcome).toBe('executed');
    const standing = stack.notifier.posted.filter((p) => p.key === key);
    expect(standing.map((p) => p.ref)).toEqual([kept]);
    // Posted in its final form: the text it was posted with is the one it keeps.
    expect((standing[0].updates.at(-1) ?? standing[0].notification).text).toMatch(
      /^Executed: 1 of 1 step\(s\) ran\./,
    );
    expect(stack.notifier.removed.map((p) => p.ref)).toEqual([late]);
    expect(result.events.join('\n')).toMatch(/removed 1 late copy/);
    maybeRecordHistory(handle, 'delegatedTask', 'rung3-late-post-swept');
  });

  it('sweeps nothing and waits for nothing when no post was retried', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a3', 'ops', [appendStep('on-time')]));
    const result = await handle.result();
    expect(result.outcome).toBe('executed');
    expect(stack.notifier.removed.filter((p) => p.key.startsWith(workflowId))).toEqual([]);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).map(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name,
    );
    expect(scheduled).toContain('notify');
    expect(scheduled).not.toContain('removeDuplicateNotifications');
    // No wait of the sweep's length either.
    const timers = (history.events ?? []).map((e) => e.timerStartedEventAttributes?.startToFireTimeout);
    expect(timers.filter((t) => t && Number(t.seconds) === 1 && t.nanos === 500_000_000)).toEqual([]);
  });
});
