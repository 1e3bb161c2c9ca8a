import { InvalidArgumentError, type Command } from 'commander';
import { AUDIT_SCHEMA, type AuditRecord } from './audit-record';
import {
  auditQuery,
  auditRecords,
  fileSink,
  streamSink,
  type AuditWindow,
  type LineSink,
} from './audit-export';
import { parseWhen } from './audit-time';
import { CliExit, EXIT } from './exit-codes';
import { CliError } from './policy-commands';
import { withClient } from './with-client';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * Registers `ladder audit export`: every task's decision, human answers and outcome as JSON Lines
 * (`ladder.audit/v1`), read from Temporal, so an audit does not depend on the namespace's retention.
 */
export function registerAuditCommands(program: Command, io: Io): void {
  // Ages (7d) count back from when the command was given, for --since and --until alike.
  const nowMs = Date.now();
  const when = (value: string): number => {
    try {
      return parseWhen(value, nowMs);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
  const audit = program
    .command('audit')
    .description('the record of what tasks decided, who answered, how they ended');
  audit
    .command('export')
    .requiredOption(
      '--since <when>',
      'tasks started at or after: 2025-01-31, 2025-01-31T09:00:00Z, or an age (7d, 24h, 30m)',
      when,
    )
    .option('--until <when>', 'tasks started before (same forms; default: now)', when)
    .option('--out <file>', 'write to this file (complete or not at all) instead of standard output')
    .option(
      '--task-queue <name>',
      "only this deployment's tasks (default: every task queue in the namespace)",
    )
    .description(
      `write one JSON line (${AUDIT_SCHEMA}) per task workflow started in the window, open or closed: its decision, every human answer with its proof and the message it answered, and its outcome`,
    )
    .action(
      async (
        options: { since: number; until?: number; out?: string; taskQueue?: string },
        command: Command,
      ) => {
        const window: AuditWindow = {
          sinceMs: options.since,
          untilMs: options.until ?? nowMs,
          taskQueue: options.taskQueue,
        };
        if (window.untilMs <= window.sinceMs) {
          command.error(
            `error: --until (${new Date(window.untilMs).toISOString()}) must be later than --since (${new Date(window.sinceMs).toISOString()})`,
            { exitCode: EXIT.usage, code: 'ladder.audit.window' },
          );
        }
        try {
          auditQuery(window);
        } catch (err) {
          command.error(`error: ${(err as Error).message}`, {
            exitCode: EXIT.usage,
            code: 'ladder.audit.taskQueue',
          });
        }
        await withClient(async (client) => {
          const sink = openSink(options.out);
          const counts = { records: 0, open: 0, unreadable: 0 };
          try {
            for await (const item of auditRecords(client, window)) {
              if ('error' in item) {
                counts.unreadable += 1;
                io.err(`could not read ${item.workflowId} (run ${item.runId}): ${item.error}`);
                continue;
              }
              await sink.write(JSON.stringify(item satisfies AuditRecord));
              counts.records += 1;
              if (item.status === 'running') counts.open += 1;
            }
            await sink.close();
          } catch (err) {
            await sink.abort();
            throw new CliError(
              `audit export stopped after ${counts.records} record(s): ${(err as Error).message}${options.out ? ` (nothing written to ${options.out})` : ''}`,
            );
          }
          io.err(
            `Exported ${counts.records} task record(s) (${counts.open} still open) started from ${new Date(window.sinceMs).toISOString()} to ${new Date(window.untilMs).toISOString()}${options.out ? ` to ${options.out}` : ''}.`,
          );
          if (counts.unreadable > 0) {
            io.err(
              `${counts.unreadable} task(s) could not be read (listed above): the export is incomplete.`,
            );
            throw new CliExit(EXIT.error);
          }
        });
      },
    );
}

function openSink(out: string | undefined): LineSink {
  if (out === undefined) return streamSink(process.stdout);
  try {
    return fileSink(out);
  } catch (err) {
    throw new CliError(
      `--out: cannot write ${out}.partial (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}
