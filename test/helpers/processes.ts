import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** A spawned process with its output collected, for end-to-end tests of Ladder's commands. */
export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout matches `pattern`; rejects if the process exits first or `timeoutMs` passes. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or -1 for a signal) once the process has exited. */
  exited: Promise<number>;
}

/** Spawns `node <script>` with extra env, collecting output. */
export function spawnNode(script: string, env: NodeJS.ProcessEnv): Spawned {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString('utf8');
    listeners.forEach((l) => l());
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const exited = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(pattern, timeoutMs = 90_000) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(out)) {
            cleanup();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        }, timeoutMs);
        const onExit = (code: number): void => {
          cleanup();
          reject(new Error(`exited (${code}) before ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        void exited.then(onExit);
        check();
      });
    },
  };
}

/** Direct children of `pid`, as reported by the OS (`pgrep -P`). */
export function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}

/** Whether a process with this pid still exists (zombies included until reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The command line of a process, for telling our `temporal` child from the worker. */
export function commandLine(pid: number): string {
  try {
    return execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/**
 * Whether any process on this machine has `text` in its command line (read from /proc). Lets a
 * test wait until a killed worker's children are really gone: a sandboxed child dies when its
 * sandbox notices the worker's death, a moment after the worker itself.
 */
export function anyProcessRunning(text: string): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text)) return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}
