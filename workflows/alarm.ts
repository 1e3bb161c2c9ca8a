import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';
import { workflowNowMs } from './clock';

/**
 * A timer that outlives the waits it ends, for an entity loop woken by many signals: a wait
 * `condition(() => work() || alarm.rang())` ends on work without touching the timer, where
 * `condition(work, timeout)` would cancel it and the next wait start another (two history events
 * and two timer writes per wake).
 */
export interface Alarm {
  /**
   * Rings at `atMs` (workflow time, epoch ms) or earlier: a pending timer due no later is kept (the
   * loop then wakes early and sets the alarm again); only an earlier time replaces it.
   */
  setFor(atMs: number): void;
  /** Whether the timer set last has fired; setting the alarm again clears it. */
  rang(): boolean;
}

/** An alarm with no timer yet: the first {@link Alarm.setFor} starts one. */
export function createAlarm(summary: string): Alarm {
  let pending: { dueMs: number; scope: CancellationScope; fired: boolean } | undefined;
  return {
    setFor(atMs) {
      if (pending && !pending.fired && pending.dueMs <= atMs) return;
      pending?.scope.cancel();
      const timer = { dueMs: atMs, scope: new CancellationScope(), fired: false };
      pending = timer;
      void timer.scope
        .run(() => sleep(Math.max(1, atMs - workflowNowMs()), { summary }))
        .then(
          () => {
            timer.fired = true;
          },
          (err: unknown) => {
            if (!isCancellation(err)) throw err;
          },
        );
    },
    rang: () => pending?.fired ?? false,
  };
}
