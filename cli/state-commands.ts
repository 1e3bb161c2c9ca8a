import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exportTrustState, importTrustState, StateImportError } from '../client/state-transfer';
import { CliError } from './policy-commands';
import { parseTrustState } from './state-schema';
import type { CliContext } from './task-commands';

/**
 * Registers `ladder state export|import`: what agents earned (ledgers with their history and
 * series, open proposals and audits), the kill switch and agent tokens' hashes, moved from one
 * Temporal to another so moving a deployment does not reset every agent to its policy's rungs.
 */
export function registerStateCommands(program: Command, cli: CliContext): void {
  const state = program
    .command('state')
    .description("move a deployment's trust state (earned rungs, freezes, token hashes) to another Temporal");

  state
    .command('export')
    .option('--out <file>', 'write to this file (complete or not at all) instead of standard output')
    .description(
      "read every agent's trust ledger, the kill switch and the agent token registry from TEMPORAL_ADDRESS / LADDER_TASK_QUEUE",
    )
    .action(async (options: { out?: string }) => {
      await cli.withClient(async (client, config) => {
        const policy = cli.policyOf(config);
        const data = await exportTrustState(client, {
          taskQueue: config.taskQueue,
          agentIds: Object.keys(policy.agents),
          nowMs: Date.now(),
        });
        const text = `${JSON.stringify(data, null, 2)}\n`;
        if (options.out === undefined) cli.io.out(text.trimEnd());
        else writeWhole(options.out, text);
        cli.io.err(
          `Exported ${data.ledgers.length} agent ledger(s), ${data.agentTokens.length} agent token(s) and the kill switch from task queue ${config.taskQueue}${options.out ? ` to ${options.out}` : ''}.`,
        );
      });
    });

  state
    .command('import')
    .argument('<file>', 'a file written by `ladder state export`')
    .description(
      'start the ledgers, kill switch and token registry on TEMPORAL_ADDRESS / LADDER_TASK_QUEUE with that state; refused if the target already holds any of them',
    )
    .action(async (file: string) => {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch (err) {
        throw new CliError(
          `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
        );
      }
      await cli.withClient(async (client, config) => {
        const parsed = parseTrustState(raw, cli.policyOf(config));
        if (!parsed.ok)
          throw new CliError(
            `${file} is not a trust state this deployment can take; nothing was imported:\n${parsed.errors.map((e) => `  ${e}`).join('\n')}`,
          );
        try {
          const report = await importTrustState(client, { taskQueue: config.taskQueue }, parsed.state);
          cli.io.out(
            `Imported into task queue ${config.taskQueue}: ${report.started.length} workflow(s) started (${report.started.join(', ') || 'none: the file holds no state'}).`,
          );
        } catch (err) {
          if (err instanceof StateImportError) throw new CliError(`Refused: ${err.message}`);
          throw err;
        }
      });
    });
}

/** Writes `text` to `path` through a temporary file (mode 0600: it holds token hashes). */
function writeWhole(path: string, text: string): void {
  const partial = `${path}.partial`;
  try {
    writeFileSync(partial, text, { mode: 0o600 });
    renameSync(partial, path);
  } catch (err) {
    rmSync(partial, { force: true });
    throw new CliError(
      `--out: cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}
