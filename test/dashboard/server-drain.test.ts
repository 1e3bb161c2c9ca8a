import type { DashboardData } from '../../dashboard/data/dashboard-data';
import { startDashboardServer, type RunningDashboard } from '../../dashboard/server';
import { loadPolicyFile } from '../../policy/loader';
import { join } from 'node:path';
import { gate, newConnectionOutcome, rawRequest } from '../observability/drain-helpers';
import { waitUntil } from '../helpers/wait';

const policy = loadPolicyFile(join(__dirname, 'dashboard-policy.yaml')).policy;

// A restart of the dashboard: a page being built when SIGTERM lands is still served.
describe('dashboard drain on close', () => {
  let dashboard: RunningDashboard;
  const held = gate();
  let taskReads = 0;
  // Only the task page is asked for; it is slow until the test lets it answer (no such task).
  const data: DashboardData = {
    overview: () => Promise.reject(new Error('not asked in this test')),
    agentClass: () => Promise.reject(new Error('not asked in this test')),
    task: async () => {
      taskReads++;
      await held.opened;
      return null;
    },
    settle: () => Promise.resolve(),
  } as unknown as DashboardData;

  beforeAll(async () => {
    dashboard = await startDashboardServer({
      data,
      links: { workflow: (id) => `http://ui.invalid/${id}`, slackMessage: () => null },
      host: '127.0.0.1',
      port: 0,
      signInRequired: false,
      answerTrust: () => policy.answerTrust,
      sessionMs: 60_000,
    });
  });
  afterAll(async () => {
    held.open();
    await dashboard?.close(0);
  });

  it('finishes the page in flight and refuses new connections', async () => {
    expect(await rawRequest(`${dashboard.url}/readyz`)).toMatchObject({ status: 200, body: 'ready\n' });
    const page = rawRequest(`${dashboard.url}/task?id=task/a1/drain-1`);
    await waitUntil(() => taskReads === 1, 10_000);

    const closed = dashboard.close(30_000);
    expect(await newConnectionOutcome(`${dashboard.url}/readyz`)).toBe('ECONNREFUSED');
    held.open();
    const answer = await page;
    expect(answer.status).toBe(404);
    expect(answer.body).toContain('No task task/a1/drain-1');
    expect(answer.headers.connection).toBe('close');
    await closed;
  });
});
