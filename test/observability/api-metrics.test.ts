import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { freePort } from '../helpers/ports';
import { spawnNode, type Spawned } from '../helpers/processes';
import { scrape, type Family } from '../helpers/prometheus-text';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

const API = resolve(__dirname, '..', '..', 'dist', 'api', 'main.js');

const samplesOf = (families: Map<string, Family>, name: string) =>
  (families.get(name)?.samples ?? []).map((s): Record<string, string | number> => ({
    ...s.labels,
    value: s.value,
  }));

// The built agent API process (node dist/api/main.js): its /metrics counts requests by route
// template and status, never by the raw path with its task id.
describe("the agent API's /metrics", () => {
  let api: Spawned;
  let apiUrl: string;
  let metricsUrl: string;

  beforeAll(async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    apiUrl = `http://127.0.0.1:${apiPort}`;
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    api = spawnNode(API, {
      TEMPORAL_ADDRESS: testServerAddress(),
      LADDER_TASK_QUEUE: `api-metrics-${randomUUID().slice(0, 8)}`,
      LADDER_POLICY_PATH: resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
      LADDER_STATE_DIR: mkdtempSync(join(tmpdir(), 'ladder-api-metrics-')),
      LADDER_API_PORT: String(apiPort),
      LADDER_API_METRICS_PORT: String(metricsPort),
      LADDER_WORKER_METRICS_PORT: 'off',
      LADDER_SLACK_METRICS_PORT: 'off',
      LOG_LEVEL: 'info',
    });
    await api.waitForOutput(/Ladder agent API on/);
  });
  afterAll(async () => {
    if (api && api.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });

  it('says it is ready while Temporal answers it', async () => {
    const base = metricsUrl.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200);
  });

  it('counts requests per route template and status, and times them', async () => {
    expect(api.stdout()).toContain(`"url":"${metricsUrl}","msg":"metrics endpoint"`);
    const calls: [string, string, number][] = [
      ['GET', '/v1/openapi.json', 200],
      ['GET', '/v1/openapi.json', 200],
      ['GET', '/v1/tasks/t-secret-1', 401],
      ['GET', '/v1/tasks/t-secret-2/wait?timeout=1', 401],
      ['POST', '/v1/tasks/t-secret-3/cancel', 401],
      ['POST', '/v1/me/rungs', 405],
      ['GET', '/v1/no/such/route/t-secret-4', 404],
    ];
    for (const [method, path, status] of calls)
      expect([path, (await fetch(`${apiUrl}${path}`, { method })).status]).toEqual([path, status]);

    let families = await scrape(metricsUrl);
    await waitUntil(async () => {
      families = await scrape(metricsUrl);
      return (
        samplesOf(families, 'ladder_api_requests_total').reduce((n, s) => n + Number(s.value), 0) >=
        calls.length
      );
    });
    const requests = samplesOf(families, 'ladder_api_requests_total');
    expect(requests).toEqual(
      expect.arrayContaining([
        { route: '/v1/openapi.json', status: '200', value: 2 },
        { route: '/v1/tasks/{taskId}', status: '401', value: 1 },
        { route: '/v1/tasks/{taskId}/wait', status: '401', value: 1 },
        { route: '/v1/tasks/{taskId}/cancel', status: '401', value: 1 },
        { route: '/v1/me/rungs', status: '405', value: 1 },
        { route: 'unmatched', status: '404', value: 1 },
      ]),
    );
    expect(requests).toHaveLength(6);
    const timed = samplesOf(families, 'ladder_api_request_seconds').filter((s) => s.le === '+Inf');
    expect(timed).toEqual(
      expect.arrayContaining([
        { route: '/v1/openapi.json', le: '+Inf', value: 2 },
        { route: 'unmatched', le: '+Inf', value: 1 },
      ]),
    );
    expect(timed).toHaveLength(6);
    expect(await (await fetch(metricsUrl)).text()).not.toContain('t-secret');
  });
});
