import type { Command } from 'commander';
import {
  listStandingApprovals,
  revokeStandingApproval,
  StandingApprovalError,
} from '../client/standing-approvals';
import { endedBecause, formatHours, type StandingApproval } from '../policy/standing-approvals';
import { operatorSigner } from './operator-key';
import { CliError } from './policy-commands';
import type { CliContext } from './task-commands';

/** A control character (a command's line break) escaped as JSON does, so a target stays one line. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;
const oneLine = (text: string): string => text.replace(CONTROL, (c) => JSON.stringify(c).slice(1, -1));

/**
 * One standing approval: a line with its id, scope, grantor, uses, and its end or time left, then
 * one indented line per target (what its tasks' steps may act on). Pure.
 */
export function formatStandingApproval(a: StandingApproval, nowMs: number): string {
  const ended = endedBecause(a, nowMs);
  const left = Math.ceil(Math.max(0, Date.parse(a.expiresAt) - nowMs) / 60_000) * 60_000;
  const targets = Array.isArray(a.targets) ? a.targets : [];
  return [
    `${a.id}  ${a.agentId} ${a.action} on ${a.resource} in ${a.environment} (${a.taskClass})  granted by ${a.grantedBy} at ${a.grantedAt}  used ${a.usedBy.length}/${a.maxUses}  ${ended ? `ended: ${ended}` : `${formatHours(left)} left`}`,
    ...(targets.length > 0
      ? targets.map((t) => `    - ${oneLine(t)}`)
      : ['    (no targets: it covers no task)']),
  ].join('\n');
}

/**
 * Registers `ladder approvals` (the standing approvals in force; `--all` adds those ended in the
 * last day; `--json` prints them whole) and `ladder approvals revoke <id> --as <user>`.
 */
export function registerApprovalCommands(program: Command, cli: CliContext): void {
  const approvals = program
    .command('approvals')
    .option('--all', 'also those that ended in the last day (revoked, expired, used up)')
    .option('--json', 'print them as JSON, with the tasks each let through')
    .description(
      'standing approvals: which agent may run which action on which resource without asking, and for how long',
    )
    .action(async (options: { all?: boolean; json?: boolean }) => {
      await cli.withClient(async (client, config) => {
        const nowMs = Date.now();
        const all = await listStandingApprovals(client, config.taskQueue);
        const shown = options.all ? all : all.filter((a) => endedBecause(a, nowMs) === null);
        if (options.json) {
          cli.io.out(JSON.stringify(shown, null, 2));
          return;
        }
        if (shown.length === 0) {
          cli.io.out(options.all ? 'No standing approvals.' : 'No standing approvals in force.');
          return;
        }
        for (const a of shown) cli.io.out(formatStandingApproval(a, nowMs));
      });
    });

  approvals
    .command('revoke')
    .argument('<id>', 'the standing approval, e.g. sa-1a2b3c4d')
    .requiredOption(
      '--as <userId>',
      'Slack user id of who revokes it: its grantor, an approver of its class, or an admin',
    )
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description('revoke a standing approval at once: tasks decided from now on are asked again')
    .action(async (id: string, options: { as: string; key?: string }) => {
      await cli.withClient(async (client, config) => {
        try {
          const receipt = await revokeStandingApproval(
            client,
            { taskQueue: config.taskQueue, signer: operatorSigner(config, options.as, options.key) },
            { id, by: options.as },
          );
          cli.io.out(`Revoked ${id} at ${receipt.at}.`);
        } catch (err) {
          if (err instanceof StandingApprovalError) throw new CliError(`Refused: ${err.message}`);
          throw err;
        }
      });
    });
}
