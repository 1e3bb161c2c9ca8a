import { join } from 'node:path';
import { createDashboardData } from '../../dashboard/data/dashboard-data';
import {
  CONTENT_SECURITY_POLICY,
  SESSION_COOKIE,
  startDashboardServer,
  type RunningDashboard,
} from '../../dashboard/server';
import { createSignInToken } from '../../dashboard/sign-in';
import { loadPolicyFile } from '../../policy/loader';
import { operatorSignerOf } from '../helpers/answers';
import { startTestStack, type TestStack } from '../helpers/temporal';

const policyPath = join(__dirname, 'dashboard-policy.yaml');
const policy = loadPolicyFile(policyPath).policy;

// The dashboard's HTTP surface when exposed: nothing without a session, sessions only from a valid
// one-time link, read-only, and strict headers on every answer. Real server, real Temporal reads.
describe('the dashboard server, exposed', () => {
  let stack: TestStack;
  let dashboard: RunningDashboard;
  beforeAll(async () => {
    stack = await startTestStack('dashboard-server', { policy });
    dashboard = await startDashboardServer({
      data: createDashboardData({
        client: stack.client,
        taskQueue: stack.taskQueue,
        policy: () => policy,
        policyPath,
        refreshMs: 1000,
      }),
      links: { workflow: (id) => `http://ui.invalid/${id}`, slackMessage: () => null },
      host: '127.0.0.1',
      port: 0,
      signInRequired: true,
      answerTrust: () => policy.answerTrust,
      sessionMs: 60_000,
    });
  });
  afterAll(async () => {
    await dashboard?.close();
    await stack?.stop();
  });

  const get = (path: string, cookie?: string) =>
    fetch(`${dashboard.url}${path}`, { redirect: 'manual', headers: cookie ? { cookie } : {} });
  const linkFor = (person: string) =>
    `/login?token=${createSignInToken(operatorSignerOf(person), person, 60_000, Date.now())}`;

  it('refuses pages without a session, with the CSP and no-store', async () => {
    const res = await get('/');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toMatch(/ladder dashboard login/);
    expect((await get('/agent/climber/ops')).status).toBe(401);
    expect((await get(`/task?id=${encodeURIComponent('task/climber/x')}`)).status).toBe(401);
  });

  it('exchanges a sign-in link once for an HttpOnly, SameSite=Strict session', async () => {
    const link = linkFor('U0APPR001');
    const signedIn = await get(link);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get('location')).toBe('/');
    const cookie = signedIn.headers.get('set-cookie')!;
    expect(cookie).toMatch(
      new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/; Max-Age=60$`),
    );
    const session = cookie.split(';')[0];
    const page = await get('/', session);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/id="grid"/);

    const again = await get(link);
    expect(again.status).toBe(403);
    expect(await again.text()).toMatch(/used already/);
    expect((await get('/', `${SESSION_COOKIE}=${'A'.repeat(43)}`)).status).toBe(401);
  });

  it.each([
    ['no token', '/login'],
    ['garbage', '/login?token=%3Cscript%3E'],
    ['an empty token', `/login?token=${Buffer.from('{}').toString('base64url')}`],
  ])('refuses a bad sign-in link (%s) and echoes nothing as markup', async (_what, path) => {
    const res = await get(path);
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(body).toMatch(/Sign-in refused/);
    expect(body).not.toMatch(/<script>/);
  });

  it('is read-only and answers bad addresses plainly', async () => {
    const session = (await get(linkFor('U0ADMIN01'))).headers.get('set-cookie')!.split(';')[0];
    const post = await fetch(`${dashboard.url}/`, { method: 'POST', headers: { cookie: session } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await get('/task?id=..%2F..%2Fetc', session)).status).toBe(400);
    expect((await get('/agent/nobody/ops', session)).status).toBe(404);
    expect((await get('/nowhere', session)).status).toBe(404);
    expect((await get(`/task?id=${encodeURIComponent('task/climber/missing')}`, session)).status).toBe(404);
    const uplot = await get('/static/uplot.min.js');
    expect(uplot.status).toBe(200);
    expect(uplot.headers.get('content-type')).toMatch(/javascript/);
    expect(await uplot.text()).toMatch(/uPlot/);
  });
});
