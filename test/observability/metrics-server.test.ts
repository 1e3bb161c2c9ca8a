import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { ConfigError } from '../../config/env';
import { createLadderMetrics } from '../../observability/ladder-metrics';
import { startMetricsServer, type MetricsServer } from '../../observability/metrics-server';
import { serveProcessMetrics } from '../../observability/process-metrics';
import { freeLoopbackPort, runtimeMetricsReader } from '../../observability/temporal-runtime-metrics';
import { sampleValue, scrape } from '../helpers/prometheus-text';

describe('the /metrics endpoint', () => {
  const started: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) await s.close();
  });
  const serve = async (...args: Parameters<typeof startMetricsServer>): Promise<MetricsServer> => {
    const server = await startMetricsServer(...args);
    started.push(server);
    return server;
  };

  it('answers /healthz while it runs, and /readyz with what the process says: starting, ready, or why not', async () => {
    const server = await serve({ port: 0, registry: new Registry() });
    const get = async (path: string) => {
      const res = await fetch(`${server.baseUrl}${path}`);
      return { status: res.status, text: await res.text() };
    };
    expect(await get('/healthz')).toEqual({ status: 200, text: 'ok\n' });
    expect(await get('/readyz')).toEqual({ status: 503, text: 'not ready: starting\n' });
    let state: string | null = null;
    server.setReadiness(() => Promise.resolve(state));
    expect(await get('/readyz')).toEqual({ status: 200, text: 'ready\n' });
    state = 'worker draining';
    expect(await get('/readyz')).toEqual({ status: 503, text: 'not ready: worker draining\n' });
    server.setReadiness(() => Promise.reject(new Error('boom')));
    expect(await get('/readyz')).toEqual({ status: 503, text: 'not ready: readiness check failed: boom\n' });
    expect((await fetch(`${server.baseUrl}/readyz`, { method: 'POST' })).status).toBe(405);
  });

  it('serves the registry and the extra text on GET /metrics, bound to 127.0.0.1 by default', async () => {
    const metrics = createLadderMetrics(new Registry());
    metrics.slackApiError('chat.postMessage', 'ratelimited');
    const server = await serve({
      port: 0,
      registry: metrics.registry,
      extra: async () => '# TYPE temporal_worker_start_total counter\ntemporal_worker_start_total 1\n',
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const families = await scrape(server.url);
    expect(
      sampleValue(families, 'ladder_slack_api_errors_total', {
        method: 'chat.postMessage',
        error: 'ratelimited',
      }),
    ).toBe(1);
    expect(sampleValue(families, 'temporal_worker_start_total')).toBe(1);
  });

  it('answers 404 off /metrics, 405 to other methods, and HEAD without a body', async () => {
    const server = await serve({ port: 0, registry: new Registry() });
    const base = server.url.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    const post = await fetch(server.url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(server.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(`${server.url}?name[]=x`)).status).toBe(200);
  });

  it("still answers with Ladder's metrics when the Temporal runtime's exporter does not", async () => {
    const gone = await freeLoopbackPort();
    const metrics = createLadderMetrics(new Registry());
    metrics.slackAck('command', 0.01);
    const server = await serve({
      port: 0,
      registry: metrics.registry,
      extra: runtimeMetricsReader(`http://127.0.0.1:${gone}/metrics`),
    });
    const response = await fetch(server.url);
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(body).toMatch(/^# Temporal runtime metrics unavailable: .+$/m);
    expect(sampleValue(await scrape(server.url), 'ladder_slack_ack_seconds_count', { kind: 'command' })).toBe(
      1,
    );
  });

  it("reads the runtime exporter's text as it is", async () => {
    const exporter: Server = createServer((_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/plain' })
        .end('# TYPE temporal_num_pollers gauge\ntemporal_num_pollers 2\n'),
    );
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    started.push({ close: () => new Promise<void>((resolve) => exporter.close(() => resolve())) });
    const { port } = exporter.address() as AddressInfo;
    expect(await runtimeMetricsReader(`http://127.0.0.1:${port}/metrics`)()).toBe(
      '# TYPE temporal_num_pollers gauge\ntemporal_num_pollers 2\n',
    );
  });

  it('turns a port in use into a configuration error naming the variable', async () => {
    const first = await serve({ port: 0, registry: new Registry() });
    const port = Number(new URL(first.url).port);
    const refused = serveProcessMetrics({
      variable: 'LADDER_WORKER_METRICS_PORT',
      host: '127.0.0.1',
      port,
      metrics: createLadderMetrics(new Registry()),
    });
    await expect(refused).rejects.toThrow(ConfigError);
    await expect(refused).rejects.toThrow(
      `LADDER_WORKER_METRICS_PORT: port ${port} on 127.0.0.1 is in use (EADDRINUSE); set another port, or off`,
    );
  });
});
