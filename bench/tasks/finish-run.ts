import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { benchEnvironment, reportHeading, type BenchEnvironment } from './environment';
import type { TargetCheck } from './report';
import { ROOT } from './stack';
import { writeJson } from './write-json';

/** When and where a bench run started. */
export interface RunStart {
  startedAt: Date;
  /** The machine's load averages when the run started. */
  loadBefore: number[];
  env: BenchEnvironment;
  /** Starts every workflow id of the run, so runs on one server never collide: `<letter><time>`. */
  runTag: string;
}

/** Notes the start of a run: its time, the machine's load, its environment and its tag. */
export async function beginRun(tagLetter: string): Promise<RunStart> {
  const startedAt = new Date();
  const loadBefore = loadavg();
  return {
    startedAt,
    loadBefore,
    env: await benchEnvironment(),
    runTag: `${tagLetter}${startedAt.getTime().toString(36)}`,
  };
}

/** What a bench run ends with: what it measured, the targets checked, and why it stopped early if it did. */
export interface FinishedRun extends RunStart {
  /** e.g. `tasks`; the report heading says `bench:<benchmark>`. */
  benchmark: string;
  options: { out: string; inMemoryServer: boolean };
  emulatorRateLimits: string;
  /** How the stack and the baseline were set up, in words, for the JSON. */
  stack: Record<string, unknown>;
  /** The figures, written to the JSON between the stack and the targets. */
  figures: Record<string, unknown>;
  checks: readonly TargetCheck[];
  /** The markdown printed under the heading (tables, notes, targets), empty ones left out. */
  sections: readonly string[];
  problem?: string;
}

/**
 * Writes a run's JSON (environment, load before and after, options, stack, figures, targets,
 * problem) to `options.out` below the project root, prints the markdown report under its heading,
 * and says which targets were missed.
 *
 * @returns the run's exit code: 2 when it stopped early, 1 when a target was missed, else 0.
 */
export async function finishRun(run: FinishedRun, say: (line?: string) => void): Promise<number> {
  const out = resolve(ROOT, run.options.out);
  mkdirSync(dirname(out), { recursive: true });
  await writeJson(out, {
    benchmark: run.benchmark,
    date: run.startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - run.startedAt.getTime()) / 1000),
    ...run.env,
    load: { before: run.loadBefore, after: loadavg() },
    options: run.options,
    stack: {
      emulatorRateLimits: run.emulatorRateLimits,
      devServerDatabase: run.options.inMemoryServer ? 'memory' : 'SQLite file (WAL)',
      ...run.stack,
    },
    ...run.figures,
    targets: run.checks,
    problem: run.problem ?? null,
  });
  say('');
  say(reportHeading(`bench:${run.benchmark}`, run.startedAt, run.env));
  say('');
  say(run.sections.filter(Boolean).join('\n\n'));
  say('');
  say(`Slack emulator rate limits: ${run.emulatorRateLimits}. Wrote ${run.options.out}.`);
  const missed = run.checks.filter((c) => c.met === false);
  if (missed.length > 0) say(`MISSED ${missed.length} of ${run.checks.length} targets.`);
  if (run.problem !== undefined) {
    say(`INCOMPLETE: the run stopped early, so the figures above are partial: ${run.problem}`);
    return 2;
  }
  return missed.length > 0 ? 1 : 0;
}
