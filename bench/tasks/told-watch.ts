import type { EmulatedMessage, Workspace } from '../../slack/emulator/workspace';

/** The part of a stored Slack message a told-watch reads. */
export interface ToldCandidate {
  /** The user an ephemeral message was shown to; absent for messages everyone sees. */
  ephemeralTo?: string;
  text: string;
}

interface Waiter {
  user: string;
  textIncludes: string;
  done: (seenAtMs: number) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Waits for what a clicker is told: the ephemeral message the Slack app shows one person once it
 * has recorded (or refused) their answer. The bench's click lanes wait on it the way a person
 * waits before their next click, so "20 concurrent" means 20 answers in flight, as on the update
 * paths, whose lanes wait for the update's result.
 *
 * Each stored message is offered to {@link seen}; it settles every waiter for its user whose text
 * it includes. A waiter registered after its message was stored is not settled by it: register
 * before the click.
 */
export class ToldWatch {
  private readonly waiters = new Set<Waiter>();

  /**
   * Resolves with the epoch ms at which an ephemeral message to `user` including `textIncludes`
   * was stored.
   *
   * @throws (rejects) after `timeoutMs` without one, naming the user and the text.
   */
  expect(user: string, textIncludes: string, timeoutMs: number): Promise<number> {
    if (textIncludes === '') return Promise.reject(new Error('told-watch: the text to wait for is empty'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        user,
        textIncludes,
        done: (at) => {
          clearTimeout(waiter.timer);
          this.waiters.delete(waiter);
          resolve(at);
        },
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(
              `the Slack app told ${user} nothing including "${textIncludes}" within ${timeoutMs / 1000} s (refused? see the Slack app's log)`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Offers a message just stored, at `atMs` (epoch ms), to the waiters. */
  seen(message: ToldCandidate, atMs: number): void {
    if (message.ephemeralTo === undefined) return;
    for (const waiter of [...this.waiters]) {
      if (waiter.user === message.ephemeralTo && message.text.includes(waiter.textIncludes))
        waiter.done(atMs);
    }
  }

  /** How many waits are open. */
  get open(): number {
    return this.waiters.size;
  }
}

/**
 * Calls `onStored` with every message `workspace` stores from now on, and the epoch ms it was
 * stored at, by wrapping its `addMessage`: every post, ephemeral or not, goes through it.
 */
export function onEveryStoredMessage(
  workspace: Pick<Workspace, 'addMessage'>,
  onStored: (message: EmulatedMessage, atMs: number) => void,
): void {
  const add = workspace.addMessage.bind(workspace);
  workspace.addMessage = (...args: Parameters<typeof add>): EmulatedMessage => {
    const message = add(...args);
    onStored(message, Date.now());
    return message;
  };
}
