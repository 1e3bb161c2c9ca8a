import type { SlackEmulator } from '../../slack/emulator/server';
import { feedEntryKeys } from '../../slack/emulator/workspace';

/** A channel message as the checker reads it: where, its notification key, its text now. */
export interface ListedMessage {
  channel: string;
  ts: string;
  text: string;
  key: string | null;
  /** A channel feed's digest: the keys of the announcements it carries (empty otherwise). */
  entries: string[];
}

/**
 * Every channel message in the emulator (ephemeral ones left out), through its control endpoint
 * `GET /emulator/messages`; where the emulator has no such endpoint, read in this process from the
 * message metadata that carries each notification's key.
 */
export async function listSlackMessages(emulator: SlackEmulator): Promise<ListedMessage[]> {
  const response = await fetch(`${emulator.url}/emulator/messages`).catch(() => undefined);
  if (response?.ok) {
    const body = (await response.json()) as { messages: ListedMessage[] };
    return body.messages.map((m) => ({
      channel: m.channel,
      ts: m.ts,
      text: m.text,
      key: m.key ?? null,
      entries: m.entries ?? [],
    }));
  }
  const listed: ListedMessage[] = [];
  for (const channel of emulator.workspace.channels.values()) {
    for (const m of emulator.messages(channel.id)) {
      if (m.ephemeralTo !== undefined) continue;
      const key = m.metadata?.event_payload?.key;
      listed.push({
        channel: channel.id,
        ts: m.ts,
        text: m.text,
        key: typeof key === 'string' ? key : null,
        entries: feedEntryKeys(m),
      });
    }
  }
  return listed;
}
