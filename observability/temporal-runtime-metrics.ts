import { createServer } from 'node:net';

/**
 * A loopback port free right now (the OS picks it): for a listener started by code that cannot
 * listen on port 0 and say which port it got, such as the Temporal runtime's exporter. Another
 * process may take it before that listener binds; the caller retries with a new one then.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('the OS gave no port')),
      );
    });
  });
}

/** How long a scrape waits for the runtime's exporter before answering without its metrics. */
const RUNTIME_SCRAPE_TIMEOUT_MS = 5_000;

/**
 * Reads the Temporal runtime's own `/metrics` for the worker's endpoint to append. When the
 * exporter does not answer, the text is a single comment saying why, so a scrape still returns
 * Ladder's metrics and the gap is visible (`temporal_*` series go stale) instead of failing whole.
 *
 * @param url - the exporter's `/metrics` URL (`installSdkRuntime` returns it).
 * @returns an `extra` for `startMetricsServer`.
 */
export function runtimeMetricsReader(url: string): () => Promise<string> {
  return async () => {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(RUNTIME_SCRAPE_TIMEOUT_MS) });
      if (!response.ok) return `# Temporal runtime metrics unavailable: HTTP ${response.status}\n`;
      return await response.text();
    } catch (err) {
      return `# Temporal runtime metrics unavailable: ${(err as Error).message.replace(/\s+/g, ' ')}\n`;
    }
  };
}
