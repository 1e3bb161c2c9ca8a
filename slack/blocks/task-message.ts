import type { Button, KnownBlock } from '@slack/types';
import type { Notification } from '../../activities/notify/notifier';
import { ACTION_IDS, isLadderAction, type LadderAction } from '../action-ids';
import { buttonValue } from './button-value';
import { escapeMrkdwn, link, mention, stripControl } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';

export { buttonValue, parseButtonValue } from './button-value';

/** How each button reads; which buttons exist and their ids are in ../action-ids. */
const BUTTONS: Readonly<Record<LadderAction, { text: string; style?: 'primary' | 'danger' }>> = {
  approve: { text: 'Approve', style: 'primary' },
  'approve-typed': { text: 'Approve', style: 'primary' },
  reject: { text: 'Reject', style: 'danger' },
  accept: { text: 'Accept draft', style: 'primary' },
  'draft-reject': { text: 'Reject', style: 'danger' },
  done: { text: 'Done', style: 'primary' },
  dismiss: { text: 'Dismiss' },
  'mark-read': { text: 'Mark as read', style: 'primary' },
  'report-defect': { text: 'Report a defect', style: 'danger' },
  'outcome-ran': { text: 'It ran', style: 'primary' },
  'outcome-run-again': { text: 'Run it again' },
  'outcome-undo': { text: 'Undo it', style: 'danger' },
  'audit-agree': { text: 'Agree', style: 'primary' },
  'audit-disagree': { text: 'Disagree', style: 'danger' },
  promote: { text: 'Approve promotion', style: 'primary' },
  'decline-promotion': { text: 'Decline' },
};

/** Buttons that approve steps: their value carries the hash of the steps the message shows. */
const BOUND_TO_STEPS: ReadonlySet<LadderAction> = new Set(['approve', 'approve-typed']);

/** Facts the buttons carry rather than the reader: not shown as context. */
const BUTTON_FACTS: ReadonlySet<string> = new Set(['stepsHash', 'typedConfirmation']);

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
 * the full text), the facts as context, and the offered buttons ({@link offeredActions}, ids from
 * `ACTION_IDS`). Button values carry the workflow ID and what the button acts on
 * (`ButtonValue`), never identity: who clicked comes from Slack's verified payload.
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
    .filter(([key, value]) => value !== '' && !BUTTON_FACTS.has(key))
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
  const typedName = typedConfirmationOf(n);
  const buttons = offeredActions(n).map((a): Button => ({
    type: 'button',
    action_id: ACTION_IDS[a],
    text: { type: 'plain_text', text: truncate(BUTTONS[a].text, BLOCK_LIMITS.buttonText) },
    value: BOUND_TO_STEPS.has(a)
      ? buttonValue(n.workflowId, n.fields?.stepsHash, a === 'approve-typed' ? typedName : undefined)
      : buttonValue(n.workflowId, n.subject),
    ...(BUTTONS[a].style ? { style: BUTTONS[a].style } : {}),
  }));
  if (buttons.length === 0) return blocks.slice(0, BLOCK_LIMITS.blocksPerMessage);
  // Facts give way to the buttons: a message must never lose its way to answer.
  return [
    ...blocks.slice(0, BLOCK_LIMITS.blocksPerMessage - 1),
    { type: 'actions', block_id: 'ladder_task_actions', elements: buttons },
  ];
}

/**
 * The buttons a notification offers, by short name, in the order the workflow listed them; names
 * that are not Ladder buttons are dropped. Pure.
 *
 * Until workflows name the typed-approve and draft-reject buttons themselves, the plain names are
 * read in context: Approve on a request that asks for typed confirmation is the typed Approve
 * (it opens the modal), and Reject on a draft is the draft's Reject (a decline, not a rejection),
 * so the listener knows from the button alone what to open or send, without asking the task.
 */
export function offeredActions(n: Notification): LadderAction[] {
  const typed = typedConfirmationOf(n) !== undefined;
  return (n.actions ?? []).filter(isLadderAction).map((a): LadderAction => {
    if (a === 'approve' && typed) return 'approve-typed';
    if (a === 'reject' && n.kind === 'draft') return 'draft-reject';
    return a;
  });
}

/** The line the rung-2 request ends with when the policy asks for typed confirmation (workflows/rungs/confirm.ts). */
const TYPED_LINE = /(?:^|\n)Type "([^\n]*)" to approve\.$/;

/**
 * The name an approval request asks the approver to type, or undefined when it asks for none.
 * Read from the `typedConfirmation` fact; for requests that do not carry it yet, from the request's
 * last line. Only chooses what the button opens: the workflow's validator checks the typed name. Pure.
 */
export function typedConfirmationOf(n: Notification): string | undefined {
  if (n.kind !== 'approval-request') return undefined;
  const fact = n.fields?.typedConfirmation;
  if (fact) return fact;
  return TYPED_LINE.exec(n.text)?.[1];
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
