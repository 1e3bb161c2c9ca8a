import { WebClient } from '@slack/web-api';
import { taskMessageBlocks } from '../../slack/blocks/task-message';
import type { Notification, Notifier } from './notifier';

/**
 * Posts task notifications to Slack (or the local emulator) as Block Kit.
 *
 * Rate limits and server errors are thrown, not retried here (`rejectRateLimitedCalls`, no client
 * retries): the notify activity fails and Temporal retries it with backoff, so a 429 delays a
 * message but never loses it. Posts are idempotent per key within this worker process.
 */
export class SlackNotifier implements Notifier {
  private readonly client: WebClient;
  private readonly posted = new Map<string, string>();

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

  async post(key: string, n: Notification): Promise<{ ref: string }> {
    const existing = this.posted.get(key);
    if (existing) return { ref: existing };
    const channel = await this.destination(n);
    const text = this.fallbackText(n);
    const result = await this.client.chat.postMessage({ channel, text, blocks: taskMessageBlocks(n) });
    if (!result.ok || !result.channel || !result.ts)
      throw new Error(`chat.postMessage failed: ${result.error ?? 'no ts'}`);
    // The ref names the exact message, so updates reach it even from another worker.
    const ref = `${result.channel}/${result.ts}`;
    this.posted.set(key, ref);
    return { ref };
  }

  async update(ref: string, n: Notification): Promise<void> {
    const [channel, ts] = ref.split('/');
    if (!channel || !ts) throw new Error(`not a Slack message ref: ${ref}`);
    const result = await this.client.chat.update({
      channel,
      ts,
      text: this.fallbackText(n),
      blocks: taskMessageBlocks(n),
    });
    if (!result.ok) throw new Error(`chat.update failed: ${result.error}`);
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

  private fallbackText(n: Notification): string {
    return `${n.title}: ${n.text}`.slice(0, 3000);
  }
}
