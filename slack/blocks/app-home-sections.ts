import type { KnownBlock } from '@slack/types';
import type { Notification } from '../../activities/notify/notifier';
import type { Away } from '../../policy/delegation';
import type { Proposal } from '../../policy/ledger';
import { escapeMrkdwn } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';
import { notificationButtons } from './task-message';
import { ACTION_IDS } from '../action-ids';
import { buttonValue } from './button-value';

/** Most promotion proposals one Home lists (two blocks each); `ladder status` shows them all. */
export const HOME_PROPOSALS_LISTED = 5;

/** An open promotion proposal on one agent's trust ledger, with the ledger workflow its buttons answer. */
export interface HomeProposal {
  agentId: string;
  /** The ledger's workflow id (`ledger/<queue>/<agent>`): the buttons' value names it, as in the proposal's message. */
  ledgerWorkflowId: string;
  proposal: Proposal;
}

/**
 * The open promotion proposals a person may decide (the caller keeps those whose `approvers` name
 * them, as the ledger's validator does), each with the Approve/Decline buttons its Slack message
 * carries (same action ids and values), so a click here is the same signed decision. Empty when
 * none. Agent-written text never appears here; ids are escaped anyway. Pure; at most
 * 1 + 2 × {@link HOME_PROPOSALS_LISTED} blocks.
 */
export function homeProposalBlocks(proposals: readonly HomeProposal[]): KnownBlock[] {
  const listed = proposals.slice(0, HOME_PROPOSALS_LISTED);
  if (listed.length === 0) return [];
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Promotions to decide' } },
  ];
  listed.forEach(({ agentId, ledgerWorkflowId, proposal: p }, i) => {
    const notification: Notification = {
      kind: 'promotion-proposal',
      workflowId: ledgerWorkflowId,
      agentId,
      taskClass: p.taskClass,
      channel: '',
      title: '',
      text: '',
      subject: p.id,
      actions: ['promote', 'decline-promotion'],
    };
    const unmet = p.criteria.filter((c) => !c.ok).length;
    const text = [
      `*${escapeMrkdwn(agentId)}* in *${escapeMrkdwn(p.taskClass)}*: rung ${p.from} → ${p.to} (${escapeMrkdwn(p.id)}, proposed ${escapeMrkdwn(p.at)})`,
      `${p.criteria.length - unmet} of ${p.criteria.length} criteria met · may decide: ${escapeMrkdwn(p.approvers.join(', '))}`,
    ].join('\n');
    blocks.push(
      { type: 'section', text: { type: 'mrkdwn', text: truncate(text, BLOCK_LIMITS.sectionText) } },
      {
        type: 'actions',
        block_id: `ladder_home_proposal_${i}`,
        elements: notificationButtons(notification),
      },
    );
  });
  if (proposals.length > listed.length)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${proposals.length - listed.length} more: \`ladder status\` lists every agent's proposals.`,
        },
      ],
    });
  return blocks;
}

/**
 * What a person delegated: their absence in force (who answers for them, until when) and how to
 * end it. There is no button for ending an absence, so the Home says the command (`/ladder back`).
 * Empty when they are not away. Pure; two blocks.
 */
export function homeAbsenceBlocks(away: Away | undefined, registryId?: string): KnownBlock[] {
  if (!away) return [];
  // Stand-ins are Slack ids from the policy; anything else is shown as text, never as markup.
  const delegate = /^[UW][A-Z0-9]{2,20}$/.test(away.delegate)
    ? `<@${away.delegate}>`
    : escapeMrkdwn(away.delegate);
  return [
    { type: 'header', text: { type: 'plain_text', text: 'While you are away' } },
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `You are away until *${escapeMrkdwn(away.until)}* (since ${escapeMrkdwn(away.since)}): ${delegate} answers your requests meanwhile.\nBack early? ${registryId ? "Click _I'm back_ or type" : 'Type'} \`/ladder back\`.`,
          BLOCK_LIMITS.sectionText,
        ),
      },
    },
    // The button names the registry only: who is back is the clicker Slack verified.
    ...(registryId
      ? [
          {
            type: 'actions' as const,
            block_id: 'ladder_home_away',
            elements: [
              {
                type: 'button' as const,
                action_id: ACTION_IDS['end-away'],
                text: { type: 'plain_text' as const, text: "I'm back" },
                style: 'primary' as const,
                value: buttonValue(registryId),
              },
            ],
          },
        ]
      : []),
  ];
}
