import { ApplicationFailure } from '@temporalio/common';
import type { Notification } from '../../../activities/notify/notifier';
import { NOTIFICATION_EVENT, SlackNotifier } from '../../../activities/notify/slack';
import { startSlackEmulator, type SlackEmulator } from '../../../slack/emulator/server';
import { waitUntil } from '../../helpers/wait';

const KEY = 'task/a2/t-7/approval';

const note = (over: Partial<Notification> = {}): Notification => ({
  kind: 'approval-request',
  workflowId: 'task/a2/t-7',
  agentId: 'a2',
  taskClass: 'ops',
  channel: '#ops',
  title: 'Deploy',
  text: 'Needs your approval',
  actions: ['approve', 'reject'],
  ...over,
});

/** Slack's start-to-close budget for an attempt that is still well inside it. */
const FAR = 60_000;

describe('SlackNotifier when a post outlives its attempt', () => {
  let emulator: SlackEmulator;
  beforeEach(async () => {
    emulator = await startSlackEmulator({ port: 0, channels: ['#ops'] });
  });
  afterEach(() => emulator.close());

  /** Queues a fault the way a chaos run does, over HTTP. */
  const fault = async (body: Record<string, unknown>): Promise<void> => {
    const response = await fetch(`${emulator.url}/emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 200) throw new Error(`fault refused: ${await response.text()}`);
  };
  /** The messages carrying `key`, as a checker reads them over HTTP. */
  const copies = async (key = KEY): Promise<{ channel: string; ts: string; text: string }[]> => {
    const response = await fetch(`${emulator.url}/emulator/messages?key=${encodeURIComponent(key)}`);
    return ((await response.json()) as { messages: { channel: string; ts: string; text: string }[] })
      .messages;
  };
  const tsOf = (ref: string): string => ref.split('/')[1];
  const methodsCalled = (): string[] => emulator.calls.map((c) => c.method);
  /** Posts a copy under `key` straight to the Web API, as an earlier attempt's post would land. */
  const rawPost = (key: string, text: string, signal?: AbortSignal) =>
    fetch(`${emulator.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test' },
      body: JSON.stringify({
        channel: '#ops',
        text,
        metadata: { event_type: NOTIFICATION_EVENT, event_payload: { key } },
      }),
      signal,
    });

  it('a slow post answered after its deadline, with a retry posting in between, leaves one message: the retry’s', async () => {
    const notifier = new SlackNotifier('xoxb-test', emulator.apiUrl);
    await fault({ method: 'chat.postMessage', kind: 'slow', delayMs: 4000 });
    const firstDeadline = Date.now() + 200;
    const first = notifier.post(KEY, note(), 1, firstDeadline);
    // Temporal starts attempt 2 once attempt 1 has timed out; attempt 1's post is still at Slack.
    await waitUntil(() => emulator.faultReport().served.slow === 1 && Date.now() > firstDeadline, 10_000);
    const { ref: retryRef } = await notifier.post(KEY, note(), 2, Date.now() + FAR);
    expect(await copies()).toEqual([expect.objectContaining({ ts: tsOf(retryRef) })]);

    // The late post lands, sees the retry's older copy and removes itself.
    const late = await first;
    expect(await copies()).toEqual([expect.objectContaining({ ts: tsOf(retryRef) })]);
    expect(late.ref).toBe(retryRef);
    expect(emulator.deleted).toEqual([expect.objectContaining({ key: KEY })]);
    expect(emulator.deleted[0].ts).not.toBe(tsOf(retryRef));

    // The message the workflow holds takes its final text; a later attempt in this process agrees.
    await notifier.update(retryRef, note({ kind: 'outcome', text: 'Approved by U0APPR002', actions: [] }));
    expect((await copies())[0].text).toMatch(/Approved by U0APPR002/);
    expect(await notifier.post(KEY, note(), 3, Date.now() + FAR)).toEqual({ ref: retryRef });
  });

  it('keeps a late post that a retry adopted: with one copy, nothing is deleted', async () => {
    const notifier = new SlackNotifier('xoxb-test', emulator.apiUrl);
    // Slack did the post at once; its answer is what is late.
    await fault({ method: 'chat.postMessage', kind: 'slow-answer', delayMs: 2500 });
    const first = notifier.post(KEY, note(), 1, Date.now() + 100);
    await waitUntil(async () => (await copies()).length === 1, 10_000);
    const { ref: adopted } = await new SlackNotifier('xoxb-test', emulator.apiUrl).post(
      KEY,
      note(),
      2,
      Date.now() + FAR,
    );
    expect(await first).toEqual({ ref: adopted });
    expect(await copies()).toEqual([expect.objectContaining({ ts: tsOf(adopted) })]);
    expect(methodsCalled()).not.toContain('chat.delete');
  });

  it('a retry adopts the oldest copy, and a late post removes only its own newer copy, never the adopted one', async () => {
    const oldest = ((await (await rawPost(KEY, 'from attempt 1')).json()) as { ts: string }).ts;
    const newer = ((await (await rawPost(KEY, 'from attempt 2')).json()) as { ts: string }).ts;
    // A retry finds both: it must adopt the one no late attempt will ever delete, the oldest.
    const { ref: adopted } = await new SlackNotifier('xoxb-test', emulator.apiUrl).post(
      KEY,
      note(),
      3,
      Date.now() + FAR,
    );
    expect(tsOf(adopted)).toBe(oldest);

    // An attempt whose lookup ran before those copies landed posts a third, answered late.
    await fault({ method: 'chat.postMessage', kind: 'slow-answer', delayMs: 300 });
    const late = await new SlackNotifier('xoxb-test', emulator.apiUrl).post(KEY, note(), 1, Date.now() + 100);
    expect(late).toEqual({ ref: adopted });
    expect((await copies()).map((c) => c.ts)).toEqual([oldest, newer]); // its own copy gone, no other
    expect(emulator.deleted).toHaveLength(1);
  });

  it('does not post at all once its attempt is past the deadline', async () => {
    const notifier = new SlackNotifier('xoxb-test', emulator.apiUrl);
    await expect(notifier.post(KEY, note(), 2, Date.now() - 1)).rejects.toThrow(
      /attempt's deadline .* passed before posting/,
    );
    expect(methodsCalled()).not.toContain('chat.postMessage');
    expect(await copies()).toEqual([]);
  });

  it('removeDuplicates removes a copy from a worker that died with its post in flight, and keeps the held one', async () => {
    await fault({ method: 'chat.postMessage', kind: 'slow', delayMs: 1500 });
    const dying = new AbortController();
    const inFlight = rawPost(KEY, 'from the worker that died', dying.signal).catch(() => 'aborted');
    await waitUntil(() => emulator.faultReport().served.slow === 1, 10_000);
    dying.abort(); // the worker is gone; Slack still does the post
    expect(await inFlight).toBe('aborted');

    const notifier = new SlackNotifier('xoxb-test', emulator.apiUrl);
    const { ref: held } = await notifier.post(KEY, note(), 2, Date.now() + FAR);
    const other = await notifier.post('task/a2/t-8/approval', note({ workflowId: 'task/a2/t-8' }));
    await waitUntil(async () => (await copies()).length === 2, 10_000);

    expect(await notifier.removeDuplicates(KEY, held)).toBe(1);
    expect(await copies()).toEqual([expect.objectContaining({ ts: tsOf(held) })]);
    expect(await copies('task/a2/t-8/approval')).toEqual([expect.objectContaining({ ts: tsOf(other.ref) })]);
    expect(await notifier.removeDuplicates(KEY, held)).toBe(0);
  });

  it('removeDuplicates deletes nothing when the message to keep is not there, and says so', async () => {
    await rawPost(KEY, 'a copy');
    await rawPost(KEY, 'another copy');
    const notifier = new SlackNotifier('xoxb-test', emulator.apiUrl);
    const missing = `${emulator.channelId('#ops')}/1.000001`;
    await expect(notifier.removeDuplicates(KEY, missing)).rejects.toMatchObject({
      message: expect.stringMatching(
        /message to keep .*1\.000001.* is not among the 2 messages carrying key/,
      ),
      nonRetryable: true,
    });
    await expect(notifier.removeDuplicates(KEY, 'not-a-ref')).rejects.toThrow(
      /not a Slack message ref: not-a-ref/,
    );
    expect(await copies()).toHaveLength(2);
  });

  it('still honours Retry-After: a 429 on the post or on the clean-up becomes the next retry delay', async () => {
    const notifier = new SlackNotifier('xoxb-test', emulator.apiUrl);
    await fault({ method: 'chat.postMessage', kind: 'rate-limited', retryAfterSeconds: 5 });
    const refused = await notifier.post(KEY, note(), 1, Date.now() + FAR).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'SlackRateLimited', nextRetryDelay: 5000 });
    const { ref } = await notifier.post(KEY, note(), 2, Date.now() + FAR);

    await fault({ method: 'conversations.history', kind: 'rate-limited', retryAfterSeconds: 7 });
    await expect(notifier.removeDuplicates(KEY, ref)).rejects.toMatchObject({
      type: 'SlackRateLimited',
      nextRetryDelay: 7000,
    });
    expect(await notifier.removeDuplicates(KEY, ref)).toBe(0);
    expect(emulator.calls.filter((c) => c.status === 429)).toHaveLength(2);
  });
});
