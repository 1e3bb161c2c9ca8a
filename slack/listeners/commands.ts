import { closestName } from '../../policy/checks';
import { own } from '../../policy/own';
import { escapeMrkdwn } from '../blocks/escape';
import type { App, RespondFn } from '@slack/bolt';
import {
  engageKillSwitch,
  KillSwitchError,
  readKillSwitch,
  releaseKillSwitch,
} from '../../client/kill-switch';
import { declareIncident, EvidenceError } from '../../client/evidence';
import { formatCanary } from '../../cli/format-ledger';
import { delegateModal } from '../blocks/modals';
import { HELP_TEXT, statusBlocks } from '../blocks/status';
import { entityCaller, type SlackDeps } from '../deps';
import { openBatchModal } from './batch';
import { listStandingForSlack, revokeAndTell } from './standing-approvals';
import { DelegationError, endAway, setAway } from '../../client/delegations';
import { awayUntil, parseAway } from './away-words';
import { AnswerOutcomeUnknownError } from '../../client/answer-task';
import { notRecordedText, refusedText } from './answers';

/** A parsed `/ladder` command. */
export type LadderCommand =
  | { kind: 'delegate' }
  | { kind: 'status'; agent?: string }
  | { kind: 'freeze'; agent?: string; reason: string; nearAgent?: { word: string; agent: string } }
  | { kind: 'unfreeze'; agent?: string }
  | { kind: 'incident'; agent?: string; taskClass?: string; text: string }
  | { kind: 'pending'; taskClass?: string }
  | { kind: 'approvals' }
  | { kind: 'away'; until?: string; delegate?: string }
  | { kind: 'back' }
  | { kind: 'revoke-approval'; id?: string }
  | { kind: 'help'; unknown?: string };

/**
 * Parses the text after `/ladder`. Pure. For `freeze`, a first word naming a declared agent is the
 * agent and the rest is the reason; otherwise every word is the reason (every agent is frozen), and
 * a first word close to an agent's id is noted as `nearAgent`, so the answer can say so.
 */
export function parseLadderCommand(text: string, agentIds: readonly string[]): LadderCommand {
  const [verb = '', ...rest] = text.trim().split(/\s+/).filter(Boolean);
  switch (verb.toLowerCase()) {
    case 'delegate':
      return { kind: 'delegate' };
    case 'status':
      return rest[0] ? { kind: 'status', agent: rest[0] } : { kind: 'status' };
    case 'freeze': {
      const agent = rest[0] && agentIds.includes(rest[0]) ? rest[0] : undefined;
      const reason = (agent ? rest.slice(1) : rest).join(' ');
      // A typo freezes every agent (the safe side in an emergency), and the answer says so.
      const near = !agent && rest[0] ? closestName(rest[0], agentIds) : undefined;
      return {
        kind: 'freeze',
        agent,
        reason: reason || 'frozen from Slack',
        ...(near ? { nearAgent: { word: rest[0], agent: near } } : {}),
      };
    }
    case 'unfreeze':
      return rest[0] ? { kind: 'unfreeze', agent: rest[0] } : { kind: 'unfreeze' };
    case 'pending':
      return rest[0] ? { kind: 'pending', taskClass: rest[0] } : { kind: 'pending' };
    case 'away':
      return parseAway(rest);
    case 'back':
      return { kind: 'back' };
    case 'approvals':
      return rest[0]?.toLowerCase() === 'revoke'
        ? { kind: 'revoke-approval', id: rest[1] }
        : { kind: 'approvals' };
    case 'incident':
      return { kind: 'incident', agent: rest[0], taskClass: rest[1], text: rest.slice(2).join(' ') };
    case '':
    case 'help':
      return { kind: 'help' };
    default:
      return { kind: 'help', unknown: verb };
  }
}

/**
 * `/ladder`. Acks at once with nothing, then answers through the command's response_url (or opens
 * the delegate modal), so slow Temporal calls never break Slack's 3 s limit.
 */
