import { join } from 'node:path';
import { awaitKeyedMessages } from '../../bench/tasks/emulator-wait';
import { projectRoot } from '../../bench/tasks/project-root';
import { Stalled, unlessStalled } from '../../bench/tasks/stall-guard';
import type { BenchStack } from '../../bench/tasks/stack';

/** A stack whose emulator answers the given counts, one per call, repeating the last. */
function stackCounting(counts: number[]): { stack: BenchStack; asked: () => number; askedAtMs: number[] } {
  const askedAtMs: number[] = [];
  const stack = {
    keyedMessages: async () => {
      askedAtMs.push(Date.now());
      return { count: counts[Math.min(askedAtMs.length - 1, counts.length - 1)], lastPostedAtMs: NaN };
    },
  } as unknown as BenchStack;
  return { stack, asked: () => askedAtMs.length, askedAtMs };
}

const spec = { keyPrefix: 'p/', keySuffix: '/s', count: 3, what: 'pings', stallMs: 50, pollMs: 5 };

describe('waiting for keyed messages in the emulator', () => {
  it('resolves once the count is reached, polling until then', async () => {
    const { stack, asked } = stackCounting([0, 1, 1, 2, 3]);
    await awaitKeyedMessages(stack, spec, async () => 'unused');
    expect(asked()).toBe(5);
  });

  it('fails after the stall time without growth, saying how many arrived and why', async () => {
    const { stack } = stackCounting([1, 2]);
    await expect(awaitKeyedMessages(stack, spec, async () => 'worker is stuck')).rejects.toThrow(
      '2 of 3 pings posted, none in the last 0 s (worker is stuck)',
    );
  });

  it('does not count a stall before the moment growth is expected', async () => {
    const { stack, askedAtMs } = stackCounting([0]);
    const started = Date.now();
    const quietFromMs = started + 150;
    await expect(
      awaitKeyedMessages(stack, { ...spec, quietFromMs }, async () => 'not due yet'),
    ).rejects.toThrow('0 of 3 pings posted');
    // The stall clock starts at quietFromMs, not at the first poll: it gives up no sooner than stallMs after it,
    // and it kept asking past that moment. (How many polls fit in depends on the machine's load, so that is not counted.)
    expect(Date.now() - started).toBeGreaterThanOrEqual(150 + spec.stallMs);
    expect(askedAtMs[0]).toBeLessThan(quietFromMs);
    expect(askedAtMs[askedAtMs.length - 1]).toBeGreaterThanOrEqual(quietFromMs);
  });
});

describe('the project root', () => {
  it('is the nearest folder holding package.json, from the sources as from dist', () => {
    const root = projectRoot(__dirname);
    expect(root).toBe(join(__dirname, '..', '..'));
    expect(projectRoot(join(root, 'dist', 'bench', 'tasks'))).toBe(root);
  });
});

describe('work guarded against stalls', () => {
  it('passes the result through while the count keeps growing', async () => {
    let done = 0;
    const work = (async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 20));
        done++;
      }
      return 'finished';
    })();
    await expect(
      unlessStalled(work, () => done, { total: 5, what: 'steps', stallMs: 60, checkMs: 10 }),
    ).resolves.toBe('finished');
  });

  it('rejects with how far it got once the count stops growing', async () => {
    let done = 0;
    const never = new Promise<string>(() => undefined);
    setTimeout(() => done++, 10);
    await expect(
      unlessStalled(never, () => done, { total: 5, what: 'answers acknowledged', stallMs: 60, checkMs: 10 }),
    ).rejects.toThrow(new Stalled('1 of 5 answers acknowledged, none more in the last 0 s'));
  });
});
