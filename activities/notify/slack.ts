import { ApplicationFailure } from '@temporalio/common';
import { WebClient } from '@slack/web-api';
import { fallbackText, taskMessageBlocks } from '../../slack/blocks/task-message';
import type { Notification, Notifier } from './notifier';

/** Message metadata type that marks Ladder's notifications (and carries their idempotency key). */
const NOTIFICATION_EVENT = 'ladder_notification';
/** How far back a retried post looks for its earlier attempt, in seconds. */
const LOOKBACK_SECONDS = 24 * 60 * 60;
const MAX_HISTORY_PAGES = 5;

/**
 * Posts task notifications to Slack (or the local emulator) as Block Kit.
 *
 * Rate limits and server errors are thrown, not retried here (`rejectRateLimitedCalls`, no client
 * retries): the notify activity fails and Temporal retries it, so a 429 delays a message but never
 * loses it. A 429 carries Slack's Retry-After as the failure's next retry delay, so the next
 * attempt waits at least that long instead of hammering the method. Posts are idempotent per key: within a process by memory, across
 * crashes by the key in each message's metadata, which a retried attempt looks up first.
 */
export class SlackNotifier implements Notifier {
  private readonly client: WebClient;
  private readonly posted = new Map<string, string>();
  private readonly channelIds = new Map<string, string>(); // name → id

  /**
   * @param botToken - the bot token (`xoxb-…`); never logged.
   * @param apiUrl - Web API base URL; the emulator's when running locally.
   */
  constructor(botToken: string, apiUrl?: string) {
    this.client = new WebClient(botToken, {
      slackApiUrl: apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });
  }

  async post(key: string, n: Notification, attempt = 1): Promise<{ ref: string }> {
    return honouringRetryAfter(() => this.postOnce(key, n, attempt));
  }

  private async postOnce(key: string, n: Notification, attempt: number): Promise<{ ref: string }> {
    const existing = this.posted.get(key);
    if (existing) return { ref: existing };
    const channel = await this.destination(n);
    // A retry may follow an attempt that posted and then died (worker crash, lost completion):
    // the key travels in the message's metadata, so look for it before posting again.
    if (attempt > 1) {
      const found = await this.findPosted(channel, key);
      if (found) {
        this.posted.set(key, found);
        return { ref: found };
      }
    }
    // Escaped like the blocks: the top-level text is mrkdwn too, and is what notifications show.
    const text = fallbackText(n);
    const result = await this.client.chat.postMessage({
      channel,
      text,
      blocks: taskMessageBlocks(n),
      metadata: { event_type: NOTIFICATION_EVENT, event_payload: { key } },
    });
    if (!result.ok || !result.channel || !result.ts)
      throw new Error(`chat.postMessage failed: ${result.error ?? 'no ts'}`);
    // The ref names the exact message, so updates reach it even from another worker.
    const ref = `${result.channel}/${result.ts}`;
    this.posted.set(key, ref);
    return { ref };
  }

  async update(ref: string, n: Notification): Promise<void> {
    return honouringRetryAfter(() => this.updateOnce(ref, n));
  }

  private async updateOnce(ref: string, n: Notification): Promise<void> {
    const [channel, ts] = ref.split('/');
    if (!channel || !ts) throw new Error(`not a Slack message ref: ${ref}`);
    const result = await this.client.chat.update({
      channel,
      ts,
      text: fallbackText(n),
      blocks: taskMessageBlocks(n),
    });
    if (!result.ok) throw new Error(`chat.update failed: ${result.error}`);
  }

  /** The ref of a message posted under `key` in the last day, if any. */
  private async findPosted(channelOrName: string, key: string): Promise<string | undefined> {
    // chat.postMessage takes `#name`, conversations.history only ids.
    const channel = await this.channelIdFor(channelOrName);
    if (!channel) return undefined;
    const oldest = String(Math.floor(Date.now() / 1000) - LOOKBACK_SECONDS);
    let cursor: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const history = await this.client.conversations.history({
        channel,
        oldest,
        limit: 200,
        include_all_metadata: true,
        cursor,
      });
      if (!history.ok) throw new Error(`conversations.history failed: ${history.error}`);
      const match = history.messages?.find(
        (m) =>
          m.metadata?.event_type === NOTIFICATION_EVENT &&
          (m.metadata.event_payload as Record<string, unknown> | undefined)?.key === key,
      );
      if (match?.ts) return `${channel}/${match.ts}`;
      cursor = history.response_metadata?.next_cursor || undefined;
      if (!history.has_more || !cursor) return undefined;
    }
    return undefined;
  }

  /** The id of a channel given as `#name` or id; undefined when the bot cannot see it. */
  private async channelIdFor(channel: string): Promise<string | undefined> {
    if (/^[CDG][A-Z0-9]+$/.test(channel)) return channel;
    const name = channel.replace(/^#/, '');
    const known = this.channelIds.get(name);
    if (known) return known;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const list = await this.client.conversations.list({
        types: 'public_channel,private_channel',
        exclude_archived: true,
        limit: 1000,
        cursor,
      });
      if (!list.ok) throw new Error(`conversations.list failed: ${list.error}`);
      for (const c of list.channels ?? []) if (c.name && c.id) this.channelIds.set(c.name, c.id);
      if (this.channelIds.has(name)) return this.channelIds.get(name);
      cursor = list.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  /** A user id gets a DM; `channel` (or nothing) goes to the task class's channel. */
  private async destination(n: Notification): Promise<string> {
    if (n.to && /^[UW][A-Z0-9]{2,}$/.test(n.to)) {
      const dm = await this.client.conversations.open({ users: n.to });
      if (!dm.ok || !dm.channel?.id) throw new Error(`conversations.open failed for ${n.to}: ${dm.error}`);
      return dm.channel.id;
    }
    return n.channel;
  }
}

/**
 * Runs Web API calls, turning Slack's rate-limit error into a retryable activity failure whose
 * next retry waits Slack's Retry-After (seconds) at least.
 */
export async function honouringRetryAfter<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { code?: string; retryAfter?: unknown; message?: string };
    if (e.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number') {
      throw ApplicationFailure.create({
        message: e.message ?? 'Slack rate limit',
        type: 'SlackRateLimited',
        nextRetryDelay: Math.max(1, e.retryAfter) * 1000,
        cause: err as Error,
      });
    }
    throw err;
  }
}
