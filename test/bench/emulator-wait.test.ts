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
  // Fake timers (Date.now too): polls and the stall clock advance in a fixed order, however loaded
  // the machine is.
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  /** Settles `promise`'s expectation while fake time runs on by `ms`. */
  async function within<T>(ms: number, expectation: Promise<T>): Promise<T> {
    await jest.advanceTimersByTimeAsync(ms);
    return expectation;
  }

  it('resolves once the count is reached, polling until then', async () => {
    const { stack, asked } = stackCounting([0, 1, 1, 2, 3]);
    await within(
      1000,
      expect(awaitKeyedMessages(stack, spec, async () => 'unused')).resolves.toBeUndefined(),
    );
    expect(asked()).toBe(5);
  });

  it('fails after the stall time without growth, saying how many arrived and why', async () => {
    const { stack } = stackCounting([1, 2]);
    await within(
      1000,
      expect(awaitKeyedMessages(stack, spec, async () => 'worker is stuck')).rejects.toThrow(
        '2 of 3 pings posted, none in the last 0 s (worker is stuck)',
      ),
    );
  });

  it('does not count a stall before the moment growth is expected', async () => {
    const { stack, askedAtMs } = stackCounting([0]);
    const started = Date.now();
    const quietFromMs = started + 150;
    let gaveUpAt = NaN;
    await within(
      1000,
      expect(
        awaitKeyedMessages(stack, { ...spec, quietFromMs }, async () => 'not due yet').finally(() => {
          gaveUpAt = Date.now();
        }),
      ).rejects.toThrow('0 of 3 pings posted'),
    );
    // The stall clock starts at quietFromMs, not at the first poll: it gives up no sooner than stallMs after it,
    // and it kept asking past that moment.
    expect(gaveUpAt - started).toBeGreaterThanOrEqual(150 + spec.stallMs);
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
  // Fake timers (Date.now too): the guard's checks and the work's steps come due in a fixed order,
  // however loaded the machine is.
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('passes the result through while the count keeps growing', async () => {
    let done = 0;
    // 5 steps of 20 ms: 100 ms in all, longer than the 60 ms stall time, so only growth keeps it going.
    const work = (async () => {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 20));
        done++;
      }
      return 'finished';
    })();
    const guarded = unlessStalled(work, () => done, { total: 5, what: 'steps', stallMs: 60, checkMs: 10 });
    const outcome = expect(guarded).resolves.toBe('finished');
    await jest.advanceTimersByTimeAsync(200);
    await outcome;
  });

  it('rejects with how far it got once the count stops growing', async () => {
    let done = 0;
    const never = new Promise<string>(() => undefined);
    setTimeout(() => done++, 10);
    const guarded = unlessStalled(never, () => done, {
      total: 5,
      what: 'answers acknowledged',
      stallMs: 60,
      checkMs: 10,
    });
    const outcome = expect(guarded).rejects.toThrow(
      new Stalled('1 of 5 answers acknowledged, none more in the last 0 s'),
    );
    await jest.advanceTimersByTimeAsync(200);
    await outcome;
  });
});
