import type { WebClient } from '@slack/web-api';

/** Message metadata type that marks Ladder's notifications (and carries their idempotency key). */
export const NOTIFICATION_EVENT = 'ladder_notification';

/** How far back a lookup by key reads a channel's history, in seconds. */
export const LOOKBACK_SECONDS = 24 * 60 * 60;
/** Pages of 200 messages read at most per lookup (so a lookup sees the last 1,000 messages). */
const MAX_HISTORY_PAGES = 5;

/**
 * Orders two Slack message timestamps (`"seconds.micros"`) in time, exactly: as numbers they
 * have more digits than a double keeps.
 *
 * @returns negative when `a` is older, positive when newer, 0 when equal.
 */
export function compareTs(a: string, b: string): number {
  const [aSeconds, aFraction = ''] = a.split('.');
  const [bSeconds, bFraction = ''] = b.split('.');
  const seconds = BigInt(aSeconds) - BigInt(bSeconds);
  if (seconds !== 0n) return seconds < 0n ? -1 : 1;
  const width = Math.max(aFraction.length, bFraction.length);
  const fa = aFraction.padEnd(width, '0');
  const fb = bFraction.padEnd(width, '0');
  return fa < fb ? -1 : fa > fb ? 1 : 0;
}

/**
 * The timestamps of every message in `channel` (an id) whose Ladder metadata carries `key`,
 * posted in the last `LOOKBACK_SECONDS` and within the newest 1,000 messages, oldest first.
 *
 * @throws the Web API's error (a 429 included) when a history page cannot be read.
 */
export async function timestampsWithKey(client: WebClient, channel: string, key: string): Promise<string[]> {
  const oldest = String(Math.floor(Date.now() / 1000) - LOOKBACK_SECONDS);
  const found: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
    const history = await client.conversations.history({
      channel,
      oldest,
      limit: 200,
      include_all_metadata: true,
      cursor,
    });
    if (!history.ok) throw new Error(`conversations.history failed in ${channel}: ${history.error}`);
    for (const m of history.messages ?? []) {
      const payload = m.metadata?.event_payload as Record<string, unknown> | undefined;
      if (m.ts && m.metadata?.event_type === NOTIFICATION_EVENT && payload?.key === key) found.push(m.ts);
    }
    cursor = history.response_metadata?.next_cursor || undefined;
    if (!history.has_more || !cursor) break;
  }
  return found.sort(compareTs);
}
