import { type ChildProcess, fork } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** One of the bench's processes exited while the run still needed it. */
export class ProcessExited extends Error {
  constructor(
    readonly processName: string,
    readonly how: string,
    readonly logFile: string,
  ) {
    super(`the ${processName} exited (${how}) during the run; see ${logFile}`);
    this.name = 'ProcessExited';
  }
}

/** How to start one of the bench's processes. */
export interface ForkSpec {
  /** Shown in errors, e.g. "Ladder worker". */
  name: string;
  /** A built .js file. */
  script: string;
  env: NodeJS.ProcessEnv;
  /** Its stdout and stderr are appended here. */
  logFile: string;
  execArgv?: string[];
  /** How long it may take to report ready; default 120 s. */
  timeoutMs?: number;
}

/** Every child any stack in this process started and has not seen exit: killed if we exit first. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Whatever way this process ends (an error, Ctrl-C, process.exit), no child outlives it.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Registers a child the bench started some other way (the dev server), so the exit hook kills it too. */
export function track(child: ChildProcess): void {
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Forks `spec.script` with an IPC channel and waits for its first IPC message, which Ladder's
 * processes send when they serve (`{ type: 'ready', url? }`).
 *
 * @returns the child and that first message.
 * @throws Error naming the process and its log file when it exits first or stays silent too long.
 */
export async function forkReady<M = { type: string; url?: string }>(
  spec: ForkSpec,
): Promise<{ child: ChildProcess; ready: M }> {
  const fd = openSync(spec.logFile, 'a');
  const child = fork(spec.script, [], {
    env: spec.env,
    execArgv: spec.execArgv ?? [],
    stdio: ['ignore', fd, fd, 'ipc'],
  });
  closeSync(fd); // the child holds its own copy
  track(child);
  const timeoutMs = spec.timeoutMs ?? 120_000;
  const ready = await new Promise<M>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${spec.name} did not report ready within ${timeoutMs / 1000} s; see ${spec.logFile}`),
      );
    }, timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      clearTimeout(timer);
      reject(
        new Error(`${spec.name} exited during start-up (${signal ?? `code ${code}`}); see ${spec.logFile}`),
      );
    };
    child.once('exit', onExit);
    child.once('message', (message) => {
      clearTimeout(timer);
      child.off('exit', onExit);
      resolveReady(message as M);
    });
  });
  return { child, ready };
}

/** Whether the child has exited (or was killed) already. */
export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * Asks a child to stop (SIGTERM, and its IPC channel closed, which Ladder's processes also take as
 * "stop") and resolves once it has exited; SIGKILL after `graceMs`.
 */
export async function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Resolves with the first message from `child` that `match` accepts.
 *
 * @throws Error naming `what` when the child exits or does not answer within `timeoutMs`.
 */
export function nextMessage<R>(
  child: ChildProcess,
  match: (message: unknown) => message is R,
  what: string,
  timeoutMs = 30_000,
): Promise<R> {
  return new Promise<R>((done, fail) => {
    const timer = setTimeout(
      () => finish(new Error(`no answer to ${what} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onMessage = (m: unknown): void => {
      if (match(m)) finish(undefined, m);
    };
    const onExit = (code: number | null): void =>
      finish(new Error(`the process exited (${code}) before answering ${what}`));
    function finish(err?: Error, m?: R): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) fail(err);
      else done(m!);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Sends `request` to a child over IPC and resolves with its first reply that `match` accepts
 * (listening before sending, so a quick reply is not missed).
 *
 * @throws Error naming `what` when the child exits or does not answer within `timeoutMs`.
 */
export function ask<R>(
  child: ChildProcess,
  request: unknown,
  match: (message: unknown) => message is R,
  what: string,
  timeoutMs = 30_000,
): Promise<R> {
  const reply = nextMessage(child, match, what, timeoutMs);
  child.send(request as object);
  return reply;
}
