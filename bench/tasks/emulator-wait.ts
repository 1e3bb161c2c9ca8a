import { sleep } from './pool';
import type { BenchStack } from './stack';

/**
 * Waits until the emulator holds at least `count` messages whose key starts with `keyPrefix` and
 * ends with `keySuffix` (every channel), polling every `pollMs`.
 *
 * @param quietFromMs - epoch ms before which no growth is expected (e.g. timers not yet due): the
 *   stall clock starts no earlier.
 * @throws Error naming `what`, how many of `count` arrived, and `explain`'s answer, when none
 *   arrived for `stallMs`.
 */
export async function awaitKeyedMessages(
  stack: BenchStack,
  spec: {
    keyPrefix: string;
    keySuffix: string;
    count: number;
    what: string;
    stallMs: number;
    pollMs: number;
    quietFromMs?: number;
  },
  explain: () => Promise<string>,
): Promise<void> {
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const { count } = await stack.keyedMessages(spec.keyPrefix, spec.keySuffix);
    if (count >= spec.count) return;
    if (count !== last) [last, lastChange] = [count, Date.now()];
    if (Date.now() - Math.max(lastChange, spec.quietFromMs ?? 0) > spec.stallMs)
      throw new Error(
        `${count} of ${spec.count} ${spec.what} posted, none in the last ${Math.round(spec.stallMs / 1000)} s (${await explain()})`,
      );
    await sleep(spec.pollMs);
  }
}
