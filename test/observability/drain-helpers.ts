import { request, type IncomingHttpHeaders } from 'node:http';
import { Registry } from 'prom-client';
import { startMetricsServer, type MetricsServer } from '../../observability/metrics-server';
import { unlessStopping } from '../../observability/readiness';

/** One answer read in full. */
export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One request on a connection of its own (no pooling), so "a new connection" means one: a
 * refused one rejects with the socket error (ECONNREFUSED once the server stopped listening).
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The error code a request to `url` on a new connection fails with, or `answered <status>`. */
export async function newConnectionOutcome(url: string): Promise<string> {
  try {
    return `answered ${(await rawRequest(url)).status}`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

/**
 * A real metrics endpoint whose `/readyz` is wired as the process entry points wire it: ready
 * until `stopping()` holds, then 503 `stopping`.
 */
export async function readyzFor(stopping: () => boolean): Promise<MetricsServer> {
  const server = await startMetricsServer({ port: 0, registry: new Registry() });
  server.setReadiness(unlessStopping(stopping, () => Promise.resolve(null)));
  return server;
}

/** A promise to hold a request open, with the function that lets it go. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
