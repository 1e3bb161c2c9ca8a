import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { AnswerTrust } from '../policy/answer-proof';
import type { DashboardData } from './data/dashboard-data';
import { drainableServer, FRONTEND_DRAIN_MS, STOPPING } from '../observability/readiness';
import { html, type SafeHtml } from './html';
import { cookieValue, createSignIns, SignInError } from './sign-in';
import { CHARTS_JS, DASHBOARD_CSS, uplotAssets } from './static-assets';
import { agentClassPage } from './views/agent-class-page';
import { page, type LinkTargets } from './views/layout';
import { mainPage } from './views/main-page';
import { taskPage } from './views/task-page';

/** Every page's Content-Security-Policy: scripts, styles and images from this server only; no framing, no forms. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The session cookie's name. */
export const SESSION_COOKIE = 'ladder_session';

/** How the dashboard is served. */
export interface DashboardServerOptions {
  data: DashboardData;
  links: LinkTargets;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Require sign-in (the host is reachable from other machines). */
  signInRequired: boolean;
  /** The keys sign-in links are checked with: the policy's answer keys, read at each sign-in. */
  answerTrust: () => AnswerTrust;
  sessionMs: number;
  /** Mark the cookie Secure (the public URL is https). */
  secureCookie?: boolean;
  onError?: (err: unknown) => void;
}

/** A running dashboard. */
export interface RunningDashboard {
  url: string;
  /**
   * Stops gracefully: `/readyz` answers 503 `stopping` (on connections already open), new
   * connections are refused, pages in flight finish for up to `graceMs` (default
   * {@link FRONTEND_DRAIN_MS}), then the connections left are closed.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the read-only dashboard: GET only; every page is built from cached reads (see
 * createDashboardData), every value an agent or a person wrote is escaped, and every response
 * carries a strict CSP. When `signInRequired`, pages need a session from a sign-in link.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<RunningDashboard> {
  const uplot = uplotAssets();
  const signIns = createSignIns(options.sessionMs);
  const assets: Record<string, { type: string; body: string }> = {
    '/static/dashboard.css': { type: 'text/css; charset=utf-8', body: DASHBOARD_CSS },
    '/static/charts.js': { type: 'text/javascript; charset=utf-8', body: CHARTS_JS },
    '/static/uplot.min.js': { type: 'text/javascript; charset=utf-8', body: uplot.js },
    '/static/uplot.min.css': { type: 'text/css; charset=utf-8', body: uplot.css },
  };

  const send = (
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    extra: Record<string, string> = {},
  ): void => {
    res.writeHead(status, {
      'Content-Type': type,
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store',
      ...extra,
    });
    res.end(body);
  };
  const sendPage = (
    res: ServerResponse,
    status: number,
    body: SafeHtml,
    extra?: Record<string, string>,
  ): void => send(res, status, 'text/html; charset=utf-8', body.text, extra);
  // A page is rendered once per read of its figures (the caches hand out the same object until
  // their next refresh), so a busy minute costs one render, not one per request.
  // Gzipped once too: the grid of 100 agents × 10 classes is a few hundred KiB of repetitive markup.
  const rendered = new WeakMap<object, { page: SafeHtml; gzip: Buffer }>();
  const sendRendered = (
    req: IncomingMessage,
    res: ServerResponse,
    figures: object,
    render: () => SafeHtml,
  ): void => {
    let out = rendered.get(figures);
    if (!out) {
      const page = render();
      out = { page, gzip: gzipSync(page.text) };
      rendered.set(figures, out);
    }
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
      send(res, 200, 'text/html; charset=utf-8', out.gzip, {
        'Content-Encoding': 'gzip',
        Vary: 'Accept-Encoding',
      });
    else sendPage(res, 200, out.page, { Vary: 'Accept-Encoding' });
  };
  const message = (res: ServerResponse, status: number, title: string, text: SafeHtml | string): void =>
    sendPage(res, status, page(title, html`<p id="message">${text}</p>`));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'read-only: GET only\n', { Allow: 'GET, HEAD' });
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    } catch {
      message(res, 400, 'Bad request', 'That address could not be read.');
      return;
    }
    const asset = assets[url.pathname];
    if (asset) {
      send(res, 200, asset.type, asset.body, { 'Cache-Control': 'max-age=3600' });
      return;
    }
    if (url.pathname === '/healthz') {
      send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      return;
    }
    // Its own readiness probe (the dashboard has no metrics port): not ready once it drains.
    if (url.pathname === '/readyz') {
      if (drainable.draining) send(res, 503, 'text/plain; charset=utf-8', `not ready: ${STOPPING}\n`);
      else send(res, 200, 'text/plain; charset=utf-8', 'ready\n');
      return;
    }
    if (url.pathname === '/login') {
      const token = url.searchParams.get('token') ?? '';
      try {
        const session = signIns.exchange(token, options.answerTrust(), Date.now());
        const cookie = [
          `${SESSION_COOKIE}=${session.sessionId}`,
          'HttpOnly',
          'SameSite=Strict',
          'Path=/',
          `Max-Age=${Math.floor(options.sessionMs / 1000)}`,
          ...(options.secureCookie ? ['Secure'] : []),
        ].join('; ');
        send(res, 303, 'text/plain; charset=utf-8', `signed in as ${session.person}\n`, {
          'Set-Cookie': cookie,
          Location: '/',
        });
      } catch (err) {
        if (!(err instanceof SignInError)) throw err;
        message(res, 403, 'Sign-in refused', err.message);
      }
      return;
    }
    if (
      options.signInRequired &&
      !signIns.person(cookieValue(req.headers.cookie, SESSION_COOKIE), Date.now())
    ) {
      message(
        res,
        401,
        'Sign in',
        html`This dashboard is exposed beyond this machine: sign in with a link from
          <code>ladder dashboard login --as &lt;your Slack user id&gt;</code>.`,
      );
      return;
    }
    if (url.pathname === '/') {
      const overview = await options.data.overview();
      sendRendered(req, res, overview, () => mainPage(overview, options.links));
      return;
    }
    const agentClass = /^\/agent\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (agentClass) {
      const [agentId, taskClass] = [decodeURIComponent(agentClass[1]), decodeURIComponent(agentClass[2])];
      const data = await options.data.agentClass(agentId, taskClass);
      if (!data)
        message(res, 404, 'Not found', `No agent "${agentId}" or task class "${taskClass}" in the policy.`);
      else sendRendered(req, res, data, () => agentClassPage(data));
      return;
    }
    if (url.pathname === '/task') {
      const id = url.searchParams.get('id') ?? '';
      if (!/^task\/[^/]+\/.+$/.test(id) || id.length > 1000) {
        message(res, 400, 'Bad request', 'Expected ?id=task/<agent>/<taskId>.');
        return;
      }
      const read = await options.data.task(id);
      if (!read) message(res, 404, 'Not found', `No task ${id} (or retention removed it).`);
      else sendRendered(req, res, read, () => taskPage(id, read, options.links));
      return;
    }
    message(res, 404, 'Not found', 'No such page.');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.onError?.(err);
      if (!res.headersSent)
        message(res, 502, 'Temporal unavailable', `The figures could not be read: ${(err as Error).message}`);
      else res.end();
    });
  });
  const drainable = drainableServer(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostInUrl}:${port}`,
    close: async (graceMs = FRONTEND_DRAIN_MS) => {
      await drainable.drain(graceMs);
    },
  };
}
