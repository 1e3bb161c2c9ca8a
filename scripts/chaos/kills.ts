import type { Destinations } from './destinations';
import type { Driver } from './driver';
import type { ChaosStack } from './stack';
import { TRAP_LINGER_SECONDS, type TrapKind } from './task-mix';

/** One planned kill, done once `afterSubmitted` tasks are submitted. */
export type KillEvent =
  | { what: 'worker'; afterSubmitted: number; trap?: { kind: TrapKind; taskIndex: number } }
  | { what: 'dev server'; afterSubmitted: number };

/** A kill that happened. */
export interface KillRecord {
  what: 'worker' | 'dev server';
  trap?: TrapKind;
  /** For a timed kill: whether it landed while the effect (or undo) was still running. */
  inside?: boolean;
  detail: string;
  /** Seconds from the run's start. */
  atSeconds: number;
  /** How long the process was down, in ms. */
  downMs: number;
}

/** The timed worker kills, in the order they are used: inside a shell effect, an undo, an HTTP effect. */
const TRAP_ORDER: readonly TrapKind[] = ['shell-effect', 'compensation', 'http-effect'];

/**
 * Spreads the kills evenly over the submissions: the first worker kills are timed by trap tasks
 * (at the index where the kill falls), the dev-server kills sit in the middle, the rest of the
 * worker kills are untimed.
 *
 * @throws Error when there are too few tasks to give each kill a task of its own.
 */
export function planKills(tasks: number, workerKills: number, serverKills: number): KillEvent[] {
  const total = workerKills + serverKills;
  if (total === 0) return [];
  if (tasks < total + 1)
    throw new Error(`--tasks ${tasks} is too few for ${total} kills: give each kill at least one task`);
  const kinds: ('worker' | 'dev server')[] = Array<'worker'>(workerKills).fill('worker');
  for (let s = 0; s < serverKills; s++) {
    const at = Math.floor(((s + 1) * (kinds.length + 1)) / (serverKills + 1));
    kinds.splice(Math.min(at, kinds.length), 0, 'dev server');
  }
  let workerSeen = 0;
  return kinds.map((what, i) => {
    const afterSubmitted = Math.floor((tasks * (i + 1)) / (total + 1));
    if (what === 'dev server') return { what, afterSubmitted };
    const trap = TRAP_ORDER[workerSeen++];
    return trap
      ? { what, afterSubmitted, trap: { kind: trap, taskIndex: afterSubmitted } }
      : { what, afterSubmitted };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Does the planned kills in order, each once enough tasks are submitted, restarting what it
 * killed. A timed kill waits (up to two minutes) for its trap task's effect, or undo, to reach
 * its destination, then kills the worker while that effect is still running (it lingers
 * {@link TRAP_LINGER_SECONDS} s after).
 */
export async function runKills(
  events: readonly KillEvent[],
  stack: ChaosStack,
  driver: Driver,
  destinations: Destinations,
  startedAt: number,
  log: (line: string) => void,
): Promise<KillRecord[]> {
  const records: KillRecord[] = [];
  for (const event of events) {
    while (driver.submittedCount() <= event.afterSubmitted && driver.submittedCount() < driver.runs.length)
      await sleep(200);
    const seconds = (): number => Math.round((Date.now() - startedAt) / 1000);
    if (event.what === 'dev server') {
      const down = Date.now();
      await stack.killDevServer();
      await sleep(2_000); // an outage, not a blip
      await stack.startDevServer();
      records.push({
        what: 'dev server',
        detail: 'SIGKILL, restarted on the same database',
        atSeconds: seconds(),
        downMs: Date.now() - down,
      });
      log(`  t=${seconds()}s killed the dev server (down ${Math.round((Date.now() - down) / 1000)}s)`);
      continue;
    }
    let detail = 'SIGKILL at a random moment';
    let inside: boolean | undefined;
    if (event.trap) {
      const run = driver.runs[event.trap.taskIndex];
      const key = `${run.plan.workflowId}#0`;
      const trigger: Record<TrapKind, () => Promise<boolean>> = {
        'shell-effect': async () => destinations.sideEffectLines().includes(key),
        'http-effect': async () => (await destinations.demoEffects(key)).length > 0,
        compensation: async () => destinations.sideEffectLines().includes(`${key}#undo`),
      };
      const deadline = Date.now() + 120_000;
      let seenAt: number | undefined;
      while (Date.now() < deadline && !run.done) {
        if (await trigger[event.trap.kind]().catch(() => false)) {
          seenAt = Date.now();
          break;
        }
        await sleep(50);
      }
      const where =
        event.trap.kind === 'compensation'
          ? `the undo of step 1 of ${run.plan.workflowId}`
          : `step 1 of ${run.plan.workflowId}`;
      // The effect lingers TRAP_LINGER_SECONDS after reaching its destination; a second of margin.
      inside = seenAt !== undefined && Date.now() - seenAt < (TRAP_LINGER_SECONDS - 1) * 1000;
      detail =
        seenAt === undefined
          ? `meant for ${where}, which never showed at its destination: killed untimed`
          : `inside ${where} (${event.trap.kind}), ${Date.now() - seenAt} ms after it reached its destination`;
    }
    const down = Date.now();
    await stack.killWorker();
    for (let attempt = 1; ; attempt++) {
      try {
        await stack.startWorker();
        break;
      } catch (err) {
        if (attempt >= 3) throw err;
        log(`  worker restart failed (${(err as Error).message}); trying again`);
      }
    }
    records.push({
      what: 'worker',
      trap: event.trap?.kind,
      inside,
      detail,
      atSeconds: seconds(),
      downMs: Date.now() - down,
    });
    log(`  t=${seconds()}s killed the worker: ${detail}`);
  }
  return records;
}
