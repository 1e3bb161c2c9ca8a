import { createBatchedCalls } from '../../client/batched-calls';

describe('createBatchedCalls', () => {
  it('sends requests made while a call is in flight together, in order, one answer each', async () => {
    const calls: { key: string; requests: number[]; finish: () => void }[] = [];
    const batched = createBatchedCalls<number, string>(
      (key, requests) =>
        new Promise((resolve) => {
          calls.push({ key, requests, finish: () => resolve(requests.map((r) => `${key}:${r}`)) });
        }),
    );
    const first = batched.call('q', 1);
    await Promise.resolve();
    expect(calls.map((c) => c.requests)).toEqual([[1]]);
    const later = [2, 3, 4].map((n) => batched.call('q', n));
    const other = batched.call('other', 9);
    await new Promise((r) => setImmediate(r));
    // One call per key in flight: 'q' waits, 'other' goes at once.
    expect(calls.map((c) => [c.key, c.requests])).toEqual([
      ['q', [1]],
      ['other', [9]],
    ]);
    calls[0].finish();
    await expect(first).resolves.toBe('q:1');
    await new Promise((r) => setImmediate(r));
    expect(calls[2].requests).toEqual([2, 3, 4]);
    calls[2].finish();
    await expect(Promise.all(later)).resolves.toEqual(['q:2', 'q:3', 'q:4']);
    calls[1].finish();
    await expect(other).resolves.toBe('other:9');
    expect(batched.sent).toBe(3);
  });

  it('fails every request of a failed call, and carries on with the next batch', async () => {
    let fail = true;
    const batched = createBatchedCalls<number, number>(async (_key, requests) => {
      if (fail) {
        fail = false;
        throw new Error('resource exhausted');
      }
      return requests.map((r) => r * 10);
    });
    const a = batched.call('q', 1);
    const b = batched.call('q', 2);
    await expect(a).rejects.toThrow('resource exhausted');
    await expect(b).rejects.toThrow('resource exhausted');
    await expect(batched.call('q', 3)).resolves.toBe(30);
  });

  it('refuses an answer that does not match the batch, and caps a batch at maxBatch', async () => {
    const sizes: number[] = [];
    const short = createBatchedCalls<number, number>(async () => [1]);
    await expect(Promise.all([short.call('q', 1), short.call('q', 2)])).rejects.toThrow(
      '1 answers for 2 requests',
    );
    const capped = createBatchedCalls<number, number>(async (_key, requests) => {
      sizes.push(requests.length);
      return requests;
    }, 2);
    await expect(Promise.all([1, 2, 3, 4, 5].map((n) => capped.call('q', n)))).resolves.toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('paces calls to a busy key: an idle key sends at once, a burst waits its turn and goes together', async () => {
    const starts: { at: number; requests: number[]; key: string }[] = [];
    const paced = createBatchedCalls<number, number>(
      async (key, requests) => {
        starts.push({ at: Date.now(), requests, key });
        return requests;
      },
      { minIntervalMs: 200 },
    );
    await expect(paced.call('q', 1)).resolves.toBe(1);
    expect(starts.map((s) => s.requests)).toEqual([[1]]);
    // Right after the first call: these wait for the interval and go in one call.
    const burst = Promise.all([2, 3, 4].map((n) => paced.call('q', n)));
    const other = paced.call('other', 9);
    await expect(other).resolves.toBe(9);
    expect(starts.map((s) => s.requests)).toEqual([[1], [9]]);
    await expect(burst).resolves.toEqual([2, 3, 4]);
    expect(starts.map((s) => s.requests)).toEqual([[1], [9], [2, 3, 4]]);
    // Timers may fire a millisecond early; the call never went before most of the interval.
    expect(starts[2].at - starts[0].at).toBeGreaterThanOrEqual(190);
  });
});
