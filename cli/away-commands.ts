import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { DelegationError, endAway, listAway, setAway, type DelegationCaller } from '../client/delegations';
import { awayUntil } from '../slack/listeners/away-words';
import { operatorSigner } from './operator-key';
import { CliError } from './policy-commands';
import type { CliContext } from './task-commands';

/**
 * Registers `ladder away` (who is away and who stands in), `ladder away set --until <when>
 * --delegate <person> --as <you>` and `ladder away end --as <you> [--approver <person>]`.
 */
export function registerAwayCommands(program: Command, cli: CliContext): void {
  const away = program
    .command('away')
    .option('--json', 'print them as JSON')
    .description('out-of-office delegation: who is away, until when, and who answers for them')
    .action(async (options: { json?: boolean }) => {
      await cli.withClient(async (client, config) => {
        const absences = await listAway(client, config.taskQueue);
        if (options.json) return cli.io.out(JSON.stringify(absences, null, 2));
        if (absences.length === 0) return cli.io.out('Nobody is away.');
        for (const a of absences)
          cli.io.out(
            `${a.approver} is away until ${a.until}; ${a.delegate} answers for them (since ${a.since})`,
          );
      });
    });

  /** Runs `run` with a client and the operator's signer for `as`; a refusal becomes the CLI's error. */
  const signed = (
    as: string,
    key: string | undefined,
    run: (client: Client, caller: DelegationCaller) => Promise<void>,
  ): Promise<void> =>
    cli.withClient(async (client, config) => {
      try {
        await run(client, { taskQueue: config.taskQueue, signer: operatorSigner(config, as, key) });
      } catch (err) {
        if (err instanceof DelegationError) throw new CliError(`Refused: ${err.message}`);
        throw err;
      }
    });

  away
    .command('set')
    .requiredOption('--until <when>', 'YYYY-MM-DD (back that day, 00:00 UTC) or an ISO time')
    .requiredOption(
      '--delegate <userId>',
      'who answers your requests meanwhile (one the policy lets stand in for you)',
    )
    .requiredOption('--as <userId>', 'your Slack user id: only you declare your own absence')
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description('declare yourself away: a stand-in the policy allows answers your requests until then')
    .action(async (options: { until: string; delegate: string; as: string; key?: string }) => {
      const until = awayUntil(options.until);
      if (!until) throw new CliError(`--until: expected YYYY-MM-DD or an ISO time, got "${options.until}"`);
      await signed(options.as, options.key, async (client, caller) => {
        const a = await setAway(client, caller, { by: options.as, delegate: options.delegate, until });
        cli.io.out(`${a.approver} is away until ${a.until}; ${a.delegate} answers for them.`);
      });
    });

  away
    .command('end')
    .requiredOption('--as <userId>', 'your Slack user id')
    .option('--approver <userId>', "end someone else's absence (admins)")
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description('end an absence: requests go to the approver again')
    .action(async (options: { as: string; approver?: string; key?: string }) => {
      await signed(options.as, options.key, async (client, caller) => {
        const r = await endAway(client, caller, {
          by: options.as,
          ...(options.approver ? { approver: options.approver } : {}),
        });
        cli.io.out(`${options.approver ?? options.as} is back (recorded at ${r.at}).`);
      });
    });
}
