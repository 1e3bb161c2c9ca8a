import { answerAs } from '../helpers/answers';
import { SlackNotifier } from '../../activities/notify/slack';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import { approveUpdate } from '../../workflows/messages';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

// The task workflow posting through the Slack notifier to the emulated Web API: a 429 delays the
// approval request (Temporal retries the notify activity) but does not lose it, and the decision
// is written into the same message afterwards.
describe('task notifications through the Slack Web API', () => {
  let api: SlackWebApiEmulator;
  let stack: TestStack;

  beforeAll(async () => {
    api = await startSlackWebApi();
    stack = await startTestStack('slack-notify', {
      policy: workflowTestPolicy(),
      activityDeps: { notifier: new SlackNotifier('xoxb-test', api.apiUrl) },
    });
  });
  afterAll(async () => {
    await stack?.stop();
    await api?.close();
  });

  it('delivers the approval request after a 429 and updates it in place once approved', async () => {
    api.injectFault({ kind: 'rate-limited', retryAfterSeconds: 1 }, { method: 'chat.postMessage', times: 2 });
    const { handle } = await submit(stack, taskRequest('a2', 'ops', [appendStep('via-slack')]));
    const status = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const posts = api.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.status);
    // Refused twice, the request was listed in the channel's pending requests until its own post landed.
    expect(posts.slice(0, 2)).toEqual([429, 429]);
    expect(posts.slice(2)).toEqual([200, 200]);
    const message = api.messages('#ops').find((m) => JSON.stringify(m.blocks).includes('Approval needed'))!;
    expect(message).toBeDefined();
    await waitUntil(() => api.messages('#ops').some((m) => /No requests are waiting/.test(m.text)));

    await answerAs(handle, approveUpdate, { approver: 'U0APPR002', stepsHash: status.stepsHash });
    expect((await handle.result()).outcome).toBe('executed');
    const updated = api.messages('#ops').find((m) => m.ts === message.ts)!;
    expect(updated.edits).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(updated.blocks)).toMatch(/Approved by U0APPR002 at/);
    expect(JSON.stringify(updated.blocks)).not.toContain('ladder_approve');
  });

  it("waits out Slack's Retry-After before the next attempt instead of hammering the method", async () => {
    const before = api.calls.length;
    api.injectFault({ kind: 'rate-limited', retryAfterSeconds: 2 }, { method: 'chat.postMessage', times: 2 });
    const { handle } = await submit(stack, taskRequest('a2', 'ops', [appendStep('retry-after')]));
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const posts = api.calls.slice(before).filter((c) => c.method === 'chat.postMessage');
    expect(posts.slice(0, 2).map((c) => c.status)).toEqual([429, 429]);
    // Each attempt after a 429 came at least Retry-After (2 s) later (the feed's pending list too).
    expect(posts[1].at - posts[0].at).toBeGreaterThanOrEqual(1_950);
    for (const later of posts.slice(2)) expect(later.at - posts[1].at).toBeGreaterThanOrEqual(1_950);
    await handle.cancel();
  });
});
