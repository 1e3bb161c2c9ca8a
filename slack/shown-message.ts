import { createHash } from 'node:crypto';
import type { ShownMessage } from '../policy/answer-proof';
import { canonicalJson } from '../policy/canonical-json';

/**
 * What a click was given to, read from Slack's `block_actions` payload: the message (channel and
 * ts) with a hash of its text and blocks as Slack delivered them, or the App Home view. Undefined
 * when the payload carries neither. Pure.
 */
export function shownMessageOf(body: unknown): ShownMessage | undefined {
  const b = body as {
    message?: { ts?: unknown; text?: unknown; blocks?: unknown };
    channel?: { id?: unknown };
    container?: { channel_id?: unknown };
    view?: { id?: unknown; type?: unknown; blocks?: unknown };
  };
  const channel = b.channel?.id ?? b.container?.channel_id;
  if (b.message && typeof b.message.ts === 'string' && typeof channel === 'string')
    return {
      ref: `${channel}/${b.message.ts}`,
      sha256: shownHash({ text: b.message.text ?? '', blocks: b.message.blocks ?? [] }),
    };
  if (b.view && typeof b.view.id === 'string')
    return {
      ref: `${String(b.view.type)}/${b.view.id}`,
      sha256: shownHash({ text: '', blocks: b.view.blocks ?? [] }),
    };
  return undefined;
}

/** SHA-256 (hex) of `{ text, blocks }` as canonical JSON: the same message hashes the same anywhere. Pure. */
export function shownHash(message: { text: unknown; blocks: unknown }): string {
  return createHash('sha256')
    .update(canonicalJson({ text: message.text, blocks: message.blocks }))
    .digest('hex');
}
