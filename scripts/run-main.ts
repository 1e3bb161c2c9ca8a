import { CommanderError } from 'commander';

/**
 * The entry point of a long command that starts its own stack (`npm run chaos`, `npm run
 * bench:tasks`): parses its options (`--help` exits 0, a bad option 2), runs it, reports a crash
 * with its stack, and exits with the run's code, so connections and timers of the stopped stack
 * cannot keep the process alive.
 *
 * @param name - how a crash is introduced, e.g. `Chaos run`.
 * @param crashCode - the exit code when `run` throws.
 */
export async function runMain<O>(
  name: string,
  parse: (argv: string[]) => O,
  run: (options: O) => Promise<number>,
  crashCode: number,
): Promise<never> {
  let options: O;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    throw err;
  }
  try {
    process.exitCode = await run(options);
  } catch (err) {
    process.stderr.write(
      `${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = crashCode;
  }
  process.exit(process.exitCode);
}
