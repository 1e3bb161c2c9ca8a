import { type ChildProcess, fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** A child started by {@link forkReady}: the process and the URL it reported, if any. */
export interface ReadyChild {
  child: ChildProcess;
  url?: string;
}

/**
 * Forks `script` (a built .js file) with an IPC channel, its output appended to `logFile`, and
 * waits for its first IPC message (`{ type: 'ready', url? }`), as Ladder's processes send when
 * they serve.
 *
 * @throws Error naming the process and its log when it exits or stays silent for `timeoutMs`.
 */
export async function forkReady(
  name: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  timeoutMs = 120_000,
): Promise<ReadyChild> {
  const fd = openSync(logFile, 'a');
  const child = fork(script, args, { env, stdio: ['ignore', fd, fd, 'ipc'] });
  closeSync(fd); // the child holds its own copy
  return new Promise<ReadyChild>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not report ready within ${timeoutMs / 1000}s; see ${logFile}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      reject(new Error(`${name} exited during start-up (${signal ?? `code ${code}`}); see ${logFile}`));
    };
    child.once('exit', onExit);
    child.once('message', (message) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolveReady({ child, url: (message as { url?: string } | null)?.url });
    });
  });
}

/** Whether the child has exited (or was killed) already. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Sends `signal` and resolves once the child has exited (SIGKILL after `graceMs` for other signals). */
export async function stopChild(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs = 10_000,
): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  if (timer) clearTimeout(timer);
}
