import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { AgentTokenError, createAgentToken, listAgentTokens, revokeAgentToken } from '../client/agent-tokens';
import type { Config } from '../config/env';
import { operatorSigner } from './operator-key';
import { CliError } from './policy-commands';
import { withClient } from './with-client';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** {@link withClient}, with a refusal from the token registry said as one. */
function withTokenClient<T>(run: (client: Client, config: Config) => Promise<T>): Promise<T> {
  return withClient(async (client, config) => {
    try {
      return await run(client, config);
    } catch (err) {
      if (err instanceof AgentTokenError) throw new CliError(`Refused: ${err.message}`);
      throw err;
    }
  });
}

const KEY_HELP =
  "the admin's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)";

/**
 * Registers `ladder agent token create|list|revoke`: agents' credentials for the HTTP API and MCP
 * server. Only policy admins may create or revoke (the registry checks their signed answer).
 */
export function registerAgentCommands(program: Command, io: Io): void {
  const agent = program
    .command('agent')
    .description("manage agents' access to Ladder's HTTP API and MCP server");
  const token = agent.command('token').description('per-agent bearer tokens (only their hashes are stored)');

  token
    .command('create')
    .argument('<agent>')
    .requiredOption(
      '--as <userId>',
      'Slack user id of the admin creating it (checked against the policy admins)',
    )
    .option('--key <file>', KEY_HELP)
    .description('create a token for an agent; it is printed once and cannot be shown again')
    .action(async (agentId: string, options: { as: string; key?: string }) => {
      await withTokenClient(async (client, config) => {
        const signer = operatorSigner(config, options.as, options.key);
        const { token: secret, receipt } = await createAgentToken(
          client,
          { taskQueue: config.taskQueue, signer },
          { agentId, by: options.as },
        );
        // The token alone on stdout, so `$(ladder agent token create …)` captures just it.
        io.out(secret);
        io.err(
          `Token ${receipt.tokenId} for ${receipt.agentId} created by ${receipt.by} at ${receipt.at}. Store it now: it is not shown again.`,
        );
      });
    });

  token
    .command('list')
    .argument('<agent>')
    .description("an agent's tokens: id, created, revoked (never the secret or its hash)")
    .action(async (agentId: string) => {
      await withTokenClient(async (client, config) => {
        const tokens = await listAgentTokens(client, config.taskQueue, agentId);
        if (tokens.length === 0) {
          io.out(`${agentId}: no tokens`);
          return;
        }
        io.out(
          tokens
            .map(
              (t) =>
                `${t.tokenId}  created ${t.createdAt} by ${t.createdBy}${t.revokedAt ? `  REVOKED ${t.revokedAt} by ${t.revokedBy ?? '?'}` : '  active'}`,
            )
            .join('\n'),
        );
      });
    });

  token
    .command('revoke')
    .argument('<agent>')
    .argument('<tokenId>')
    .requiredOption('--as <userId>', 'Slack user id of the admin revoking it')
    .option('--key <file>', KEY_HELP)
    .description('revoke a token: every API and MCP frontend refuses it from the next request')
    .action(async (agentId: string, tokenId: string, options: { as: string; key?: string }) => {
      await withTokenClient(async (client, config) => {
        const signer = operatorSigner(config, options.as, options.key);
        const receipt = await revokeAgentToken(
          client,
          { taskQueue: config.taskQueue, signer },
          { agentId, tokenId, by: options.as },
        );
        io.out(`Token ${receipt.tokenId} of ${receipt.agentId} revoked by ${receipt.by} at ${receipt.at}.`);
      });
    });
}
