import type { Button, KnownBlock } from '@slack/types';
import type { Notification } from '../../activities/notify/notifier';
import { ACTION_IDS, isLadderAction, type LadderAction } from '../action-ids';
import { buttonValue } from './button-value';
import { escapeMrkdwn, link, mention, stripControl } from './escape';
import { proposalOwnerMention } from './ledger-wording';
import { BLOCK_LIMITS, truncate } from './limits';
import { taskFactsBlocks } from './task-facts-blocks';

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
  'allow-standing': { text: 'Approve + allow for a while…' },
  'revoke-standing': { text: 'Revoke', style: 'danger' },
  'edit-steps': { text: 'Edit…' },
  'review-approver': { text: 'Reviewed: count their approvals again' },
  'end-away': { text: "I'm back", style: 'primary' },
};

/** Buttons that approve steps: their value carries the hash of the steps the message shows. */
const BOUND_TO_STEPS: ReadonlySet<LadderAction> = new Set([
  'approve',
  'approve-typed',
  'allow-standing',
  'edit-steps',
]);

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
  'approver-review': 'Approver under review',
};

/**
 * Block Kit for one task notification: header, the text (truncated within limits with a link to
 * the full text), its structured facts (steps and results, who may answer, read deadline: see
 * `taskFactsBlocks`), the fields as context (with the task's id), and the offered buttons ({@link offeredActions}, ids from
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
    ...taskFactsBlocks(n.facts, n.link),
  ];
  const facts = Object.entries(n.fields ?? {})
    .filter(([key, value]) => value !== '' && !BUTTON_FACTS.has(key))
    .map(([key, value]) => `*${escapeMrkdwn(key)}:* ${escapeMrkdwn(value)}`);
  facts.push(`*agent:* ${escapeMrkdwn(n.agentId)}`, `*task class:* ${escapeMrkdwn(n.taskClass)}`);
  // Two tasks with one title never read alike: the task's own id is always shown.
  if (n.workflowId.startsWith('task/')) facts.push(`*task:* ${escapeMrkdwn(n.workflowId)}`);
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
  const buttons = notificationButtons(n);
  if (buttons.length === 0) return blocks.slice(0, BLOCK_LIMITS.blocksPerMessage);
  // Facts give way to the buttons: a message must never lose its way to answer.
  return [
    ...blocks.slice(0, BLOCK_LIMITS.blocksPerMessage - 1),
    { type: 'actions', block_id: 'ladder_task_actions', elements: buttons },
  ];
}

/**
 * The buttons of a notification's message, in the order the workflow listed them. Values carry
 * the workflow id and what the button acts on (the steps hash for Approve), never identity. Pure.
 */
export function notificationButtons(n: Notification): Button[] {
  const typedName = typedConfirmationOf(n);
  return offeredActions(n).map((a): Button => ({
    type: 'button',
    action_id: ACTION_IDS[a],
    text: { type: 'plain_text', text: truncate(BUTTONS[a].text, BLOCK_LIMITS.buttonText) },
    value: BOUND_TO_STEPS.has(a)
      ? buttonValue(n.workflowId, n.fields?.stepsHash, a === 'approve-typed' ? typedName : undefined)
      : buttonValue(n.workflowId, n.subject),
    ...(BUTTONS[a].style ? { style: BUTTONS[a].style } : {}),
  }));
}

/**
 * The buttons a notification offers, by short name, in the order the workflow listed them; names
 * that are not Ladder buttons are dropped. Workflows name the exact button (`approve-typed` on a
 * request that asks for a typed name, `draft-reject` on a draft), so the listener knows from the
 * button alone what to open or send, without asking the task. Pure.
 */
export function offeredActions(n: Notification): LadderAction[] {
  return (n.actions ?? []).filter(isLadderAction);
}

/**
 * The name an approval request (or its reminder) asks the approver to type (its `typedConfirmation` fact), or
 * undefined when it asks for none. Only chooses what the typed Approve carries: the workflow's
 * validator checks the typed name. Pure.
 */
export function typedConfirmationOf(n: Notification): string | undefined {
  // Reminders carry the request's buttons, so they carry its typed name too.
  if (n.kind !== 'approval-request' && n.kind !== 'approval-reminder') return undefined;
  return n.fields?.typedConfirmation || undefined;
}

/**
 * A notification's text as mrkdwn, every character of it escaped, except the one mention Ladder
 * itself writes into a text: the owner named at the start of a promotion proposal
 * (`proposalForOwnerText` in ./ledger-wording; agents cannot send those). Also the top-level `text` of the
 * message (what notifications and previews show).
 */
export function notificationText(n: Notification): string {
  const owner = n.kind === 'promotion-proposal' ? proposalOwnerMention(n.text) : null;
  if (owner) return `${mention(owner.userId)}, ${escapeMrkdwn(n.text.slice(owner.length))}`;
  return escapeMrkdwn(n.text);
}

/** The message's top-level `text` (notifications, previews): title and text, escaped. */
export function fallbackText(n: Notification): string {
  return truncate(`${escapeMrkdwn(n.title)}: ${notificationText(n)}`, BLOCK_LIMITS.sectionText);
}
