/**
 * Coalesced reads of remote values (an entity workflow's query, typically). At most one read per
 * key is in flight from this process, however many callers ask at once, and every caller still
 * gets a value read entirely *after* it asked: a caller arriving while a read is in flight waits
 * for the next read, which starts when the current one ends. So a kill switch engaged before a
 * task asks is always seen, while a burst of a thousand tasks costs the server two queries, not a
 * thousand (a busy workflow's query buffer is small, and overflowing it fails queries).
 */
export interface FreshReads<V> {
  /** A value of `key` read after this call began. */
  read(key: string): Promise<V>;
  /** Reads started so far (for tests and the bench). */
  readonly started: number;
}

interface Pending<V> {
  promise: Promise<V>;
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

function pending<V>(): Pending<V> {
  let resolve!: (value: V) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<V>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Creates a {@link FreshReads} over `load`.
 *
 * @param load - reads the value of one key from its source; called at most once at a time per key.
 */
export function createFreshReads<V>(load: (key: string) => Promise<V>): FreshReads<V> {
  const inFlight = new Map<string, { current: Promise<V>; next: Pending<V> | null }>();
  let started = 0;

  const start = (key: string): Promise<V> => {
    started++;
    let current: Promise<V>;
    try {
      current = load(key);
    } catch (err) {
      current = Promise.reject(err);
    }
    // Settled either way: waiters of the next read must not wait on this one's error.
    void current.then(
      () => settle(key),
      () => settle(key),
    );
    return current;
  };
  const settle = (key: string): void => {
    const entry = inFlight.get(key);
    if (!entry) return;
    if (!entry.next) {
      inFlight.delete(key);
      return;
    }
    const waiting = entry.next;
    entry.next = null;
    entry.current = start(key);
    entry.current.then(waiting.resolve, waiting.reject);
  };

  return {
    read(key) {
      const entry = inFlight.get(key);
      if (!entry) {
        const current = start(key);
        inFlight.set(key, { current, next: null });
        return current;
      }
      entry.next ??= pending<V>();
      return entry.next.promise;
    },
    get started() {
      return started;
    },
  };
}
