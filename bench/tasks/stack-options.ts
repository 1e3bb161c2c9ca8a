import { InvalidArgumentError, type Command } from 'commander';

/** A commander parser of whole numbers ≥ `min`, refusing anything else with what was expected. */
export function wholeNumber(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${value}"`);
    return n;
  };
}

/** The options every bench that starts its own stack shares. */
export interface StackBenchOptions {
  quick: boolean;
  /** A batch or round that makes no progress for this long fails the run. */
  stallSeconds: number;
  /** LOG_LEVEL of the Ladder processes. */
  logLevel: string;
  /** The dev server keeps its SQLite database in memory instead of a file (WAL) as `npm start` does. */
  inMemoryServer: boolean;
  /** Keep the run's folder (logs, policy, raw profiles) instead of deleting it. */
  keep: boolean;
  /** Where the JSON result goes, relative to the project root. */
  out: string;
  /** `LADDER_WORKER_CACHED_WORKFLOWS` of both workers; unset, Ladder's default. */
  cachedWorkflows?: number;
}

/** The default JSON result of bench `name`: `bench/results/<name>.json`, `<name>-quick.json` for a quick run. Pure. */
export function defaultResultFile(name: string, quick: boolean): string {
  return `bench/results/${name}${quick ? '-quick' : ''}.json`;
}

/**
 * Adds the shared options to `program` (which must be named `bench:<name>`): `--quick` with
 * `quickWords`, stall, log level, in-memory server, keep, out; and makes it throw instead of exit.
 */
export function withStackOptions(program: Command, name: string, quickWords: string): Command {
  return program
    .exitOverride()
    .option('--quick', quickWords)
    .option(
      '--stall-seconds <s>',
      'a batch or round without progress for this long fails the run (default 90)',
      wholeNumber(5),
    )
    .option('--log-level <level>', "LOG_LEVEL of Ladder's processes", 'info')
    .option('--in-memory-server', 'dev server database in memory (default: a SQLite file, as npm start)')
    .option('--keep', "keep the run's folder (logs, policy, raw profiles)")
    .option(
      '--cached-workflows <n>',
      "workflows each worker (Ladder's and the baseline's) keeps cached (default: Ladder's default)",
      wholeNumber(0),
    )
    .option(
      '--out <file>',
      `JSON result file (default ${defaultResultFile(name, false)}, ${defaultResultFile(name, true)} with --quick)`,
    );
}

/** The shared options of a program built with {@link withStackOptions}, as parsed. Pure. */
export function stackOptionsOf(
  o: {
    quick?: boolean;
    stallSeconds?: number;
    logLevel?: string;
    inMemoryServer?: boolean;
    keep?: boolean;
    out?: string;
    cachedWorkflows?: number;
  },
  name: string,
): StackBenchOptions {
  const quick = o.quick === true;
  return {
    quick,
    stallSeconds: o.stallSeconds ?? 90,
    logLevel: o.logLevel ?? 'info',
    inMemoryServer: o.inMemoryServer === true,
    keep: o.keep === true,
    out: o.out ?? defaultResultFile(name, quick),
    ...(o.cachedWorkflows !== undefined ? { cachedWorkflows: o.cachedWorkflows } : {}),
  };
}
