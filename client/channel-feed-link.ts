import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { channelFeed } from '../workflows/channel-feed';
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
 * burst starts the channel's feed and every later one joins it.
 */
export function createChannelFeedLink(client: Client, taskQueue: string): ChannelFeedLink {
  const start = async (
    entry: FeedEntry,
    signal: typeof announceSignal | typeof requestHeldSignal,
  ): Promise<void> => {
    const channel = entry.notification.channel;
    await client.workflow.signalWithStart(channelFeed, {
      workflowId: channelFeedId(taskQueue, channel),
      taskQueue,
      args: [{ channel }],
      signal,
      signalArgs: [entry],
    });
  };
  return {
    announce: (entry) => start(entry, announceSignal),
    hold: (entry) => start(entry, requestHeldSignal),
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
