import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** Interface to bind; default 127.0.0.1 (scrapers on other hosts need it set, e.g. 0.0.0.0). */
  host?: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  registry: Registry;
  /**
   * More exposition text appended to the registry's (the Temporal runtime's own metrics); it must
   * not repeat a metric name the registry has. Called once per scrape.
   */
  extra?: () => Promise<string>;
}

/**
 * Whether the process can do its work now: null when it can, else why not (shown to whoever
 * probes). Called once per `/readyz` request; it must answer within a couple of seconds.
 */
export type Readiness = () => Promise<string | null>;

/** A started metrics endpoint. */
export interface MetricsServer {
  /** e.g. `http://127.0.0.1:9464/metrics` */
  url: string;
  /** e.g. `http://127.0.0.1:9464` (also serves `/healthz` and `/readyz`). */
  baseUrl: string;
  /**
   * Sets what `/readyz` asks. Until it is set (the process is still starting) `/readyz` answers
   * 503 `starting`.
   */
  setReadiness(readiness: Readiness): void;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` in the Prometheus text format (`registry.contentType`): the registry's
 * metrics followed by `extra()`'s text; `GET /healthz` (200 while the process runs: a liveness
 * probe) and `GET /readyz` (200 when the process can do its work, else 503 with why: a readiness
 * probe, e.g. a worker draining after SIGTERM). Any other path or method is answered 404 or 405; a
 * scrape that fails is answered 500 with the reason.
 *
 * @throws the listen error (e.g. `EADDRINUSE`) when the port cannot be bound.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  let readiness: Readiness = () => Promise.resolve('starting');
  const server = createServer((req, res) => void answer(req, res, options, () => readiness()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/metrics`,
    baseUrl: `http://${shownHost}:${port}`,
    setReadiness: (r) => {
      readiness = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  options: MetricsServerOptions,
  readiness: Readiness,
): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  if (path !== '/metrics' && path !== '/healthz' && path !== '/readyz')
    return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return void res
      .writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' })
      .end('method not allowed\n');
  if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
  if (path === '/readyz') {
    const why = await readiness().catch(
      (err: unknown) => `readiness check failed: ${(err as Error).message}`,
    );
    return void res
      .writeHead(why === null ? 200 : 503, { 'content-type': 'text/plain' })
      .end(why === null ? 'ready\n' : `not ready: ${why}\n`);
  }
  try {
    const [own, extra] = await Promise.all([options.registry.metrics(), options.extra?.() ?? '']);
    const body = extra === '' ? own : `${own.endsWith('\n') ? own : `${own}\n`}${extra}`;
    res.writeHead(200, { 'content-type': options.registry.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    res
      .writeHead(500, { 'content-type': 'text/plain' })
      .end(`metrics unavailable: ${(err as Error).message}\n`);
  }
}
