#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerAgentCommands } from './agent-commands';
import { registerAuditCommands } from './audit-commands';
import { registerDashboardCommands } from './dashboard-commands';
import { CliExit } from './exit-codes';
import { registerKeyCommands } from './key-commands';
import { CliError, registerPolicyCommands } from './policy-commands';
import { registerTaskCommands } from './task-commands';

/**
 * Builds the `ladder` command line. `io` is injected so tests run commands in-process and read
 * their output.
 */
export function buildProgram(
  io = { out: (t: string) => console.log(t), err: (t: string) => console.error(t) },
): Command {
  const program = new Command('ladder')
    .description('Ladder: progressive autonomy for AI agents on Temporal')
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t.trimEnd()), writeErr: (t) => io.err(t.trimEnd()) });
  registerPolicyCommands(program, io);
  registerTaskCommands(program, io);
  registerKeyCommands(program, io);
  registerAgentCommands(program, io);
  registerAuditCommands(program, io);
  registerDashboardCommands(program, io);
  return program;
}

/**
 * Runs the CLI with `argv` (user arguments only) and returns the exit code: 0 on success, 1 for a
 * failed check or bad input, 2 for a usage error, and for `submit --wait` the task's outcome
 * (cli/exit-codes.ts).
 */
export async function runCli(argv: string[], io?: Parameters<typeof buildProgram>[0]): Promise<number> {
  const program = buildProgram(io);
  const err = io?.err ?? ((t: string) => console.error(t));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CliExit) return e.code;
    if (e instanceof CliError) {
      err(e.message);
      return 1;
    }
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      // Whatever escaped the commands' own error handling: its message, not a stack trace, unless asked.
      const message = e instanceof Error ? e.message : String(e);
      if (process.env.LADDER_DEBUG === '1' && e instanceof Error && e.stack) console.error(e.stack);
      else console.error(`ladder: ${message} (unexpected error; LADDER_DEBUG=1 shows where it happened)`);
      process.exitCode = 1;
    },
  );
}
