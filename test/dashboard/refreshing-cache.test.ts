import { createRefreshingCache } from '../../dashboard/refreshing-cache';

/** A load that resolves when the test says so, counting calls. */
function controlledLoad() {
  const pending: { key: string; resolve: (v: string) => void; reject: (e: Error) => void }[] = [];
  const load = (key: string) =>
    new Promise<string>((resolve, reject) => pending.push({ key, resolve, reject }));
  return { load, pending };
}

describe('the refreshing cache', () => {
  it('awaits the first load, then serves the cached value and refreshes once in the background', async () => {
    let now = 0;
    const { load, pending } = controlledLoad();
    const cache = createRefreshingCache(load, { ttlMs: 100, maxKeys: 10, now: () => now });
    const first = cache.get('k');
    const alsoFirst = cache.get('k');
    expect(pending).toHaveLength(1); // one load for concurrent first readers
    pending[0].resolve('v1');
    await expect(first).resolves.toBe('v1');
    await expect(alsoFirst).resolves.toBe('v1');

    now = 50;
    await expect(cache.get('k')).resolves.toBe('v1');
    expect(pending).toHaveLength(1); // still fresh

    now = 150;
    await expect(cache.get('k')).resolves.toBe('v1'); // stale: served at once…
    await expect(cache.get('k')).resolves.toBe('v1');
    expect(pending).toHaveLength(2); // …and refreshed once
    pending[1].resolve('v2');
    await new Promise((r) => setImmediate(r));
    await expect(cache.get('k')).resolves.toBe('v2');
  });

  it('keeps the last value when a refresh fails, and reports the failure', async () => {
    let now = 0;
    const errors: string[] = [];
    const { load, pending } = controlledLoad();
    const cache = createRefreshingCache(load, {
      ttlMs: 10,
      maxKeys: 10,
      now: () => now,
      onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    });
    const first = cache.get('k');
    pending[0].resolve('v1');
    await first;
    now = 20;
    await expect(cache.get('k')).resolves.toBe('v1');
    pending[1].reject(new Error('Temporal away'));
    await new Promise((r) => setImmediate(r));
    expect(errors).toEqual(['k: Temporal away']);
    await expect(cache.get('k')).resolves.toBe('v1');
  });

  it('does not keep a first load that failed', async () => {
    const { load, pending } = controlledLoad();
    const cache = createRefreshingCache(load, { ttlMs: 10, maxKeys: 10 });
    const first = cache.get('k');
    pending[0].reject(new Error('down'));
    await expect(first).rejects.toThrow('down');
    expect(cache.size()).toBe(0);
  });

  it('holds at most maxKeys keys, dropping the least recently used', async () => {
    const cache = createRefreshingCache(async (k) => k, { ttlMs: 1000, maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) await cache.get(k);
    await cache.get('a');
    await cache.get('d');
    expect(cache.size()).toBe(3);
  });
});
