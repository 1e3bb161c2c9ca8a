import type { ChildProcess } from 'node:child_process';
import type { EmulatorReply, EmulatorRequest } from './emulator-messages';

/** Sends a request to the emulator process and resolves with its reply of type `type`. */
export type AskEmulator = <T extends EmulatorReply['type']>(
  request: EmulatorRequest,
  type: T,
  timeoutMs?: number,
) => Promise<Extract<EmulatorReply, { type: T }>>;

/**
 * Request and reply over the emulator process's IPC channel, matched by request id. One listener
 * answers every request, so many requests in flight add no listeners; all fail, naming the log,
 * if the process exits.
 */
export function emulatorLink(child: ChildProcess, logFile: string): AskEmulator {
  const pending = new Map<
    number,
    { type: string; done: (m: EmulatorReply) => void; fail: (e: Error) => void }
  >();
  child.on('message', (m: EmulatorReply) => {
    const id = (m as { id?: number }).id;
    const waiting = id === undefined ? undefined : pending.get(id);
    if (waiting && waiting.type === m.type) {
      pending.delete(id!);
      waiting.done(m);
    }
  });
  child.once('exit', (code, signal) => {
    for (const waiting of pending.values())
      waiting.fail(new Error(`the Slack emulator exited (${signal ?? `code ${code}`}); see ${logFile}`));
    pending.clear();
  });
  return (request, type, timeoutMs = 30_000) =>
    new Promise((done, fail) => {
      const timer = setTimeout(() => {
        pending.delete(request.id);
        fail(
          new Error(
            `the Slack emulator did not answer its ${request.type} request within ${timeoutMs / 1000} s`,
          ),
        );
      }, timeoutMs);
      pending.set(request.id, {
        type,
        done: (m) => {
          clearTimeout(timer);
          done(m as Extract<EmulatorReply, { type: typeof type }>);
        },
        fail: (e) => {
          clearTimeout(timer);
          fail(e);
        },
      });
      child.send(request);
    });
}
