/**
 * Batches calls to one remote entity: at most one call per key is in flight from this process;
 * requests made meanwhile wait and go together in the next call, in the order they were made.
 * A burst of a thousand reservations against one quota ledger then costs a handful of updates
 * instead of a thousand, and never more than one in-flight update per ledger per worker.
 */
export interface BatchedCalls<Req, Res> {
  /** Sends `request` to `key` with whatever else is waiting; resolves with its own answer. */
  call(key: string, request: Req): Promise<Res>;
  /** Calls sent so far (for tests and the bench). */
  readonly sent: number;
}

interface Waiting<Req, Res> {
  request: Req;
  resolve: (value: Res) => void;
  reject: (err: unknown) => void;
}

/** How {@link createBatchedCalls} batches. */
export interface BatchingOptions {
  /** The most requests in one call (keeps payloads bounded); default 200. */
  maxBatch?: number;
  /**
   * The least time between the starts of two calls to one key, in ms; default 0. A request to an
   * idle key still goes at once; under a burst, calls go at most this often, each carrying what
   * gathered meanwhile (a workflow can take only so many signals a second).
   */
  minIntervalMs?: number;
}

/**
 * Creates a {@link BatchedCalls} over `send`.
 *
 * @param send - sends one batch to `key`; must answer with one result per request, in order.
 * @param options - batch size and pacing; a number is `maxBatch` alone.
 */
export function createBatchedCalls<Req, Res>(
  send: (key: string, requests: Req[]) => Promise<Res[]>,
  options: number | BatchingOptions = {},
): BatchedCalls<Req, Res> {
  const { maxBatch = 200, minIntervalMs = 0 } = typeof options === 'number' ? { maxBatch: options } : options;
  const queues = new Map<
    string,
    { busy: boolean; waiting: Waiting<Req, Res>[]; lastStartMs: number; paced: boolean }
  >();
  let sent = 0;

  const flush = (key: string): void => {
    const queue = queues.get(key);
    if (!queue || queue.busy || queue.paced) return;
    if (queue.waiting.length === 0) {
      // Kept while paced calls may follow, so the next one still waits its turn.
      if (Date.now() - queue.lastStartMs >= minIntervalMs) queues.delete(key);
      return;
    }
    const wait = queue.lastStartMs + minIntervalMs - Date.now();
    if (wait > 0) {
      queue.paced = true;
      setTimeout(() => {
        queue.paced = false;
        flush(key);
      }, wait);
      return;
    }
    const batch = queue.waiting.splice(0, maxBatch);
    queue.busy = true;
    queue.lastStartMs = Date.now();
    sent++;
    const settle = (outcome: (w: Waiting<Req, Res>, i: number) => void): void => {
      batch.forEach(outcome);
      queue.busy = false;
      flush(key);
    };
    let reply: Promise<Res[]>;
    try {
      reply = send(
        key,
        batch.map((w) => w.request),
      );
    } catch (err) {
      reply = Promise.reject(err);
    }
    reply.then(
      (results) => {
        if (results.length !== batch.length) {
          const err = new Error(
            `batched call to ${key}: ${results.length} answers for ${batch.length} requests`,
          );
          settle((w) => w.reject(err));
        } else settle((w, i) => w.resolve(results[i]));
      },
      (err: unknown) => settle((w) => w.reject(err)),
    );
  };

  return {
    call(key, request) {
      return new Promise<Res>((resolve, reject) => {
        let queue = queues.get(key);
        if (!queue) {
          queue = { busy: false, waiting: [], lastStartMs: -Infinity, paced: false };
          queues.set(key, queue);
        }
        queue.waiting.push({ request, resolve, reject });
        // After the current turn: requests made in the same tick go in one call.
        queueMicrotask(() => flush(key));
      });
    },
    get sent() {
      return sent;
    },
  };
}
