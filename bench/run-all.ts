// `npm run bench [-- --quick] [-- --only tasks,decide]`: every benchmark, one after another, each in
// its own process (so one's load never overlaps another's), then one line per part. `--quick` is
// passed to every part in the form that part understands.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError } from 'commander';

/** One benchmark: its built script, and the arguments that make it a quick run. */
export interface BenchPart {
  name: string;
  script: string;
  quickArgs: readonly string[];
}

/** The benchmarks `npm run bench` runs, in order. */
export const BENCH_PARTS: readonly BenchPart[] = [
  { name: 'decide', script: 'decide.js', quickArgs: ['--quick'] },
  // bench:slack-ack has no --quick of its own: fewer reload cycles and a shorter idle phase are its quick run.
  {
    name: 'slack-ack',
    script: 'slack-ack-during-reload.js',
    quickArgs: ['--cycles', '2', '--idle-seconds', '3'],
  },
  { name: 'tasks', script: 'tasks.js', quickArgs: ['--quick'] },
  // Where the rung-3 throughput ratio's floor lies: the bare workflow with the guards a rung-3 task needs.
  { name: 'floor', script: 'floor.js', quickArgs: ['--quick'] },
  { name: 'timers', script: 'timers.js', quickArgs: ['--quick'] },
  { name: 'waiting', script: 'waiting.js', quickArgs: ['--quick'] },
  { name: 'announce-burst', script: 'announce-burst.js', quickArgs: ['--quick'] },
  { name: 'dashboard', script: 'dashboard.js', quickArgs: ['--quick'] },
  // Starts the local cluster when it is down (building it the first time: minutes) and stops it after.
  { name: 'cluster', script: 'cluster.js', quickArgs: ['--quick'] },
];

/**
 * The parts to run and the arguments each gets. Pure.
 *
 * @throws Error naming an unknown part in `only`.
 */
export function planParts(
  parts: readonly BenchPart[],
  quick: boolean,
  only?: readonly string[],
): { part: BenchPart; args: string[] }[] {
  const unknown = (only ?? []).filter((name) => !parts.some((p) => p.name === name));
  if (unknown.length > 0)
    throw new Error(
      `unknown benchmark ${unknown.join(', ')} (known: ${parts.map((p) => p.name).join(', ')})`,
    );
  return parts
    .filter((p) => only === undefined || only.includes(p.name))
    .map((part) => ({ part, args: quick ? [...part.quickArgs] : [] }));
}

/**
 * The exit code of the whole run: 0 when every part passed, 1 when the worst was a missed target
 * (exit 1), 2 when a part failed to run at all. Pure.
 */
export function overallExitCode(codes: readonly number[]): number {
  if (codes.every((c) => c === 0)) return 0;
  return codes.every((c) => c === 0 || c === 1) ? 1 : 2;
}

function runPart(script: string, args: string[]): Promise<number> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    process.on('SIGTERM', forward);
    child.once('exit', (code, signal) => {
      process.off('SIGTERM', forward);
      done(code ?? (signal ? 2 : 0));
    });
    child.once('error', () => done(2));
  });
}

async function main(): Promise<void> {
  const program = new Command()
    .name('bench')
    .exitOverride()
    .option('--quick', 'a quick run of every part (about five minutes for tasks)')
    .option(
      '--only <names>',
      `comma-separated parts: ${BENCH_PARTS.map((p) => p.name).join(', ')}`,
      (v: string) => {
        const names = v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        if (names.length === 0) throw new InvalidArgumentError('expected part names');
        return names;
      },
    );
  try {
    program.parse(process.argv.slice(2), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    throw err;
  }
  const opts = program.opts<{ quick?: boolean; only?: string[] }>();
  const plan = planParts(BENCH_PARTS, opts.quick === true, opts.only);
  const codes: number[] = [];
  for (const { part, args } of plan) {
    process.stdout.write(`\n=== bench ${part.name}${args.length ? ` ${args.join(' ')}` : ''} ===\n`);
    codes.push(await runPart(join(__dirname, part.script), args));
  }
  process.stdout.write('\n=== summary ===\n');
  plan.forEach(({ part }, i) =>
    process.stdout.write(
      `${part.name.padEnd(10)} ${codes[i] === 0 ? 'ok' : codes[i] === 1 ? 'target missed (exit 1)' : `failed (exit ${codes[i]})`}\n`,
    ),
  );
  process.exitCode = overallExitCode(codes);
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  });
