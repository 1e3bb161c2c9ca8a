import type { Button, KnownBlock } from '@slack/types';
import type { Notification } from '../../activities/notify/notifier';
import { escapeMrkdwn, link, mention, stripControl } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';

/** The buttons a task message can offer, by the action names the workflow asks for. */
const BUTTONS: Record<string, { text: string; style?: 'primary' | 'danger' }> = {
  approve: { text: 'Approve', style: 'primary' },
  reject: { text: 'Reject', style: 'danger' },
  done: { text: 'Done', style: 'primary' },
  dismiss: { text: 'Dismiss' },
  accept: { text: 'Accept draft', style: 'primary' },
  'mark-read': { text: 'Mark as read', style: 'primary' },
  promote: { text: 'Approve promotion', style: 'primary' },
  'decline-promotion': { text: 'Decline' },
  'report-defect': { text: 'Report a defect', style: 'danger' },
  'audit-agree': { text: 'Agree', style: 'primary' },
  'audit-disagree': { text: 'Disagree', style: 'danger' },
  'outcome-ran': { text: 'It ran', style: 'primary' },
  'outcome-run-again': { text: 'Run it again' },
  'outcome-undo': { text: 'Undo it', style: 'danger' },
};

const TITLES: Record<Notification['kind'], string> = {
  suggestion: 'Suggestion',
  draft: 'Draft for review',
  'approval-request': 'Approval needed',
  'approval-reminder': 'Reminder: approval needed',
  fallback: 'Fell back to confirmation',
  executed: 'Executed',
  rollback: 'Rolled back',
  'rollback-failed': 'INCIDENT: rollback failed',
  'outcome-unknown': 'Outcome unknown: did it run?',
  report: 'Report',
  'report-escalation': 'Unread report',
  outcome: 'Decided',
  refused: 'Refused',
  'promotion-proposal': 'Promotion proposed',
  'rung-change': 'Rung changed',
  audit: 'Audit',
};

/**
 * Block Kit for one task notification: header, the text (truncated within limits with a link to
 * the full text), the facts as context, and the offered buttons. Button values carry only the
 * workflow ID: who clicked comes from Slack's verified payload, never from the button.
 *
 * Everything in a notification is treated as written by someone else (the agent's title, step
 * descriptions, params, reasons, an action's error text) and escaped for mrkdwn, so `<!channel>`,
 * `<@U…>` or `<http://evil|click>` in it shows as text and pings or links nothing; Ladder's own
 * link (the Temporal UI) and the owner mention of a promotion proposal are added around it.
 *
 * Pure; the message always fits Slack's limits (50 blocks, 3,000 characters per text, 75 per button).
 */
export function taskMessageBlocks(n: Notification): KnownBlock[] {
  const blocks: KnownBlock[] = [
    {
      type: 'header',
      // plain_text: Slack parses no mentions or links in it; control characters still go.
      text: {
        type: 'plain_text',
        text: truncate(stripControl(`${TITLES[n.kind]}: ${n.title}`), BLOCK_LIMITS.headerText),
      },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(notificationText(n) || ' ', BLOCK_LIMITS.sectionText, n.link) },
    },
  ];
  const facts = Object.entries(n.fields ?? {})
    .filter(([key, value]) => value !== '' && key !== 'stepsHash')
    .map(([key, value]) => `*${escapeMrkdwn(key)}:* ${escapeMrkdwn(value)}`);
  facts.push(`*agent:* ${escapeMrkdwn(n.agentId)}`, `*task class:* ${escapeMrkdwn(n.taskClass)}`);
  if (n.link) facts.push(link(n.link, 'Open in Temporal UI'));
  // Context blocks take at most 10 elements.
  for (let i = 0; i < facts.length; i += 10) {
    blocks.push({
      type: 'context',
      elements: facts
        .slice(i, i + 10)
        .map((text) => ({ type: 'mrkdwn' as const, text: truncate(text, BLOCK_LIMITS.contextElementText) })),
    });
  }
  const buttons = (n.actions ?? [])
    .filter((a) => BUTTONS[a])
    .map((a): Button => ({
      type: 'button',
      action_id: `ladder_${a.replaceAll('-', '_')}`,
      text: { type: 'plain_text', text: truncate(BUTTONS[a].text, BLOCK_LIMITS.buttonText) },
      value: buttonValue(n.workflowId, a === 'approve' ? n.fields?.stepsHash : n.subject),
      ...(BUTTONS[a].style ? { style: BUTTONS[a].style } : {}),
    }));
  if (buttons.length > 0)
    blocks.push({ type: 'actions', block_id: 'ladder_task_actions', elements: buttons });
  return blocks.slice(0, BLOCK_LIMITS.blocksPerMessage);
}

/**
 * A button's value: the workflow ID, plus what the button acts on within it: for Approve, the hash
 * of the steps the message shows (so the approval binds to what the approver saw); for a promotion,
 * the proposal id. Never identity: that comes from Slack's payload.
 */
export function buttonValue(workflowId: string, subject?: string): string {
  return subject ? `${workflowId}#${subject}` : workflowId;
}

/** Reads {@link buttonValue}; undefined when the value is not one of ours. Pure. */
export function parseButtonValue(value: string): { workflowId: string; subject?: string } | undefined {
  const match = /^((?:task|digest|ledger)\/[A-Za-z0-9._:/-]+)(?:#([A-Za-z0-9]{1,64}))?$/.exec(value);
  if (!match) return undefined;
  return match[2] ? { workflowId: match[1], subject: match[2] } : { workflowId: match[1] };
}

/** The owner mention the trust ledger puts before a promotion proposal it posts in the class channel. */
const PROPOSAL_MENTION = /^<@([UW][A-Z0-9]{2,})>, /;

/**
 * A notification's text as mrkdwn, every character of it escaped, except the one mention Ladder
 * itself writes into a text: the owner named at the start of a promotion proposal (agents cannot
 * send those). Also the top-level `text` of the message (what notifications and previews show).
 */
export function notificationText(n: Notification): string {
  const owner = n.kind === 'promotion-proposal' ? PROPOSAL_MENTION.exec(n.text) : null;
  if (owner) return `${mention(owner[1])}, ${escapeMrkdwn(n.text.slice(owner[0].length))}`;
  return escapeMrkdwn(n.text);
}

/** The message's top-level `text` (notifications, previews): title and text, escaped. */
export function fallbackText(n: Notification): string {
  return truncate(`${escapeMrkdwn(n.title)}: ${notificationText(n)}`, BLOCK_LIMITS.sectionText);
}
