import { ApplicationFailure } from '@temporalio/common';
import { SlackNotifier } from '../../activities/notify/slack';
import type { Notification } from '../../activities/notify/notifier';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';

const note = (over: Partial<Notification> = {}): Notification => ({
  kind: 'approval-request',
  workflowId: 'task/a2/t-1',
  agentId: 'a2',
  taskClass: 'ops',
  channel: '#ops',
  title: 'Deploy',
  text: 'Needs your approval',
  actions: ['approve', 'reject'],
  ...over,
});

describe('SlackNotifier against the emulated Web API', () => {
  let api: SlackWebApiEmulator;
  beforeEach(async () => {
    api = await startSlackWebApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('posts Block Kit to the class channel once per key and updates that exact message in place', async () => {
    const notifier = new SlackNotifier('xoxb-test', api.apiUrl);
    const { ref } = await notifier.post('task/a2/t-1/approval', note());
    expect(await notifier.post('task/a2/t-1/approval', note())).toEqual({ ref });
    const [message] = api.messages('#ops');
    expect(api.messages('#ops')).toHaveLength(1);
    expect(JSON.stringify(message.blocks)).toContain('ladder_approve');

    await notifier.update(ref, note({ kind: 'outcome', text: 'Approved by U0APPR002', actions: [] }));
    expect(api.messages('#ops')[0]).toMatchObject({ ts: message.ts, edits: 1 });
    expect(JSON.stringify(api.messages('#ops')[0].blocks)).not.toContain('ladder_approve');
  });

  it('posts once across a worker crash: a retried attempt finds the earlier post by its key', async () => {
    // The first worker posted and died before its activity completed; a fresh process retries.
    const { ref } = await new SlackNotifier('xoxb-test', api.apiUrl).post('task/a2/t-9/approval', note(), 1);
    const afterCrash = new SlackNotifier('xoxb-test', api.apiUrl);
    expect(await afterCrash.post('task/a2/t-9/approval', note(), 2)).toEqual({ ref });
    expect(api.messages('#ops')).toHaveLength(1);
    // A retry whose earlier attempt never got through does post.
    await afterCrash.post('task/a2/t-9/executed', note({ kind: 'executed' }), 3);
    expect(api.messages('#ops')).toHaveLength(2);
    expect(api.calls.map((c) => c.method)).toEqual([
      'chat.postMessage',
      'conversations.list', // '#ops' → its id, which conversations.history needs
      'conversations.history',
      'conversations.history',
      'chat.postMessage',
    ]);
  });

  it('sends a message addressed to a user as a DM', async () => {
    const notifier = new SlackNotifier('xoxb-test', api.apiUrl);
    await notifier.post('k', note({ kind: 'rollback-failed', to: 'U0OWNER01' }));
    expect(api.messages(api.dmWith('U0OWNER01'))).toHaveLength(1);
    expect(api.messages('#ops')).toHaveLength(0);
  });

  it('throws on a 429 at once (Temporal owns the retry), and posts on the next attempt', async () => {
    const notifier = new SlackNotifier('xoxb-test', api.apiUrl);
    api.injectFault({ kind: 'rate-limited', retryAfterSeconds: 30 }, { method: 'chat.postMessage' });
    const started = Date.now();
    const refused = await notifier.post('k', note()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({
      message: expect.stringMatching(/rate-limit has been reached, you may retry this request in 30 seconds/),
      type: 'SlackRateLimited',
      nextRetryDelay: 30_000, // Temporal's next attempt waits out Retry-After
    });
    expect(Date.now() - started).toBeLessThan(5_000); // not waiting out Retry-After inside the activity
    await notifier.post('k', note());
    expect(api.messages('#ops')).toHaveLength(1);
    expect(api.calls.map((c) => c.status)).toEqual([429, 200]);
  });

  it('surfaces Slack errors such as a bad token', async () => {
    await expect(new SlackNotifier('xoxp-wrong', api.apiUrl).post('k', note())).rejects.toThrow(
      /invalid_auth/,
    );
  });
});