export function registerCommands(app: App, deps: SlackDeps): void {
  app.command('/ladder', async ({ ack, command, client, respond }) => {
    await ack();
    const policy = deps.policy();
    const parsed = parseLadderCommand(command.text ?? '', Object.keys(policy.agents));
    const user = command.user_id;
    try {
      switch (parsed.kind) {
        case 'delegate':
          await client.views.open({
            trigger_id: command.trigger_id,
            view: delegateModal(policy, { taskId: deps.newTaskId(), channel: command.channel_id }),
          });
          return;
        case 'pending':
          if (parsed.taskClass !== undefined && !own(policy.taskClasses, parsed.taskClass)) {
            await ephemeral(
              respond,
              `Unknown task class "${parsed.taskClass}" (declared: ${Object.keys(policy.taskClasses).join(', ')}).`,
            );
            return;
          }
          await openBatchModal(client, deps, {
            user,
            triggerId: command.trigger_id,
            ...(parsed.taskClass !== undefined ? { taskClass: parsed.taskClass } : {}),
            origin: { channel: command.channel_id },
          });
          return;
        case 'away': {
          const until = parsed.until ? awayUntil(parsed.until) : undefined;
          if (!until || !parsed.delegate) {
            await ephemeral(
              respond,
              `Usage: \`/ladder away until <YYYY-MM-DD or ISO time> delegate @person\`${parsed.until && !until ? ` ("${parsed.until}" is not a date)` : ''}.`,
            );
            return;
          }
          const away = await setAway(deps.temporal, entityCaller(deps), {
            by: user,
            delegate: parsed.delegate,
            until,
          });
          deps.log.info({ user, delegate: away.delegate, until: away.until }, 'away declared from Slack');
          await ephemeral(
            respond,
            `You are away until ${away.until}: <@${away.delegate}> answers your requests meanwhile (new requests name them). \`/ladder back\` ends it.`,
          );
          return;
        }
        case 'back': {
          const receipt = await endAway(deps.temporal, entityCaller(deps), { by: user });
          await ephemeral(respond, `Welcome back: your requests come to you again (since ${receipt.at}).`);
          return;
        }
        case 'approvals':
          await respond({
            response_type: 'ephemeral',
            text: 'Standing approvals',
            blocks: await listStandingForSlack(deps, Date.now()),
          });
          return;
        case 'revoke-approval':
          if (!parsed.id) {
            await ephemeral(
              respond,
              'Usage: `/ladder approvals revoke <id>` (`/ladder approvals` lists them).',
            );
            return;
          }
          await revokeAndTell({ user, channel: command.channel_id }, parsed.id, client, deps);
          return;
        case 'status': {
          if (parsed.agent && !own(policy.agents, parsed.agent)) {
            await ephemeral(
              respond,
              `Unknown agent "${parsed.agent}" (declared: ${Object.keys(policy.agents).join(', ')}).`,
            );
            return;
          }
          const killSwitch = await readKillSwitch(deps.temporal, deps.taskQueue);
          const agents = parsed.agent ? [parsed.agent] : Object.keys(policy.agents);
          const earned: Record<string, Partial<Record<string, number>>> = {};
          for (const agent of agents) {
            const ledger = await deps.ledger.read(agent);
            earned[agent] = {
              ...own(policy.agents, agent)?.rungs,
              ...Object.fromEntries(Object.entries(ledger?.classes ?? {}).map(([c, l]) => [c, l.rung])),
            };
          }
          const canary = (await deps.canary?.state()) ?? null;
          await respond({
            response_type: 'ephemeral',
            text: 'Ladder status',
            blocks: statusBlocks(
              policy,
              killSwitch,
              agents,
              earned,
              canary ? formatCanary(canary) : undefined,
            ),
          });
          return;
        }
        case 'incident': {
          if (!parsed.agent || !parsed.taskClass) {
            await ephemeral(respond, 'Usage: `/ladder incident <agent> <task class> [what happened]`');
            return;
          }
          await declareIncident(deps.temporal, entityCaller(deps), policy, {
            id: `${command.trigger_id}`,
            agentId: parsed.agent,
            taskClass: parsed.taskClass,
            by: user,
            text: parsed.text,
          });
          deps.log.warn(
            { user, agent: parsed.agent, taskClass: parsed.taskClass },
            'incident declared from Slack',
          );
          await respond({
            response_type: 'in_channel',
            text: `:rotating_light: Incident declared by <@${user}>: ${escapeMrkdwn(parsed.agent)} goes back to rung ${policy.demotion.incidentRung} in ${escapeMrkdwn(parsed.taskClass)} at once.${parsed.text ? ` ${escapeMrkdwn(parsed.text)}` : ''}`,
          });
          return;
        }
        case 'freeze':
          await engageKillSwitch(deps.temporal, entityCaller(deps), {
            agentId: parsed.agent,
            cap: 0,
            by: user,
            reason: parsed.reason,
          });
          deps.log.warn(
            { user, agent: parsed.agent ?? 'all', reason: parsed.reason },
            'kill switch engaged from Slack',
          );
          await respond({
            response_type: 'in_channel',
            text:
              `:octagonal_sign: Kill switch engaged by <@${user}>: ${parsed.agent ? `agent ${parsed.agent}` : 'every agent'} capped at rung 0 (suggest only). Reason: ${escapeMrkdwn(parsed.reason)}` +
              (parsed.nearAgent
                ? `\nNo agent is named "${escapeMrkdwn(parsed.nearAgent.word)}" (did you mean ${parsed.nearAgent.agent}?), so this froze *every* agent. \`/ladder unfreeze\` lifts it; \`/ladder freeze ${parsed.nearAgent.agent} <reason>\` freezes one.`
                : ''),
          });
          return;
        case 'unfreeze':
          await releaseKillSwitch(deps.temporal, entityCaller(deps), { agentId: parsed.agent, by: user });
          deps.log.warn({ user, agent: parsed.agent ?? 'all' }, 'kill switch released from Slack');
          await respond({
            response_type: 'in_channel',
            text: `Kill switch released by <@${user}> for ${parsed.agent ? `agent ${parsed.agent}` : 'every agent'}.`,
          });
          return;
        case 'help':
          await ephemeral(
            respond,
            parsed.unknown ? `Unknown command "${parsed.unknown}".\n${HELP_TEXT}` : HELP_TEXT,
          );
          return;
      }
    } catch (err) {
      if (err instanceof KillSwitchError || err instanceof EvidenceError || err instanceof DelegationError) {
        deps.log.warn({ user, command: parsed.kind, reason: err.message }, 'slack command refused');
        await ephemeral(respond, refusedText(err.message));
        return;
      }
      deps.log.error({ user, command: parsed.kind, err: (err as Error).message }, 'slack command failed');
      await ephemeral(respond, commandFailedText(err));
    }
  });
}

/**
 * What the person is told when a command failed other than by a refusal: "Not confirmed: …" with
 * where to check when Temporal did not confirm its answer in time, else that Ladder could not do
 * it; the error's words escaped. Pure.
 */
export function commandFailedText(err: unknown): string {
  if (err instanceof AnswerOutcomeUnknownError) return notRecordedText(err);
  return `Ladder could not do that: ${escapeMrkdwn(err instanceof Error ? err.message : String(err))}`;
}

async function ephemeral(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', text });
}
