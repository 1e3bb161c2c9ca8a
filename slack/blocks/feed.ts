import type { KnownBlock } from '@slack/types';
import type { FeedEntry, FeedMessage } from '../../workflows/channel-feed-messages';
import { escapeMrkdwn, link, stripControl } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';
import { notificationButtons, notificationText } from './task-message';

/** Characters of a request's text shown in the pending list: the steps, with a link for the rest. */
const PENDING_TEXT_MAX = 900;
/** Characters of an announcement's line in a digest. */
const DIGEST_LINE_MAX = 600;

/**
 * Block Kit for a channel feed's message (`workflows/channel-feed.ts`):
 *
 * - a **digest**: one section per announcement (its title, what ran, a link to the Temporal UI),
 *   with the announcement's own button (*Report a defect*) as the section's accessory;
 * - the **pending requests**: each request held back by Slack's per-channel limit, with its text
 *   (the steps an approval binds to) and its own buttons, so people can answer before its own
 *   message lands. With none left, it says so and offers no buttons.
 *
 * Buttons carry the same values as in the task's own message (workflow id, steps hash), so the
 * same listeners answer them and the workflow's validators decide. Everything from agents is
 * escaped. Pure; always within 50 blocks and Slack's text limits.
 */
export function feedMessageBlocks(m: FeedMessage): KnownBlock[] {
  return m.kind === 'digest' ? digestBlocks(m) : pendingBlocks(m);
}

/** The message's top-level text (notifications, previews). Pure. */
export function feedFallbackText(m: FeedMessage): string {
  const n = m.entries.length + m.more;
  if (m.kind === 'digest') return `${n} task(s) ran on their own authority`;
  return n === 0
    ? 'No requests are waiting for their own message'
    : `${n} request(s) wait for their own message: answer them here`;
}

function digestBlocks(m: FeedMessage): KnownBlock[] {
  const blocks: KnownBlock[] = [header(feedFallbackText(m))];
  for (const entry of m.entries.slice(0, BLOCK_LIMITS.blocksPerMessage - 3)) {
    const [button] = notificationButtons(entry.notification);
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: entryLine(entry, DIGEST_LINE_MAX) },
      ...(button ? { accessory: button } : {}),
    });
  }
  blocks.push(context(moreLine(m, 'Slack allows one message a second per channel, so these came together.')));
  return blocks;
}

function pendingBlocks(m: FeedMessage): KnownBlock[] {
  const total = m.entries.length + m.more;
  if (total === 0)
    return [
      header(feedFallbackText(m)),
      context('Every request held back by Slack’s limit now has its own message.'),
    ];
  const blocks: KnownBlock[] = [
    header(feedFallbackText(m)),
    context(
      'Slack allows one message a second per channel, so these requests are not posted on their own yet. Answering here is the same as answering in their own message.',
    ),
  ];
  for (const entry of m.entries.slice(0, Math.floor((BLOCK_LIMITS.blocksPerMessage - 3) / 2))) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: entryLine(entry, PENDING_TEXT_MAX) } });
    const buttons = notificationButtons(entry.notification);
    if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  }
  if (m.more > 0) blocks.push(context(moreLine(m, '')));
  return blocks;
}

/** `*title*` (linked to the Temporal UI), agent and class, then the entry's text, escaped. */
function entryLine(entry: FeedEntry, max: number): string {
  const n = entry.notification;
  const title = n.link ? link(n.link, n.title) : escapeMrkdwn(n.title);
  const line = `*${title}* (${escapeMrkdwn(n.agentId)}, ${escapeMrkdwn(n.taskClass)})\n${notificationText(n)}`;
  return truncate(line, Math.min(max, BLOCK_LIMITS.sectionText), n.link);
}

function moreLine(m: FeedMessage, otherwise: string): string {
  return m.more > 0
    ? `…and ${m.more} more, shown as Slack's limit allows.`
    : otherwise || 'That is all of them.';
}

function header(text: string): KnownBlock {
  return {
    type: 'header',
    text: { type: 'plain_text', text: truncate(stripControl(text), BLOCK_LIMITS.headerText) },
  };
}

function context(text: string): KnownBlock {
  return {
    type: 'context',
    elements: [{ type: 'mrkdwn', text: truncate(text, BLOCK_LIMITS.contextElementText) }],
  };
}
