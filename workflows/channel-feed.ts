import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import { ActivityProfiles } from './activity-profiles';
import {
  announceSignal,
  channelFeedStateQuery,
  requestHeldSignal,
  requestPostedSignal,
  type ChannelFeedInput,
  type FeedEntry,
} from './channel-feed-messages';

const notifying = proxyActivities<LadderActivities>(ActivityProfiles.notify);

/** Announcements per digest message: each is one section block, within Slack's 50 per message. */
export const DIGEST_MAX_ENTRIES = 40;
/** Requests listed in the pending-requests message: each takes a section and an actions block. */
export const PENDING_MAX_ENTRIES = 20;
/**
 * Wait before each digest, in ms: Slack allows one message a second per channel, and the
 * announcements arriving meanwhile join the digest instead of competing for the next second.
 */
export const DIGEST_SPACING_MS = 1_500;
/** Wait before each edit of the pending-requests message, in ms (`chat.update` is Slack's tier 3, 50 a minute). */
export const PENDING_REFRESH_MS = 3_000;
/** An idle feed ends after this long, in ms; the next hand-off starts it again. */
export const FEED_IDLE_MS = 10 * 60_000;
/** Keys remembered for deduplication: far more than can be retried while a burst drains. */
export const RECENT_KEYS_MAX = 5_000;
/** Continue-as-new past this many events, well under the server's suggestion. */
const HISTORY_EVENTS_MAX = 3_000;

/**
 * A channel's feed (`feed/<queue>/<channel>`): what Slack's limit of one message a second per
 * channel kept from posting on its own, so a burst neither slows the tasks nor loses a message.
 *
 * - **Announcements** (a task that ran on its own authority) whose post was refused arrive by
 *   `announce`; they are posted together, up to {@link DIGEST_MAX_ENTRIES} per message, each with
 *   its own *Report a defect* button, one digest at a time, spaced by {@link DIGEST_SPACING_MS}.
 * - **Requests** (a rung-2 approval, anything with answer buttons) keep their own message, which
 *   the task keeps trying to post; while it is held back the request is listed, buttons and all,
 *   in one pending-requests message per channel, kept up to date, so it stays reachable.
 *
 * A key is counted once (a retried hand-off signals twice). State is bounded: what waits is
 * drained in order, and at most {@link RECENT_KEYS_MAX} keys are remembered.
 */
export async function channelFeed(input: ChannelFeedInput): Promise<void> {
  const queued: FeedEntry[] = [...(input.queued ?? [])];
  const pending = new Map<string, FeedEntry>((input.pending ?? []).map((e) => [e.key, e]));
  const recent = new Set<string>(input.recentKeys ?? []);
  let pendingRef = input.pendingRef ?? null;
  let posts = input.posts ?? 0;
  let pendingChanged = pending.size > 0 || pendingRef !== null;

  const remember = (key: string): void => {
    recent.add(key);
    if (recent.size > RECENT_KEYS_MAX) recent.delete(recent.values().next().value as string);
  };
  setHandler(announceSignal, (entries) => {
    for (const entry of entries) {
      if (recent.has(entry.key)) continue;
      remember(entry.key);
      queued.push(entry);
    }
  });
  setHandler(requestHeldSignal, (entries) => {
    for (const entry of entries) {
      // Settled already (its post landed between the refusal and this signal), or listed.
      if (recent.has(entry.key) || pending.has(entry.key)) continue;
      pending.set(entry.key, entry);
      pendingChanged = true;
    }
  });
  setHandler(requestPostedSignal, ({ key }) => {
    remember(key);
    if (pending.delete(key)) pendingChanged = true;
  });
  setHandler(channelFeedStateQuery, () => ({
    channel: input.channel,
    queued: queued.length,
    pending: [...pending.keys()],
    posts,
    pendingRef,
  }));

  const tooLong = (): boolean =>
    workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > HISTORY_EVENTS_MAX;

  for (;;) {
    const work = await condition(() => queued.length > 0 || pendingChanged || tooLong(), FEED_IDLE_MS);
    if (!work && pending.size === 0 && pendingRef === null) break;
    if (queued.length > 0) {
      await sleep(DIGEST_SPACING_MS);
      const entries = queued.slice(0, DIGEST_MAX_ENTRIES);
      posts++;
      await notifying.postFeedMessage({
        key: `${workflowInfo().workflowId}/post-${posts}`,
        message: { kind: 'digest', channel: input.channel, entries, more: 0 },
      });
      queued.splice(0, entries.length);
    }
    if (pendingChanged) {
      await sleep(PENDING_REFRESH_MS);
      pendingChanged = false;
      const held = [...pending.values()];
      // A new pending-requests message is one more post: numbered with the digests, stable on retry.
      if (pendingRef === null && held.length > 0) posts++;
      pendingRef = await showPending(
        input.channel,
        held,
        pendingRef,
        `${workflowInfo().workflowId}/post-${posts}`,
      );
    }
    if (tooLong() && queued.length === 0 && !pendingChanged) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof channelFeed>({
        channel: input.channel,
        queued,
        pending: [...pending.values()],
        recentKeys: [...recent],
        pendingRef,
        posts,
      });
    }
  }
  await condition(allHandlersFinished);
}

/**
 * Shows the requests still held back: posts the pending-requests message when there is none,
 * edits it in place otherwise, and closes it (no buttons) once every request has its own message.
 *
 * @returns the message to keep editing, or null once it is closed.
 */
async function showPending(
  channel: string,
  held: FeedEntry[],
  ref: string | null,
  key: string,
): Promise<string | null> {
  const entries = held.slice(0, PENDING_MAX_ENTRIES);
  const message = {
    kind: 'pending-requests' as const,
    channel,
    entries,
    more: held.length - entries.length,
  };
  if (ref === null) {
    if (held.length === 0) return null;
    return notifying.postFeedMessage({ key, message });
  }
  await notifying.updateFeedMessage({ ref, message });
  return held.length === 0 ? null : ref;
}
