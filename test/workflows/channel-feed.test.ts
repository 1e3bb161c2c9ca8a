import { channelFeedId, channelFeedStateQuery } from '../../workflows/channel-feed-messages';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import { maybeRecordHistory } from '../helpers/histories';
import { ephemeralsFor, startSlackRig, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

// Slack lets an app post about one message a second per channel. A burst of tasks must neither
// wait for that limit nor lose a message: announcements Slack refuses go into the channel feed's
// digests, and requests held back are listed, buttons and all, in one pending-requests message.
describe('the channel feed under Slack’s per-channel limit', () => {
  let rig: SlackRig;
  beforeAll(async () => {
    rig = await startSlackRig('channel-feed', workflowTestPolicy());
  }, 60_000);
  afterAll(async () => rig?.stop());

  const ops = (): EmulatedMessage[] => rig.emulator.messages('#ops');
  /** How many messages in #ops carry a button whose value is exactly (or starts with) the task's id. */
  const mentions = (workflowId: string): number =>
    ops().filter((m) => JSON.stringify(m.blocks).includes(`"value":"${workflowId}`)).length;

  it('posts a burst of autonomous tasks without slowing them: every one is announced once', async () => {
    // One message every 2 s, no burst beyond the first: most of the burst is refused.
    rig.emulator.setRateLimits({ enabled: true, postMessage: { perChannel: { perMinute: 30, burst: 1 } } });
    const submissions = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        submit(rig.stack, taskRequest('a3', 'ops', [appendStep(`burst-${i}`)])),
      ),
    );
    const results = await Promise.all(submissions.map((s) => s.handle.result()));
    expect(results.map((r) => r.outcome)).toEqual(Array(12).fill('executed'));
    // No task waited for Slack: every notify activity succeeded on its first attempt.
    for (const { handle } of submissions) {
      const events = (await handle.fetchHistory()).events ?? [];
      const notifyIds = new Set(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notify')
          .map((e) => String(e.eventId)),
      );
      const attempts = events
        .filter((e) => notifyIds.has(String(e.activityTaskStartedEventAttributes?.scheduledEventId)))
        .map((e) => e.activityTaskStartedEventAttributes?.attempt);
      expect(attempts).toEqual([1]);
    }
    // Every task is announced exactly once: its own message, or a line in a digest.
    await waitUntil(() => submissions.every((s) => mentions(s.workflowId) === 1), 90_000);
    const digests = ops().filter((m) => /ran on their own authority/.test(m.text));
    expect(digests.length).toBeGreaterThan(0);
    expect(
      submissions.filter((s) => digests.some((d) => JSON.stringify(d.blocks).includes(s.workflowId))).length,
    ).toBeGreaterThan(0);
    // Each digest line keeps its own way to report a defect.
    expect(JSON.stringify(digests[0].blocks)).toMatch(/ladder_report_defect/);
    const feed = rig.stack.client.workflow.getHandle(channelFeedId(rig.stack.taskQueue, '#ops'));
    // Everything handed over is posted: the feed holds nothing back.
    await waitUntil(async () => (await feed.query(channelFeedStateQuery)).queued === 0);
  }, 180_000);

  it('lists requests held back in one pending-requests message whose buttons answer them', async () => {
    rig.emulator.setRateLimits({ enabled: true, postMessage: { perChannel: { perMinute: 20, burst: 1 } } });
    const submissions = await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        submit(rig.stack, taskRequest('a2', 'ops', [appendStep(`held-${i}`)])),
      ),
    );
    const isPending = (m: EmulatedMessage): boolean => /wait for their own message/.test(m.text);
    let pending: EmulatedMessage | undefined;
    await waitUntil(() => {
      pending = ops().find((m) => isPending(m) && JSON.stringify(m.blocks).includes('ladder_approve'));
      return pending !== undefined;
    }, 90_000);
    // Its first Approve answers the first task it lists, bound to that task's steps.
    const listed = submissions.find((s) =>
      JSON.stringify(pending!.blocks).includes(`"value":"${s.workflowId}#`),
    );
    expect(listed).toBeDefined();
    const first = JSON.parse(JSON.stringify(pending!.blocks)) as {
      elements?: { action_id: string; value: string }[];
    }[];
    const firstApprove = first
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === 'ladder_approve')!;
    const approvedTask = submissions.find((s) => firstApprove.value.startsWith(`${s.workflowId}#`))!;
    // The list's buttons carry no authority of their own: someone who may not approve ops is refused.
    await rig.emulator.click('U0ESCAL01', '#ops', pending!.ts, 'ladder_approve');
    await waitUntil(() =>
      ephemeralsFor(rig.emulator, '#ops', 'U0ESCAL01').some((t) => t.startsWith('Refused:')),
    );
    expect(ephemeralsFor(rig.emulator, '#ops', 'U0ESCAL01').join('\n')).toMatch(
      /U0ESCAL01 is not an approver for task class "ops"/,
    );
    expect((await approvedTask.handle.describe()).status.name).toBe('RUNNING');
    const click = await rig.emulator.click('U0APPR002', '#ops', pending!.ts, 'ladder_approve');
    expect(click.error).toBeUndefined();
    // The limit has done its part (the requests were held back and listed, the list answered);
    // left on, it would only space out the posts still to come, one retry every 10 s or more.
    // The held requests still get their own message by retrying, which is what follows.
    rig.emulator.setRateLimits({ enabled: false });
    expect((await approvedTask.handle.result()).outcome).toBe('executed');
    // Every request gets its own message in the end; answer the rest there.
    const ownMessage = (workflowId: string): EmulatedMessage | undefined =>
      ops().find((m) => !isPending(m) && JSON.stringify(m.blocks).includes(`"value":"${workflowId}#`));
    for (const s of submissions) {
      if (s === approvedTask) continue;
      await waitUntil(() => ownMessage(s.workflowId) !== undefined, 120_000);
      await rig.emulator.click('U0APPR002', '#ops', ownMessage(s.workflowId)!.ts, 'ladder_approve');
    }
    const results = await Promise.all(submissions.map((s) => s.handle.result()));
    expect(results.map((r) => r.outcome)).toEqual(Array(4).fill('executed'));
    // Once every request has its own message, the pending list says so and offers no buttons.
    await waitUntil(() => {
      const now = ops().find((m) => m.ts === pending!.ts);
      return (
        now !== undefined &&
        /No requests are waiting/.test(now.text) &&
        !JSON.stringify(now.blocks).includes('ladder_')
      );
    }, 60_000);
    // Its history holds both: the digests of the first test and this pending list.
    maybeRecordHistory(
      rig.stack.client.workflow.getHandle(channelFeedId(rig.stack.taskQueue, '#ops')),
      'channelFeed',
      'digests-and-pending',
    );
  }, 300_000);
});
