import { isSlackUserId } from '../../policy/slack-ids';
import { ApplicationFailure } from '@temporalio/common';
import { WebClient } from '@slack/web-api';
import type { KnownBlock } from '@slack/types';
import { feedFallbackText, feedMessageBlocks } from '../../slack/blocks/feed';
import { fallbackText, taskMessageBlocks } from '../../slack/blocks/task-message';
import type { FeedMessage } from '../../workflows/channel-feed-messages';
import type { Notification, Notifier } from './notifier';
import { slackFetchCountingErrors, type WebApiErrorHook } from '../../observability/slack-web-api-errors';
import { compareTs, NOTIFICATION_EVENT, timestampsWithKey } from './slack-history';

export { NOTIFICATION_EVENT } from './slack-history';

const MAX_LIST_PAGES = 5;

/**
 * Posts task notifications to Slack (or the local emulator) as Block Kit.
 *
 * Rate limits and server errors are thrown, not retried here (`rejectRateLimitedCalls`, no client
 * retries): the notify activity fails and Temporal retries it, so a 429 delays a message but never
 * loses it. A 429 carries Slack's Retry-After as the failure's next retry delay, so the next
 * attempt waits at least that long instead of hammering the method.
 *
 * Posts are idempotent per key: within a process by memory, across crashes by the key in each
 * message's metadata, which a retried attempt looks up first. `chat.postMessage` itself has no
 * idempotency key, so a post that outlives its attempt (answered after the start-to-close timeout,
 * or in flight when a worker died) can land next to the retry's copy. Three rules keep exactly one
 * copy alive and never delete the copy the workflow holds:
 *
 * 1. Adoption: a retry that finds copies adopts the **oldest**.
 * 2. A post answered in time returns its own copy; nothing but `removeDuplicates` deletes it.
 * 3. A post answered after its attempt's deadline (its result is thrown away by Temporal) deletes
 *    **its own** copy, and only when an **older** copy carries the key; it returns the oldest copy.
 *
 * Copies become visible in ts order (a message is listed once its ts is assigned), so the copy a
 * retry adopted stays the oldest: rule 3 never deletes it, and rule 3 never deletes the oldest, so
 * one copy always remains. What rule 3 cannot settle (a late copy landing before the retry's own,
 * or from a worker that died) is left for `removeDuplicates`, which the workflow runs with the ref
 * it holds once the post's activity is over.
 */
export class SlackNotifier implements Notifier {
  private readonly client: WebClient;
  private readonly posted = new Map<string, string>();
  private readonly channelIds = new Map<string, string>(); // name → id

  /**
   * @param botToken - the bot token (`xoxb-…`); never logged.
   * @param apiUrl - Web API base URL; the emulator's when running locally.
   * @param options - `onApiError` hears of every Web API call that failed, by method and Slack's
   *   error code (see `slackFetchCountingErrors`), e.g. to count them in the worker's metrics.
   */
  constructor(botToken: string, apiUrl?: string, options: { onApiError?: WebApiErrorHook } = {}) {
    this.client = new WebClient(botToken, {
      slackApiUrl: apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      ...(options.onApiError ? { fetch: slackFetchCountingErrors(options.onApiError) } : {}),
    });
  }

  /**
   * Posts `n` once per `key`.
   *
   * @param attempt - the notify activity's attempt (1 first); above 1 the channel is searched
   *   for an earlier attempt's copy first.
   * @param attemptDeadlineMs - epoch ms after which this attempt is known to have timed out
   *   (its start plus the start-to-close timeout). Past it, nothing is posted; a post answered
   *   after it removes its own copy when an older one exists (see the class rules). Without it,
   *   every answer counts as in time.
   */
  async post(
    key: string,
    n: Notification,
    attempt = 1,
    attemptDeadlineMs?: number,
  ): Promise<{ ref: string }> {
    return honouringRetryAfter(() =>
      this.postOnce(key, () => this.destination(n), rendered(n), attempt, attemptDeadlineMs),
    );
  }

  /** Posts a channel feed's message once per `key`: the rules of {@link SlackNotifier.post}. */
  async postFeed(
    key: string,
    m: FeedMessage,
    attempt = 1,
    attemptDeadlineMs?: number,
  ): Promise<{ ref: string }> {
    // A digest names the keys it announces, so a checker (or a later look-up) finds each task's announcement.
    const entries = m.kind === 'digest' ? { entries: m.entries.map((e) => e.key) } : {};
    return honouringRetryAfter(() =>
      this.postOnce(
        key,
        () => Promise.resolve(m.channel),
        renderedFeed(m),
        attempt,
        attemptDeadlineMs,
        entries,
      ),
    );
  }

  private async postOnce(
    key: string,
    destination: () => Promise<string>,
    message: Rendered,
    attempt: number,
    deadlineMs: number | undefined,
    metadataExtra: Record<string, unknown> = {},
  ): Promise<{ ref: string }> {
    const pastDeadline = (): boolean => deadlineMs !== undefined && Date.now() > deadlineMs;
    const existing = this.posted.get(key);
    if (existing) return { ref: existing };
    const channel = await destination();
    // A retry may follow an attempt that posted and then died (worker crash, lost completion):
    // the key travels in the message's metadata, so look for it before posting again.
    if (attempt > 1) {
      const found = await this.oldestCopy(channel, key);
      if (found) {
        this.posted.set(key, found);
        return { ref: found };
      }
    }
    // Temporal has already given up on this attempt and a retry may be posting: one more copy
    // would only be a duplicate to clean up.
    if (pastDeadline())
      throw new Error(
        `notification ${key}: this attempt's deadline (${new Date(deadlineMs!).toISOString()}) passed before posting; the retry posts it`,
      );
    const result = await this.client.chat.postMessage({
      channel,
      text: message.text,
      blocks: message.blocks,
      metadata: { event_type: NOTIFICATION_EVENT, event_payload: { ...metadataExtra, key } },
    });
    if (!result.ok || !result.channel || !result.ts)
      throw new Error(`chat.postMessage failed: ${result.error ?? 'no ts'}`);
    if (pastDeadline()) return { ref: await this.settleLateCopy(result.channel, result.ts, key) };
    // The ref names the exact message, so updates reach it even from another worker.
    const ref = `${result.channel}/${result.ts}`;
    this.posted.set(key, ref);
    return { ref };
  }

