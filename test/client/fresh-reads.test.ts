import { createFreshReads } from '../../client/fresh-reads';

/** A source whose reads finish only when the test says, and which counts what it was asked. */
function controlledSource() {
  const calls: { key: string; finish: (v: number) => void; fail: (e: Error) => void }[] = [];
  let value = 0;
  return {
    calls,
    set(v: number) {
      value = v;
    },
    load: (key: string) =>
      new Promise<number>((resolve, reject) => {
        // The value is taken when the read *ends*, as a query answers with the state it finds.
        calls.push({ key, finish: () => resolve(value), fail: reject });
      }),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('createFreshReads', () => {
  it('keeps one read in flight per key and gives late callers the next read', async () => {
    const source = controlledSource();
    const reads = createFreshReads(source.load);
    const first = reads.read('k');
    const second = reads.read('k');
    const third = reads.read('k');
    expect(source.calls).toHaveLength(1);
    source.set(1);
    source.calls[0].finish(0);
    await expect(first).resolves.toBe(1);
    await tick();
    // The callers that asked during the first read share one new read, started after it.
    expect(source.calls).toHaveLength(2);
    source.set(2);
    source.calls[1].finish(0);
    await expect(second).resolves.toBe(2);
    await expect(third).resolves.toBe(2);
    expect(reads.started).toBe(2);
  });

  it('never answers a caller with a read that began before it asked', async () => {
    const source = controlledSource();
    const reads = createFreshReads(source.load);
    source.set(0);
    const early = reads.read('k');
    // The value changes (a kill switch is engaged), then a caller asks while the old read runs.
    source.set(7);
    const late = reads.read('k');
    source.calls[0].finish(0);
    await early;
    await tick();
    source.calls[1].finish(0);
    await expect(late).resolves.toBe(7);
  });

  it('keeps keys apart and passes errors to the callers of the failed read only', async () => {
    const source = controlledSource();
    const reads = createFreshReads(source.load);
    const a = reads.read('a');
    const b = reads.read('b');
    const aAgain = reads.read('a');
    expect(source.calls.map((c) => c.key)).toEqual(['a', 'b']);
    source.calls[0].fail(new Error('query buffer full'));
    await expect(a).rejects.toThrow('query buffer full');
    await tick();
    source.set(3);
    source.calls[2].finish(0);
    await expect(aAgain).resolves.toBe(3);
    source.calls[1].finish(0);
    await expect(b).resolves.toBe(3);
    // Nothing in flight any more: the next caller starts a read of its own.
    const fresh = reads.read('a');
    expect(source.calls).toHaveLength(4);
    source.calls[3].finish(0);
    await expect(fresh).resolves.toBe(3);
  });

  it('turns a synchronous throw into a rejected read', async () => {
    const reads = createFreshReads<number>(() => {
      throw new Error('no connection');
    });
    await expect(reads.read('k')).rejects.toThrow('no connection');
  });
});
