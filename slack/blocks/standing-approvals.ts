import type { KnownBlock, PlainTextElement } from '@slack/types';
import { endedBecause, formatHours, type StandingApproval } from '../../policy/standing-approvals';
import { ACTION_IDS } from '../action-ids';
import { buttonValue } from './button-value';
import { escapeMrkdwn, stripControl } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';

/** Most standing approvals listed in one message (each is a section; Slack allows 50 blocks). */
export const MAX_LISTED = 40;

/**
 * What a standing approval's tasks may act on, one target per line, as plain text: nothing an agent
 * wrote in a path, URL or command formats, links or mentions. Cut at Slack's field limit with a
 * count of what is not shown. Pure.
 */
export function targetsField(targets: readonly string[]): PlainTextElement {
  const max = BLOCK_LIMITS.sectionField;
  const lines = targets.map(stripControl);
  let shown = lines.length;
  const text = (n: number): string =>
    `Only tasks whose steps act on nothing but:\n${lines.slice(0, n).join('\n')}${n < lines.length ? `\n…and ${lines.length - n} more (ladder approvals --json lists all)` : ''}`;
  while (shown > 1 && text(shown).length > max) shown -= 1;
  return { type: 'plain_text', text: truncate(text(shown), max), emoji: false };
}

/** One standing approval in words: what it allows, who granted it, its uses and its end. Pure. */
export function standingLine(a: StandingApproval, nowMs: number): string {
  const ended = endedBecause(a, nowMs);
  const left = Math.max(0, Date.parse(a.expiresAt) - nowMs);
  const state = ended
    ? `ended: ${ended}`
    : `in force for ${formatHours(Math.ceil(left / 60_000) * 60_000)} more`;
  return (
    `*${escapeMrkdwn(a.id)}* · ${escapeMrkdwn(a.agentId)} may run ${escapeMrkdwn(a.action)} on ${escapeMrkdwn(a.resource)} ` +
    `in ${escapeMrkdwn(a.environment)} (${escapeMrkdwn(a.taskClass)}) · granted by <@${a.grantedBy}> at ${a.grantedAt} · ` +
    `used ${a.usedBy.length} of ${a.maxUses} · ${state}`
  );
}

/**
 * The standing approvals as `/ladder approvals` shows them: those in force first, each with a
 * Revoke button (the registry decides who may), then those ended in the last day. Pure.
 *
 * @param registryId - the registry workflow's id, which the Revoke buttons answer.
 */
export function standingApprovalsBlocks(
  approvals: readonly StandingApproval[],
  registryId: string,
  nowMs: number,
): KnownBlock[] {
  if (approvals.length === 0)
    return [{ type: 'section', text: { type: 'mrkdwn', text: 'No standing approvals.' } }];
  const inForce = approvals.filter((a) => endedBecause(a, nowMs) === null);
  const ended = approvals.filter((a) => endedBecause(a, nowMs) !== null);
  const shown = [...inForce, ...ended].slice(0, MAX_LISTED);
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `*Standing approvals*: ${inForce.length} in force, ${ended.length} ended in the last day.`,
      },
    },
  ];
  for (const a of shown) {
    const live = endedBecause(a, nowMs) === null;
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(standingLine(a, nowMs), BLOCK_LIMITS.sectionText) },
      // Approvals kept from before targets existed cover nothing and show none.
      ...(Array.isArray(a.targets) && a.targets.length > 0 ? { fields: [targetsField(a.targets)] } : {}),
      ...(live
        ? {
            accessory: {
              type: 'button' as const,
              text: { type: 'plain_text' as const, text: 'Revoke' },
              style: 'danger' as const,
              action_id: ACTION_IDS['revoke-standing'],
              // A button's subject is alphanumeric: the id without its `sa-`.
              value: buttonValue(registryId, a.id.slice('sa-'.length)),
            },
          }
        : {}),
    });
  }
  if (approvals.length > shown.length)
    blocks.push({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `…and ${approvals.length - shown.length} more: \`ladder approvals\` lists all.`,
        },
      ],
    });
  return blocks;
}
