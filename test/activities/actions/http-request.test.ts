import { readdirSync, rmSync, utimesSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PermanentActionError } from '../../../activities/actions/contract';
import { httpRequest, type HttpRequestParams } from '../../../activities/actions/http-request';
import { JOURNAL_MAX_AGE_MS } from '../../../activities/actions/undo-journal';
import { join } from 'node:path';
import { actionContext } from './helpers';

interface Received {
  method: string;
  url: string;
  key: string | undefined;
  body: string;
}

describe('http.request', () => {
  let server: Server;
  let base: string;
  let host: string;
  const received: Received[] = [];
  /** The Content-Type of each request, in order. */
  const contentTypes: (string | undefined)[] = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        // The request arrived, and the connection breaks before any answer.
        if (req.url === '/cut') return void req.socket.destroy();
        contentTypes.push(req.headers['content-type']);
        received.push({
          method: req.method!,
          url: req.url!,
          key: req.headers['idempotency-key'] as string | undefined,
          body,
        });
        res.writeHead(req.url === '/health' ? 200 : status).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    base = `http://${host}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    received.length = 0;
    contentTypes.length = 0;
    status = 200;
  });

  const deploy = (): HttpRequestParams =>
    httpRequest.params.parse({
      method: 'POST',
      url: `${base}/deploys`,
      body: { version: '2' },
      undo: { method: 'POST', url: `${base}/deploys`, body: { version: '1' } },
      healthUrl: `${base}/health`,
    });

  it('sends the request once with the step’s idempotency key, even when retried', async () => {
    const ctx = actionContext('task/a/t1#0', { allowedHosts: [host] });
    const undo = await httpRequest.execute(deploy(), ctx);
    await httpRequest.execute(deploy(), ctx);
    expect(received).toEqual([
      {
        method: 'POST',
        url: '/deploys',
        key: expect.stringMatching(/^task\/a\/t1#0~[0-9a-f]{12}$/),
        body: '{"version":"2"}',
      },
    ]);
    expect(undo).toMatchObject({ status: 200, undo: { method: 'POST', body: { version: '1' } } });
    await httpRequest.compensate(deploy(), undo, ctx);
    expect(received[1]).toEqual({
      method: 'POST',
      url: '/deploys',
      key: expect.stringMatching(/^task\/a\/t1#0#undo~[0-9a-f]{12}$/),
      body: '{"version":"1"}',
    });
  });

  it('sends one key per step on every retry, and a new one for a task id used again once its journal expired', async () => {
    const ctx = actionContext('task/a/t2#0', { allowedHosts: [host] });
    const get = httpRequest.params.parse({ method: 'GET', url: `${base}/status` });
    // A GET is repeatable, so each call sends; each sends the same key.
    await httpRequest.execute(get, ctx);
    rmSync(join(ctx.stateDir, 'done'), { recursive: true });
    await httpRequest.execute(get, ctx);
    expect(received).toHaveLength(2);
    expect(received[1].key).toBe(received[0].key);
    // The journal's entries age past 7 days (the workflow is gone, its id free again).
    const old = new Date(Date.now() - JOURNAL_MAX_AGE_MS - 60_000);
    for (const kind of ['done', 'keys']) {
      const dir = join(ctx.stateDir, kind);
      for (const name of readdirSync(dir)) utimesSync(join(dir, name), old, old);
    }
    await httpRequest.execute(get, ctx);
    expect(received).toHaveLength(3);
    expect(received[2].key).toMatch(/^task\/a\/t2#0~[0-9a-f]{12}$/);
    expect(received[2].key).not.toBe(received[0].key);
  });

  it('sends a body as JSON unless the params name another Content-Type, and then only that one', async () => {
    const ctx = actionContext('task/a/t9#0', { allowedHosts: [host] });
    await httpRequest.execute(
      httpRequest.params.parse({ method: 'POST', url: `${base}/a`, body: { a: 1 } }),
      ctx,
    );
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    await httpRequest.execute(
      httpRequest.params.parse({ method: 'POST', url: `${base}/b`, headers: form, body: 'a=1' }),
      actionContext('task/a/t9#1', { allowedHosts: [host] }),
    );
    expect(contentTypes).toEqual(['application/json', 'application/x-www-form-urlencoded']);
  });

  it('refuses an Idempotency-Key in the params: the key is Ladder’s', () => {
    const parsed = httpRequest.params.safeParse({
      method: 'POST',
      url: `${base}/deploys`,
      headers: { 'Idempotency-Key': 'task/other/t9#0~0123456789ab' },
      undo: { method: 'POST', url: `${base}/deploys`, headers: { 'idempotency-key': 'x' } },
    });
    expect(parsed.success).toBe(false);
    const issues = parsed.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual([
      expect.stringMatching(/^headers\.Idempotency-Key: Ladder sets the Idempotency-Key itself/),
      expect.stringMatching(/^undo\.headers\.idempotency-key: Ladder sets the Idempotency-Key itself/),
    ]);
  });

  it('refuses a host outside the policy bound before sending anything', async () => {
    const ctx = actionContext('k', { allowedHosts: ['deploy.internal:8080'] });
    await expect(httpRequest.execute(deploy(), ctx)).rejects.toThrow(
      `host "${host}" is not allowed (allowed: deploy.internal:8080)`,
    );
    expect(received).toEqual([]);
  });

  it('treats 4xx as permanent and 5xx as retryable', async () => {
    status = 409;
    await expect(
      httpRequest.execute(deploy(), actionContext('k1', { allowedHosts: [host] })),
    ).rejects.toThrow(PermanentActionError);
    status = 503;
    const err = await httpRequest
      .execute(deploy(), actionContext('k2', { allowedHosts: [host] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(PermanentActionError);
  });

  it('keeps an undo record for a failed request only when it may have arrived', async () => {
    // Answered with an error: it took no effect, so nothing is undone.
    status = 409;
    const refused = actionContext('k-refused', { allowedHosts: [host] });
    await expect(httpRequest.execute(deploy(), refused)).rejects.toThrow(PermanentActionError);
    expect(httpRequest.undoRecordFor!(deploy(), refused)).toBeUndefined();
    // Sent, and the connection broke: it may have taken effect, so its declared undo is what rolls back.
    const cut = actionContext('k-cut', { allowedHosts: [host] });
    const broken = { ...deploy(), url: `${base}/cut` };
    await expect(httpRequest.execute(broken, cut)).rejects.toThrow();
    expect(httpRequest.undoRecordFor!(broken, cut)).toEqual({ undo: broken.undo, status: 0 });
    // Never tried: nothing.
    expect(
      httpRequest.undoRecordFor!(deploy(), actionContext('k-never', { allowedHosts: [host] })),
    ).toBeUndefined();
  });

  it('verifies through the declared health URL', async () => {
    const ctx = actionContext('k', { allowedHosts: [host, '127.0.0.1:1'] });
    expect(await httpRequest.verify!(deploy(), ctx)).toEqual({
      healthy: true,
      detail: `GET ${base}/health → 200`,
    });
    const p = { ...deploy(), healthUrl: 'http://127.0.0.1:1/health' };
    expect((await httpRequest.verify!(p, ctx)).healthy).toBe(false);
  });

  it('drafts the request without sending it', async () => {
    const draft = await httpRequest.draft(deploy(), actionContext());
    expect(draft).toEqual({ kind: 'request', text: `POST ${base}/deploys\n\n{\n  "version": "2"\n}` });
    expect(received).toEqual([]);
  });
});
