import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Client } from '@temporalio/client';
import type { ChannelFeedLink } from '../../../client/channel-feed-link';
import type { Notification } from '../../../activities/notify/notifier';
import { createNotifyActivities, type NotifyResult } from '../../../activities/notify/notify-activities';
import { RecordingNotifier } from '../../../activities/notify/recording';
import type { FeedEntry } from '../../../workflows/channel-feed-messages';

/** A notifier whose next `refusals` posts Slack refuses with a 429, as its per-channel limit does. */
class LimitedNotifier extends RecordingNotifier {
  constructor(private refusals: number) {
    super();
  }
  override async post(key: string, notification: Notification): Promise<{ ref: string }> {
    if (this.refusals > 0) {
      this.refusals--;
      throw ApplicationFailure.create({
        message: 'chat.postMessage: ratelimited',
        type: 'SlackRateLimited',
        nextRetryDelay: 1000,
      });
    }
    return super.post(key, notification);
  }
}

const announcement: Notification = {
  kind: 'executed',
  workflowId: 'task/a3/hand-over',
  agentId: 'a3',
  taskClass: 'ops',
  channel: '#ops',
  title: 'restart the cache',
  text: 'Executed on its own authority: 1 of 1 step(s) ran.',
};
const KEY = 'task/a3/hand-over/executed';

/**
 * An announcement Slack's limit refused is handed to its channel's feed, which posts it in a
 * digest. When the attempt that handed it over never reports back (its worker died, its answer
 * was lost), the retry must not post a message of its own: the task would be announced twice.
 */
describe('notify: an announcement handed to the feed stays the feed’s', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'ladder-hand-over-'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  /** The notify activity of a fresh worker process sharing `stateDir`, and what its feed link got. */
  function worker(notifier: RecordingNotifier) {
    const announced: FeedEntry[] = [];
    const channelFeeds: ChannelFeedLink = {
      announce: async (entry) => {
        announced.push(entry);
      },
      hold: async () => undefined,
      posted: async () => undefined,
    };
    const { notify } = createNotifyActivities({
      notifier,
      stateDir,
      client: {} as Client,
      taskQueue: 'test',
      outcomes: { record: async () => undefined },
      channelFeeds,
    });
    return { notify, announced };
  }

  it('a retry after a hand-over hands it over again and posts nothing of its own', async () => {
    const notifier = new LimitedNotifier(1);
    const first = worker(notifier);
    const handedOver = await new MockActivityEnvironment({ attempt: 1 }).run(first.notify, {
      key: KEY,
      notification: announcement,
    });
    expect(handedOver).toMatchObject({ ref: '', inFeed: true });
    expect(first.announced.map((e) => e.key)).toEqual([KEY]);

    // Temporal retries: the first answer was lost with its worker. Slack would take a post now.
    const second = worker(notifier);
    const retried = await new MockActivityEnvironment({ attempt: 2 }).run(second.notify, {
      key: KEY,
      notification: announcement,
    });
    expect(retried).toMatchObject({ ref: '', attempt: 2, inFeed: true });
    expect(second.announced.map((e) => e.key)).toEqual([KEY]);
    expect(notifier.posted).toEqual([]);
  });

  it('an announcement Slack took is posted as its own message, with no hand-over', async () => {
    const notifier = new LimitedNotifier(0);
    const only = worker(notifier);
    const result: NotifyResult = await new MockActivityEnvironment({ attempt: 1 }).run(only.notify, {
      key: KEY,
      notification: announcement,
    });
    expect(result.inFeed).toBeUndefined();
    expect(notifier.posted.map((p) => p.key)).toEqual([KEY]);
    expect(only.announced).toEqual([]);
  });
});
