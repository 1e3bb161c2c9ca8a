import type { KnownBlock } from '@slack/types';
import type { LoadedPolicy } from '../../policy/loader';
import { RUNG_NAMES } from '../../policy/schema';
import { killSwitchCapFor, type KillSwitchState } from '../../workflows/messages';
import { escapeMrkdwn, mention } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';

/** One agent's standing in one task class. */
export interface ClassStanding {
  taskClass: string;
  earned: number;
  /** The highest rung a task can get now: earned, capped by the class and any kill switch. */
  ceiling: number;
  why: string[];
}

/**
 * Each agent's earned rung per task class and what caps it now (class cap, policy kill switch,
 * run-time freeze). Pure; `earned` defaults to the policy's declared rungs.
 */
export function agentStandings(
  policy: LoadedPolicy,
  killSwitch: KillSwitchState,
  agentId: string,
  earned: Partial<Record<string, number>> = policy.agents[agentId]?.rungs ?? {},
): ClassStanding[] {
  return Object.entries(policy.taskClasses).map(([taskClass, cls]) => {
    const rung = earned[taskClass] ?? 0;
    const why: string[] = [];
    let ceiling = rung;
    const cap = (limit: number, reason: string): void => {
      if (limit < ceiling) {
        ceiling = limit;
        why.push(reason);
      }
    };
    cap(cls.cap, `class cap ${cls.cap}`);
    const ks = policy.killSwitch;
    if (ks.engaged && (ks.agents === undefined || ks.agents.includes(agentId)))
      cap(ks.cap, `policy kill switch ${ks.cap}`);
    const frozen = killSwitchCapFor(killSwitch, agentId);
    if (frozen !== undefined) cap(frozen, `frozen at ${frozen}`);
    const classCap = killSwitch.classes?.[taskClass]?.cap;
    if (classCap !== undefined) cap(classCap, `class scope reduced to ${classCap}`);
    return { taskClass, earned: rung, ceiling, why };
  });
}

const rungLabel = (r: number): string => `${r} ${RUNG_NAMES[r] ?? '?'}`;

/**
 * The `/ladder status [agent]` answer: per agent, owner, model and prompt, then each task class's
 * earned rung and ceiling. Pure; stays within 50 blocks by grouping lines per agent.
 */
export function statusBlocks(
  policy: LoadedPolicy,
  killSwitch: KillSwitchState,
  agentIds: string[] = Object.keys(policy.agents),
  /** Earned rungs per agent from the trust ledger; the policy's declared rungs where absent. */
  earned: Record<string, Partial<Record<string, number>>> = {},
  /** A line on the policy canary, when one runs. */
  canaryLine?: string,
): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Ladder status' } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: truncate(
            `policy ${policy.versionId}${freezeNote(killSwitch)}${canaryLine ? ` · ${canaryLine}` : ''}`,
            BLOCK_LIMITS.contextElementText,
          ),
        },
      ],
    },
  ];
  for (const agentId of agentIds) {
    const agent = policy.agents[agentId];
    if (!agent) continue;
    const lines = agentStandings(policy, killSwitch, agentId, earned[agentId]).map(
      (s) =>
        `• *${s.taskClass}*: earned ${rungLabel(s.earned)}` +
        (s.ceiling < s.earned ? `, now at most ${rungLabel(s.ceiling)} (${s.why.join(', ')})` : ''),
    );
    blocks.push({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: truncate(
          `*${escapeMrkdwn(agentId)}* — owner ${mention(agent.owner)}, ${escapeMrkdwn(agent.model)}, prompt ${escapeMrkdwn(agent.promptVersion)}\n${lines.join('\n')}`,
          BLOCK_LIMITS.sectionText,
        ),
      },
    });
  }
  if (blocks.length > BLOCK_LIMITS.blocksPerMessage) {
    const shown = blocks.slice(0, BLOCK_LIMITS.blocksPerMessage - 1);
    shown.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'More agents than fit here: use `/ladder status <agent>`.' }],
    });
    return shown;
  }
  return blocks;
}

function freezeNote(state: KillSwitchState): string {
  const parts: string[] = [];
  if (state.all)
    parts.push(
      `every agent frozen at ${state.all.cap} by ${mention(state.all.by)}: ${escapeMrkdwn(state.all.reason)}`,
    );
  for (const [agent, f] of Object.entries(state.agents))
    parts.push(`${escapeMrkdwn(agent)} frozen at ${f.cap} by ${mention(f.by)}: ${escapeMrkdwn(f.reason)}`);
  for (const [taskClass, c] of Object.entries(state.classes ?? {}))
    parts.push(
      `task class ${escapeMrkdwn(taskClass)} capped at ${c.cap} for every agent: ${escapeMrkdwn(c.reason)}`,
    );
  return parts.length > 0 ? ` · ${parts.join(' · ')}` : '';
}

/** `/ladder help`. */
export const HELP_TEXT = [
  '*Ladder* runs agent tasks at the rung they have earned.',
  '• `/ladder delegate` — open a form to give an agent a task',
  '• `/ladder status [agent]` — each agent’s rung per task class',
  '• `/ladder freeze [agent] [reason…]` — kill switch: cap every agent (or one) at rung 0 (admins)',
  '• `/ladder unfreeze [agent]` — release it (admins)',
  '• `/ladder incident <agent> <task class> [what happened]` — send the agent back to the incident rung at once',
  '• `/ladder pending [task class]` — answer several approval requests of one class at once',
  '• `/ladder away until <YYYY-MM-DD> delegate @person` — a stand-in the policy allows answers your requests; `/ladder back` ends it',
  '• `/ladder approvals [revoke <id>]` — standing approvals in force, with Revoke buttons; revoke one at once',
  '• `/ladder help` — this text',
].join('\n');
