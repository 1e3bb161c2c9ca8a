import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { channelFeed } from '../workflows/channel-feed';
import { createBatchedCalls } from './batched-calls';
import { entityStartOptions } from './entity-start';
import {
  announceSignal,
  channelFeedId,
  requestHeldSignal,
  requestPostedSignal,
  type FeedEntry,
} from '../workflows/channel-feed-messages';

/** How the notify activity reaches a channel's feed (`workflows/channel-feed.ts`). */
export interface ChannelFeedLink {
  /** Hands over an announcement Slack's limit refused; the feed posts it in a digest. */
  announce(entry: FeedEntry): Promise<void>;
  /** Lists a request whose own post Slack's limit holds back. */
  hold(entry: FeedEntry): Promise<void>;
  /** A held request's own message landed; a no-op when the channel has no feed. */
  posted(channel: string, key: string): Promise<void>;
}

/**
 * A {@link ChannelFeedLink} over a Temporal client: signal-with-start, so the first hand-off of a
 * burst starts the channel's feed and every later one joins it. Hand-offs to one feed are batched
 * in this process (one signal in flight per feed and kind; the rest go together in the next): a
 * thousand tasks handing over at once cost a few dozen signals to the one workflow, not a thousand.
 */
export function createChannelFeedLink(client: Client, taskQueue: string): ChannelFeedLink {
  const start =
    (signal: typeof announceSignal | typeof requestHeldSignal) =>
    async (feedId: string, entries: FeedEntry[]): Promise<void[]> => {
      const channel = entries[0].notification.channel;
      await client.workflow.signalWithStart(channelFeed, {
        workflowId: feedId,
        ...entityStartOptions(taskQueue),
        args: [{ channel }],
        signal,
        signalArgs: [entries],
      });
      return entries.map(() => undefined);
    };
  // Entries are small (a notification each); 100 keep a signal well under the payload limit.
  const announcements = createBatchedCalls(start(announceSignal), 100);
  const held = createBatchedCalls(start(requestHeldSignal), 100);
  const feedOf = (entry: FeedEntry): string => channelFeedId(taskQueue, entry.notification.channel);
  return {
    announce: (entry) => announcements.call(feedOf(entry), entry),
    hold: (entry) => held.call(feedOf(entry), entry),
    async posted(channel, key) {
      try {
        await client.workflow
          .getHandle(channelFeedId(taskQueue, channel))
          .signal(requestPostedSignal, { key });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    },
  };
}
