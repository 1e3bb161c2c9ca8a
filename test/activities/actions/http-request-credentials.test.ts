import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PermanentActionError, type ActionContext } from '../../../activities/actions/contract';
import { httpCall } from '../../../activities/actions/http-call';
import { httpRequest, type HttpRequestParams } from '../../../activities/actions/http-request';
import { createCredentialInjector, createSecretResolver } from '../../../activities/actions/secrets';
import type { Credential } from '../../../policy/credentials-schema';
import { actionContext } from './helpers';

const SECRET = 'deploy-secret-6f1d0c9a2b7e';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** A server on 127.0.0.1 that records requests; `reply` decides each answer. */
async function recordingServer(
  reply: (req: Received) => { status: number; body: string; headers?: Record<string, string> },
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const r = { method: req.method!, url: req.url!, headers: req.headers };
      received.push(r);
      const { status, body, headers } = reply(r);
      res.writeHead(status, headers).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    base: `http://${host}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Every file under `dir`, read as text (the journal the handler keeps across retries). */
function allText(dir: string): string {
  let out = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out += readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

describe('http.request with credentials from the policy', () => {
  let service: Awaited<ReturnType<typeof recordingServer>>;
  let other: Awaited<ReturnType<typeof recordingServer>>;
  let status = 200;
  let echo = false;

  beforeAll(async () => {
    // Stands in for a deploy API: it can echo the Authorization it got, as a careless service might.
    service = await recordingServer((r) =>
      r.url === '/redirect'
        ? { status: 302, body: '', headers: { location: `${other.base}/stolen` } }
        : { status, body: echo ? `you sent ${String(r.headers.authorization)}` : '{}' },
    );
    other = await recordingServer(() => ({ status: 200, body: '{}' }));
  });
  afterAll(async () => {
    await service.close();
    await other.close();
  });
  beforeEach(() => {
    service.received.length = 0;
    other.received.length = 0;
    status = 200;
    echo = false;
  });

  const credential = (): Credential => ({
    id: 'deploy-token',
    hosts: [service.host],
    header: 'Authorization',
    scheme: 'Bearer',
    secret: { env: 'LADDER_SECRET_DEPLOY' },
  });
  const ctxWith = (
    key: string,
    env: Record<string, string | undefined> = { LADDER_SECRET_DEPLOY: SECRET },
  ): ActionContext & { base: string } =>
    actionContext(key, {
      allowedHosts: [service.host, other.host],
      credentials: createCredentialInjector([credential()], 'http.request', createSecretResolver(env)),
    });
  const deploy = (headers?: Record<string, string>): HttpRequestParams =>
    httpRequest.params.parse({
      method: 'POST',
      url: `${service.base}/deploys`,
      headers,
      body: { version: '2' },
      undo: { method: 'POST', url: `${service.base}/deploys`, body: { version: '1' } },
      healthUrl: `${service.base}/health`,
    });

  it('sends the header to the matching host on the request, its undo and the health check', async () => {
    const ctx = ctxWith('task/a/c1#0');
    const undo = await httpRequest.execute(deploy(), ctx);
    await httpRequest.compensate(deploy(), undo, ctx);
    expect(await httpRequest.verify!(deploy(), ctx)).toEqual({
      healthy: true,
      detail: `GET ${service.base}/health → 200`,
    });
    expect(service.received.map((r) => [r.method, r.url, r.headers.authorization])).toEqual([
      ['POST', '/deploys', `Bearer ${SECRET}`],
      ['POST', '/deploys', `Bearer ${SECRET}`],
      ['GET', '/health', `Bearer ${SECRET}`],
    ]);
  });

  it('sends no credential to another host', async () => {
    const p = httpRequest.params.parse({ method: 'POST', url: `${other.base}/deploys`, body: {} });
    await httpRequest.execute(p, ctxWith('task/a/c2#0'));
    expect(other.received).toHaveLength(1);
    expect(other.received[0].headers.authorization).toBeUndefined();
  });

  it('sends the policy’s credential, not one the params declared', async () => {
    await httpRequest.execute(deploy({ Authorization: 'Bearer forged' }), ctxWith('task/a/c3#0'));
    expect(service.received[0].headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('keeps the secret out of everything the agent and history see', async () => {
    echo = true;
    const ctx = ctxWith('task/a/c4#0');
    const p = deploy();
    const seen = [
      await httpRequest.execute(p, ctx),
      httpRequest.describe(p),
      await httpRequest.draft(p, ctx),
      await httpRequest.verify!(p, ctx),
      allText(ctx.stateDir),
    ];
    expect(service.received[0].headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(JSON.stringify(seen)).not.toContain(SECRET);
  });

  it('redacts a response that echoes the secret, in the result and in a 4xx error', async () => {
    echo = true;
    const spec = { method: 'POST', url: `${service.base}/deploys`, body: {} };
    expect(await httpCall(spec, ctxWith('task/a/c5#0'))).toEqual({
      status: 200,
      body: 'you sent Bearer [redacted:deploy-token]',
    });
    status = 403;
    const err = (await httpCall(spec, ctxWith('task/a/c6#0')).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentActionError);
    expect(err.message).toBe(
      `POST ${service.base}/deploys answered 403: you sent Bearer [redacted:deploy-token]`,
    );
    status = 503;
    const retryable = (await httpCall(spec, ctxWith('task/a/c7#0')).catch((e: unknown) => e)) as Error;
    expect(retryable).not.toBeInstanceOf(PermanentActionError);
    expect(retryable.message).not.toContain(SECRET);
  });

  it('fails permanently, naming the credential and the variable, when the secret is missing', async () => {
    const err = (await httpRequest
      .execute(deploy(), ctxWith('task/a/c8#0', {}))
      .catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentActionError);
    expect(err.message).toBe(
      `credential "deploy-token": its secret is missing: environment variable LADDER_SECRET_DEPLOY is not set in the worker's environment`,
    );
    expect(service.received).toEqual([]);
  });

  it('does not follow a redirect with a credential attached', async () => {
    const spec = { method: 'GET', url: `${service.base}/redirect` };
    const err = (await httpCall(spec, ctxWith('task/a/c9#0')).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentActionError);
    expect(err.message).toMatch(/answered 302 .*does not follow redirects/);
    expect(other.received).toEqual([]);
  });

  it('acts as before without credentials in the context', async () => {
    await httpRequest.execute(deploy(), actionContext('task/a/c10#0', { allowedHosts: [service.host] }));
    expect(service.received[0].headers.authorization).toBeUndefined();
  });
});
