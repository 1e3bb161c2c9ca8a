/**
 * Values loaded by key and served from memory: a value older than `ttlMs` is still served while
 * one refresh runs in the background (single flight per key), so a page never waits on Temporal
 * once its figures were loaded once. At most `maxKeys` keys are kept (least recently used go first),
 * so memory stays bounded whatever URLs are asked for.
 */
export interface RefreshingCache<V> {
  /** The value for `key`: the cached one (refreshing it if stale), or the first load awaited. */
  get(key: string): Promise<V>;
  /** How many keys are held. */
  size(): number;
  /** Resolves once no load is in flight (call before closing the connection loads use). */
  settle(): Promise<void>;
}

interface Entry<V> {
  value?: V;
  loadedAt: number;
  loading: Promise<V> | null;
}

/**
 * Creates a {@link RefreshingCache}. A background refresh that fails keeps the last value and is
 * reported to `onError`; a first load that fails rejects the caller and is not cached.
 *
 * @param ttlMs - age in ms past which a read starts a refresh.
 * @param now - the clock, in ms (tests pass their own).
 */
export function createRefreshingCache<V>(
  load: (key: string) => Promise<V>,
  options: {
    ttlMs: number;
    maxKeys: number;
    onError?: (key: string, err: unknown) => void;
    now?: () => number;
  },
): RefreshingCache<V> {
  const entries = new Map<string, Entry<V>>();
  const now = options.now ?? Date.now;
  const refresh = (key: string, entry: Entry<V>): Promise<V> => {
    entry.loading ??= load(key).then(
      (value) => {
        entry.value = value;
        entry.loadedAt = now();
        entry.loading = null;
        return value;
      },
      (err: unknown) => {
        entry.loading = null;
        if (!('value' in entry)) entries.delete(key);
        throw err;
      },
    );
    return entry.loading;
  };
  return {
    async get(key) {
      let entry = entries.get(key);
      if (entry) {
        // Most recently used last: Map keeps insertion order.
        entries.delete(key);
        entries.set(key, entry);
      } else {
        entry = { loadedAt: 0, loading: null };
        entries.set(key, entry);
        while (entries.size > options.maxKeys) entries.delete(entries.keys().next().value!);
      }
      if (!('value' in entry)) return refresh(key, entry);
      if (now() - entry.loadedAt >= options.ttlMs)
        refresh(key, entry).catch((err: unknown) => options.onError?.(key, err));
      return entry.value as V;
    },
    size: () => entries.size,
    async settle() {
      await Promise.allSettled([...entries.values()].map((e) => e.loading));
    },
  };
}
