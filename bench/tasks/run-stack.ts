import { rmSync } from 'node:fs';
import { startBenchStack, type BenchStack, type ExternalTemporal } from './stack';

/** Output lines of a bench run: plain, and progress lines stamped with the seconds since it started. */
export interface BenchLog {
  say(line?: string): void;
  progress(line: string): void;
}

/** A log to stdout whose progress lines count seconds from now. */
export function benchLog(): BenchLog {
  const startedAt = Date.now();
  const say = (line = ''): void => void process.stdout.write(`${line}\n`);
  return {
    say,
    progress: (line) => say(`[${String(Math.round((Date.now() - startedAt) / 1000)).padStart(4)} s] ${line}`),
  };
}

/** How the stack of one bench run is started and what happens to its folder afterwards. */
export interface StackRunOptions {
  logLevel: string;
  inMemoryServer: boolean;
  /** Keep the run's folder (logs, policy, raw profiles) even when the run went well. */
  keep: boolean;
  /** When an unread report of the bench's rung-5 class first escalates (default: the bench policy's). */
  reportEscalationAfterMs?: number;
  /** Both workers' `LADDER_WORKER_CACHED_WORKFLOWS`; unset, Ladder's default. */
  cachedWorkflows?: number;
  /** A running Temporal server (the local cluster) instead of the stack's own dev server. */
  temporal?: ExternalTemporal;
  /** Ladder worker processes sharing the task queue; default 1. */
  ladderWorkers?: number;
}

/**
 * Starts a bench stack, runs `measure` on it and stops every process it started, whatever
 * happens: a first Ctrl-C (or SIGTERM) stops them cleanly and exits 130, a second exits at once
 * (the exit hook in processes.ts still kills every child). The run's folder is removed unless
 * `keep` is set, the run stopped early, or `measure` returns a reason to keep it (a round that
 * stalled, whose logs tell why). An error thrown by `measure` ends the run there and is returned
 * as `problem`; what `measure` recorded before it stays with the caller.
 *
 * @param quiet - errors whose stack trace would add nothing (a batch that failed for a known reason).
 * @returns the stack's folder (removed by then unless kept), whether the emulator's rate limits
 *   were off, and, when measuring stopped early, why.
 * @throws Error when the stack itself does not start.
 */
export async function onBenchStack(
  options: StackRunOptions,
  log: BenchLog,
  measure: (stack: BenchStack) => Promise<string | undefined | void>,
  quiet: (err: unknown) => boolean = () => false,
): Promise<{ dir: string; emulatorRateLimits: BenchStack['emulatorRateLimits']; problem?: string }> {
  const running: { stack?: BenchStack; stopping?: boolean } = {};
  const interrupted = (signal: NodeJS.Signals): void => {
    if (running.stopping) process.exit(130);
    running.stopping = true;
    const dir = running.stack ? ` (its folder is kept: ${running.stack.dir})` : '';
    log.say(`\n${signal}: stopping every process this run started…${dir}`);
    void (running.stack?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    const stack = await startBenchStack(log.say, {
      logLevel: options.logLevel,
      inMemoryServer: options.inMemoryServer,
      reportEscalationAfterMs: options.reportEscalationAfterMs,
      cachedWorkflows: options.cachedWorkflows,
      ...(options.temporal ? { temporal: options.temporal } : {}),
      ...(options.ladderWorkers !== undefined ? { ladderWorkers: options.ladderWorkers } : {}),
    });
    running.stack = stack;
    let problem: string | undefined;
    let keepBecause: string | undefined;
    try {
      keepBecause = (await measure(stack)) ?? undefined;
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
      log.progress(`STOPPED: ${problem}`);
      if (!quiet(err)) log.say(err instanceof Error ? (err.stack ?? '') : '');
    } finally {
      await stack
        .stop()
        .catch((err: unknown) => log.say(`could not stop the stack cleanly: ${(err as Error).message}`));
      if (options.keep || problem !== undefined || keepBecause !== undefined)
        log.say(
          `The run's folder (policy, logs, raw profiles) is kept${keepBecause ? ` (${keepBecause})` : ''}: ${stack.dir}`,
        );
      else rmSync(stack.dir, { recursive: true, force: true });
    }
    return {
      dir: stack.dir,
      emulatorRateLimits: stack.emulatorRateLimits,
      ...(problem !== undefined ? { problem } : {}),
    };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}