  /**
   * Rule 3 for a copy answered after its attempt's deadline: deleted when an older copy carries
   * the key (that one is returned), kept when it is the oldest. Never remembered: a later
   * attempt in this process looks the key up like one in another process would.
   */
  private async settleLateCopy(channel: string, ts: string, key: string): Promise<string> {
    const copies = await timestampsWithKey(this.client, channel, key);
    const oldest = copies[0];
    if (oldest === undefined || compareTs(oldest, ts) >= 0) return `${channel}/${ts}`;
    await this.deleteMessage(channel, ts);
    return `${channel}/${oldest}`;
  }

  /**
   * Deletes every message carrying `key` in `keepRef`'s channel except `keepRef` (copies left by
   * attempts that outlived their deadline or died with a post in flight).
   *
   * Run it with the ref the workflow holds, after the post's activity completed, a grace period
   * after it (longer than Slack takes to answer a post) so late copies have landed.
   *
   * @returns how many messages this call deleted (a copy someone else deleted first is not counted).
   * @throws a non-retryable ApplicationFailure (type `SlackKeptMessageMissing`) and deletes
   *   nothing when `keepRef` is not among the messages carrying `key`, so a copy always remains.
   */
  async removeDuplicates(key: string, keepRef: string): Promise<number> {
    return honouringRetryAfter(() => this.removeDuplicatesOnce(key, keepRef));
  }

  private async removeDuplicatesOnce(key: string, keepRef: string): Promise<number> {
    const [channel, keepTs] = parseRef(keepRef);
    const copies = await timestampsWithKey(this.client, channel, key);
    if (!copies.includes(keepTs))
      throw ApplicationFailure.nonRetryable(
        `removeDuplicates: the message to keep (${keepRef}) is not among the ${copies.length} messages carrying key "${key}" in ${channel}'s history of the last day; deleted nothing, so that a copy remains`,
        'SlackKeptMessageMissing',
      );
    let removed = 0;
    for (const ts of copies) if (ts !== keepTs && (await this.deleteMessage(channel, ts))) removed++;
    if (this.posted.has(key)) this.posted.set(key, keepRef);
    return removed;
  }

  /** Deletes one message; false when it was already gone (a concurrent clean-up got there first). */
  private async deleteMessage(channel: string, ts: string): Promise<boolean> {
    try {
      await this.client.chat.delete({ channel, ts });
      return true;
    } catch (err) {
      const e = err as { code?: string; data?: { error?: string } };
      if (e.code === 'slack_webapi_platform_error' && e.data?.error === 'message_not_found') return false;
      throw err;
    }
  }

  async update(ref: string, n: Notification): Promise<void> {
    return honouringRetryAfter(() => this.updateOnce(ref, rendered(n)));
  }

  /** Edits a channel feed's message in place. */
  async updateFeed(ref: string, m: FeedMessage): Promise<void> {
    return honouringRetryAfter(() => this.updateOnce(ref, renderedFeed(m)));
  }

  private async updateOnce(ref: string, message: Rendered): Promise<void> {
    const [channel, ts] = parseRef(ref);
    const result = await this.client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
    if (!result.ok) throw new Error(`chat.update failed: ${result.error}`);
  }

  /** The ref of the oldest message posted under `key` in the last day, if any (adoption, rule 1). */
  private async oldestCopy(channelOrName: string, key: string): Promise<string | undefined> {
    // chat.postMessage takes `#name`, conversations.history only ids.
    const channel = await this.channelIdFor(channelOrName);
    if (!channel) return undefined;
    const [oldest] = await timestampsWithKey(this.client, channel, key);
    return oldest === undefined ? undefined : `${channel}/${oldest}`;
  }

  /** The id of a channel given as `#name` or id; undefined when the bot cannot see it. */
  private async channelIdFor(channel: string): Promise<string | undefined> {
    if (/^[CDG][A-Z0-9]+$/.test(channel)) return channel;
    const name = channel.replace(/^#/, '');
    const known = this.channelIds.get(name);
    if (known) return known;
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
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
    if (n.to && isSlackUserId(n.to)) {
      const dm = await this.client.conversations.open({ users: n.to });
      if (!dm.ok || !dm.channel?.id) throw new Error(`conversations.open failed for ${n.to}: ${dm.error}`);
      return dm.channel.id;
    }
    return n.channel;
  }
}

/** A message as Slack takes it: the top-level text (escaped like the blocks) and the blocks. */
interface Rendered {
  text: string;
  blocks: KnownBlock[];
}

function rendered(n: Notification): Rendered {
  return { text: fallbackText(n), blocks: taskMessageBlocks(n) };
}

function renderedFeed(m: FeedMessage): Rendered {
  return { text: feedFallbackText(m), blocks: feedMessageBlocks(m) };
}

/** Splits a message ref `channel/ts`. */
function parseRef(ref: string): [channel: string, ts: string] {
  const [channel, ts, extra] = ref.split('/');
  if (!channel || !ts || extra !== undefined) throw new Error(`not a Slack message ref: ${ref}`);
  return [channel, ts];
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
