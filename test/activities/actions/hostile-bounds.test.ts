import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { configSet } from '../../../activities/actions/config-set';
import { PermanentActionError } from '../../../activities/actions/contract';
import { fileWrite } from '../../../activities/actions/file-write';
import { checkHost, httpCall, MAX_REDIRECTS } from '../../../activities/actions/http-call';
import { httpRequest } from '../../../activities/actions/http-request';
import { redirectObjection, type RedirectPlace } from '../../../policy/redirect-place';
import type { LoadedPolicy } from '../../../policy/loader';
import { actionContext } from './helpers';

// The module object itself (not an import namespace), so one function can be spied on.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs') as typeof import('node:fs');

/** A context plus a folder `outside` next to (not in) the workspace: nothing may ever land there. */
function hostileContext(extra: Parameters<typeof actionContext>[1] = {}) {
  const ctx = actionContext('task/evil/t1#0', extra);
  const outside = join(ctx.base, 'outside');
  mkdirSync(outside);
  return { ctx, outside, outsideFiles: () => readdirSync(outside, { recursive: true }) };
}

describe('file.write and config.set against a hostile agent', () => {
  it('refuses a dangling symlink to a file outside, and creates nothing there', async () => {
    const { ctx, outside, outsideFiles } = hostileContext();
    symlinkSync(join(outside, 'pwned.txt'), join(ctx.workspaceRoot, 'evil.txt'));
    await expect(fileWrite.execute({ path: 'evil.txt', content: 'x' }, ctx)).rejects.toThrow(
      PermanentActionError,
    );
    await expect(fileWrite.execute({ path: 'evil.txt', content: 'x' }, ctx)).rejects.toThrow(/symlink/);
    await expect(fileWrite.draft({ path: 'evil.txt', content: 'x' }, ctx)).rejects.toThrow(
      /dangling symlink|is a symlink/,
    );
    expect(outsideFiles()).toEqual([]);
  });

  it('refuses a dangling symlink to a folder outside, and creates no folder there', async () => {
    const { ctx, outside } = hostileContext();
    symlinkSync(join(outside, 'made', 'here'), join(ctx.workspaceRoot, 'dir'));
    await expect(fileWrite.execute({ path: 'dir/sub/f.txt', content: 'x' }, ctx)).rejects.toThrow(
      /outside the allowed root/,
    );
    expect(existsSync(join(outside, 'made'))).toBe(false);
  });

  it('refuses a symlink to a folder outside, for file.write and config.set', async () => {
    const { ctx, outside } = hostileContext();
    writeFileSync(join(outside, 'app.json'), '{"a":1}');
    symlinkSync(outside, join(ctx.workspaceRoot, 'out'));
    await expect(fileWrite.execute({ path: 'out/new.txt', content: 'x' }, ctx)).rejects.toThrow(
      /outside the allowed root/,
    );
    await expect(configSet.execute({ file: 'out/app.json', set: { a: 2 } }, ctx)).rejects.toThrow(
      /outside the allowed root/,
    );
    expect(readdirSync(outside)).toEqual(['app.json']);
    expect(readFileSync(join(outside, 'app.json'), 'utf8')).toBe('{"a":1}');
  });

  it('never writes or reads through a symlink at the file itself, even one that stays inside', async () => {
    const { ctx } = hostileContext();
    writeFileSync(join(ctx.workspaceRoot, 'real.txt'), 'real');
    symlinkSync(join(ctx.workspaceRoot, 'real.txt'), join(ctx.workspaceRoot, 'alias.txt'));
    await expect(fileWrite.execute({ path: 'alias.txt', content: 'x' }, ctx)).rejects.toThrow(
      /"alias.txt" is a symlink/,
    );
    expect(readFileSync(join(ctx.workspaceRoot, 'real.txt'), 'utf8')).toBe('real');
  });

  it('config.set does not write through a temp-file name the agent planted as a link', async () => {
    const { ctx, outsideFiles } = hostileContext();
    writeFileSync(join(ctx.workspaceRoot, 'app.json'), '{"a":1}');
    // The old fixed temp name: writing it would have followed the link out of the workspace.
    symlinkSync(join(ctx.base, 'outside', 'pwned'), join(ctx.workspaceRoot, 'app.json.ladder-tmp'));
    await configSet.execute({ file: 'app.json', set: { a: 2 } }, ctx);
    expect(JSON.parse(readFileSync(join(ctx.workspaceRoot, 'app.json'), 'utf8'))).toEqual({ a: 2 });
    expect(outsideFiles()).toEqual([]);
  });

  it('a link swapped in at the target after the checks is replaced, never written through', async () => {
    const { ctx, outside } = hostileContext();
    const target = join(ctx.workspaceRoot, 'a.txt');
    writeFileSync(target, 'before');
    writeFileSync(join(outside, 'secret'), 'untouched');
    // Every check has passed when the temp file is renamed over the target: swap the link in then.
    const realRename = fs.renameSync;
    let swapped = false;
    const spy = jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
      if (to === target) {
        fs.rmSync(target);
        symlinkSync(join(outside, 'secret'), target);
        swapped = true;
      }
      realRename(from, to);
    });
    try {
      await fileWrite.execute({ path: 'a.txt', content: 'after' }, ctx);
    } finally {
      spy.mockRestore();
    }
    expect(swapped).toBe(true);
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('untouched');
    expect(lstatSync(target).isSymbolicLink()).toBe(false);
    expect(readFileSync(target, 'utf8')).toBe('after');
  });

  it('compensating removes a link planted at a created file, not what it points to', async () => {
    const { ctx, outside } = hostileContext();
    writeFileSync(join(outside, 'keep'), 'keep');
    const undo = await fileWrite.execute({ path: 'new.txt', content: 'x' }, ctx);
    fs.rmSync(join(ctx.workspaceRoot, 'new.txt'));
    symlinkSync(join(outside, 'keep'), join(ctx.workspaceRoot, 'new.txt'));
    await fileWrite.compensate({ path: 'new.txt', content: 'x' }, undo, ctx);
    expect(existsSync(join(ctx.workspaceRoot, 'new.txt'))).toBe(false);
    expect(readFileSync(join(outside, 'keep'), 'utf8')).toBe('keep');
  });
});

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A server on 127.0.0.1 that records requests; `reply` decides each answer. */
async function recordingServer(
  reply: (req: Received) => { status: number; headers?: Record<string, string> } = () => ({ status: 200 }),
) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const r = { method: req.method!, url: req.url!, headers: req.headers, body };
      received.push(r);
      const { status, headers } = reply(r);
      res.writeHead(status, headers).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;
  return {
    port,
    host,
    base: `http://${host}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('HTTP actions against a hostile agent', () => {
  let allowed: Awaited<ReturnType<typeof recordingServer>>;
  let outsider: Awaited<ReturnType<typeof recordingServer>>;

  beforeAll(async () => {
    outsider = await recordingServer();
    allowed = await recordingServer((r) => {
      const m = /^\/to-outsider(\/.*)$/.exec(r.url);
      if (m) return { status: 302, headers: { location: `${outsider.base}${m[1]}` } };
      if (r.url === '/loop') return { status: 302, headers: { location: '/loop' } };
      if (r.url === '/same-host') return { status: 307, headers: { location: '/landed' } };
      if (r.url === '/see-other') return { status: 303, headers: { location: `${outsider.base}/landed` } };
      return { status: 200 };
    });
  });
  afterAll(async () => {
    await allowed.close();
    await outsider.close();
  });
  beforeEach(() => {
    allowed.received.length = 0;
    outsider.received.length = 0;
  });

  it('does not follow a redirect from an allowed host to one outside the bound', async () => {
    const ctx = actionContext('task/evil/r1#0', { allowedHosts: [allowed.host] });
    const spec = { method: 'POST', url: `${allowed.base}/to-outsider/steal`, body: { a: 1 } };
    const err = (await httpCall(spec, ctx).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(PermanentActionError);
    expect(err.message).toMatch(
      new RegExp(`answered 302 .*not followed: host "${outsider.host}" is not allowed`),
    );
    expect(allowed.received).toHaveLength(1);
    expect(outsider.received).toEqual([]);
  });

  it('the health check and the undo request do not follow it either', async () => {
    const ctx = actionContext('task/evil/r2#0', { allowedHosts: [allowed.host] });
    const p = httpRequest.params.parse({
      method: 'POST',
      url: `${allowed.base}/deploys`,
      undo: { method: 'POST', url: `${allowed.base}/to-outsider/undo` },
      healthUrl: `${allowed.base}/to-outsider/health`,
    });
    const verdict = await httpRequest.verify!(p, ctx);
    expect(verdict.healthy).toBe(false);
    expect(verdict.detail).toMatch(/not followed/);
    const undo = await httpRequest.execute(p, ctx);
    await expect(httpRequest.compensate(p, undo, ctx)).rejects.toThrow(/not followed/);
    const c = configSet.params.parse({
      file: 'c.json',
      set: { a: 1 },
      healthUrl: `${allowed.base}/to-outsider/health`,
    });
    expect((await configSet.verify!(c, ctx)).healthy).toBe(false);
    expect(outsider.received).toEqual([]);
  });

  it('follows a redirect inside the bound, without the Idempotency-Key on another host', async () => {
    const ctx = actionContext('task/evil/r3#0', { allowedHosts: [allowed.host, outsider.host] });
    await httpCall({ method: 'POST', url: `${allowed.base}/to-outsider/landed`, body: { a: 1 } }, ctx);
    expect(outsider.received).toHaveLength(1);
    expect(outsider.received[0]).toMatchObject({ method: 'GET', url: '/landed', body: '' });
    expect(outsider.received[0].headers['idempotency-key']).toBeUndefined();
    // Same host, 307: same method, body and key.
    await httpCall({ method: 'POST', url: `${allowed.base}/same-host`, body: { a: 2 } }, ctx);
    expect(allowed.received.at(-1)).toMatchObject({ method: 'POST', url: '/landed', body: '{"a":2}' });
    expect(allowed.received.at(-1)!.headers['idempotency-key']).toMatch(/^task\/evil\/r3#0~[0-9a-f]{12}$/);
  });

  it("follows a redirect only where the URL it left could go: the task's environment, the class's requests", async () => {
    // Production owns the outsider; the deploy class allows POST /same-host only.
    const policy = {
      environmentTargets: { production: { urls: [`${outsider.base}/`] } },
      taskClasses: { deploy: { bounds: { requests: [`POST ${allowed.base}/same-host`] } } },
    } as unknown as Pick<LoadedPolicy, 'environmentTargets' | 'taskClasses'>;
    const within = (place: RedirectPlace) =>
      actionContext('task/evil/r7#0', {
        allowedHosts: [allowed.host, outsider.host],
        checkRedirect: (method, url) => redirectObjection(policy, place, method, url),
      });
    const staging = within({ environment: 'staging' });
    await expect(
      httpCall({ method: 'POST', url: `${allowed.base}/to-outsider/landed`, body: { a: 1 } }, staging),
    ).rejects.toThrow(
      new RegExp(
        `answered 302 .*not followed: ${outsider.base}/landed belongs to production .*, not staging`,
      ),
    );
    expect(outsider.received).toEqual([]);
    // Under the class's bounds (nobody approved the step), the 307 to /landed is outside its requests.
    await expect(
      httpCall(
        { method: 'POST', url: `${allowed.base}/same-host`, body: { a: 2 } },
        within({ environment: 'staging', boundedBy: 'deploy' }),
      ),
    ).rejects.toThrow(/answered 307 .*not followed: POST http:\/\/.*\/landed is not in the bounds of deploy/);
    expect(allowed.received.map((r) => r.url)).toEqual(['/to-outsider/landed', '/same-host']);
    // Approved by a person, the step is not under bounds: the same redirect is followed.
    await httpCall({ method: 'POST', url: `${allowed.base}/same-host`, body: { a: 3 } }, staging);
    expect(allowed.received.at(-1)).toMatchObject({ method: 'POST', url: '/landed' });
    // And production's own task may follow it into production.
    await httpCall(
      { method: 'POST', url: `${allowed.base}/to-outsider/landed` },
      within({ environment: 'production' }),
    );
    expect(outsider.received.map((r) => r.url)).toEqual(['/landed']);
  });

  it('refuses an empty path segment and a _method parameter, at submission and when sending', async () => {
    const ctx = actionContext('task/evil/r8#0', { allowedHosts: [allowed.host] });
    // `new URL('//x/tickets/1', base)` reads x as a host: the demo service would route /tickets/1.
    for (const url of [
      `${allowed.base}//x/tickets/1`,
      `${allowed.base}/a//b`,
      `${allowed.base}/\\x/tickets/1`,
    ]) {
      await expect(httpCall({ method: 'POST', url }, ctx)).rejects.toThrow(/empty segment \("\/\/"\)/);
      const p = httpRequest.params.parse({ method: 'POST', url });
      expect(httpRequest.boundsObjections!(p, { hosts: [allowed.host] })).toEqual([
        expect.stringMatching(/^params\.url: .*empty segment/),
      ]);
    }
    await expect(
      httpCall({ method: 'POST', url: `${allowed.base}/deploys?_METHOD=DELETE` }, ctx),
    ).rejects.toThrow(/"_method" query parameter makes some servers use another method/);
    const undo = httpRequest.params.parse({
      method: 'POST',
      url: `${allowed.base}/deploys`,
      undo: { method: 'POST', url: `${allowed.base}/deploys?_method=DELETE` },
    });
    expect(httpRequest.boundsObjections!(undo, { hosts: [allowed.host] })).toEqual([
      expect.stringMatching(/^params\.undo\.url: .*_method/),
    ]);
    expect(allowed.received).toEqual([]);
  });

  it('refuses headers that reroute a request, and headers fetch manages itself', () => {
    const refused = (headers: Record<string, string>) => {
      const parsed = httpRequest.params.safeParse({
        method: 'POST',
        url: `${allowed.base}/deploys`,
        headers,
      });
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    for (const name of [
      'X-HTTP-Method-Override',
      'x-original-url',
      'X-Rewrite-URL',
      'Forwarded',
      'X-Forwarded-Host',
    ])
      expect(refused({ [name]: 'DELETE' })).toEqual([
        `headers.${name}: this header makes some servers and proxies serve another method, path or host than the one sent, which bounds and approvers never see`,
      ]);
    for (const name of ['Content-Length', 'transfer-encoding', 'Connection', 'Expect', 'Host'])
      expect(refused({ [name]: '5' })).toEqual([
        `headers.${name}: fetch sets this header itself and refuses a request that names it`,
      ]);
    expect(refused({ 'X-Request-Id': 'abc', Accept: 'application/json' })).toEqual([]);
  });

  it(`stops after ${MAX_REDIRECTS} redirects`, async () => {
    const ctx = actionContext('task/evil/r4#0', { allowedHosts: [allowed.host] });
    await expect(httpCall({ method: 'GET', url: `${allowed.base}/loop` }, ctx)).rejects.toThrow(
      new RegExp(`more than ${MAX_REDIRECTS} redirects`),
    );
    expect(allowed.received).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('makes no HTTP call at all for a class with no host bound', async () => {
    const { ctx, outsideFiles } = hostileContext(); // allowedHosts undefined: the class declares no hosts
    writeFileSync(join(ctx.workspaceRoot, 'app.json'), '{"a":1}');
    const reload = configSet.params.parse({
      file: 'app.json',
      set: { a: 2 },
      reloadUrl: `${outsider.base}/reload`,
    });
    await expect(configSet.execute(reload, ctx)).rejects.toThrow(
      new RegExp(`${outsider.base}/reload: the task class declares no hosts`),
    );
    // Refused before the file was touched.
    expect(readFileSync(join(ctx.workspaceRoot, 'app.json'), 'utf8')).toBe('{"a":1}');
    const health = { file: 'app.json', set: { a: 2 }, healthUrl: `${outsider.base}/health` };
    await expect(configSet.verify!(health, ctx)).rejects.toThrow(/declares no hosts/);
    const request = httpRequest.params.parse({ method: 'GET', url: `${outsider.base}/x` });
    await expect(httpRequest.execute(request, ctx)).rejects.toThrow(PermanentActionError);
    await expect(httpRequest.verify!({ ...request, healthUrl: `${outsider.base}/h` }, ctx)).rejects.toThrow(
      /declares no hosts/,
    );
    expect(outsider.received).toEqual([]);
    expect(outsideFiles()).toEqual([]);
    // A draft sends nothing, so it is still shown.
    expect((await httpRequest.draft(request, ctx)).text).toBe(`GET ${outsider.base}/x`);
  });

  it('refuses a step whose undo or health URL is outside the bound before sending anything', async () => {
    const ctx = actionContext('task/evil/r5#0', { allowedHosts: [allowed.host] });
    const p = httpRequest.params.parse({
      method: 'POST',
      url: `${allowed.base}/deploys`,
      undo: { method: 'POST', url: `${outsider.base}/undo` },
    });
    await expect(httpRequest.execute(p, ctx)).rejects.toThrow(`host "${outsider.host}" is not allowed`);
    expect(allowed.received).toEqual([]);
  });

  it('compares the real host: userinfo, IPv6 literals and case', async () => {
    const ctx = actionContext('task/evil/r6#0', { allowedHosts: [allowed.host] });
    // `allowed@outsider` goes to the outsider.
    const disguised = `http://${allowed.host}@${outsider.host}/x`;
    await expect(httpCall({ method: 'GET', url: disguised }, ctx)).rejects.toThrow(/user name or password/);
    await expect(httpCall({ method: 'GET', url: `http://u:p@${allowed.host}/` }, ctx)).rejects.toThrow(
      /user name or password/,
    );
    for (const v6 of [`http://[::1]:${allowed.port}/`, `http://[::ffff:127.0.0.1]:${allowed.port}/`]) {
      await expect(httpCall({ method: 'GET', url: v6 }, ctx)).rejects.toThrow(/is not allowed/);
    }
    expect(outsider.received).toEqual([]);
    expect(allowed.received).toEqual([]);

    expect(checkHost('http://API.Example.COM:8080/x', { allowedHosts: ['api.example.com:8080'] }).host).toBe(
      'api.example.com:8080',
    );
    expect(checkHost('http://api.example.com:80/', { allowedHosts: ['api.example.com'] }).host).toBe(
      'api.example.com',
    );
    expect(checkHost('https://api.example.com/', { allowedHosts: ['api.example.com:443'] }).host).toBe(
      'api.example.com',
    );
    expect(() => checkHost('http://[::1]:8080/', { allowedHosts: ['[::1]:8080'] })).not.toThrow();
    expect(() => checkHost('http://[::1]:8080/', { allowedHosts: ['::1:8080'] })).toThrow(/not allowed/);
    expect(() =>
      checkHost('http://api.example.com.evil.test/', { allowedHosts: ['api.example.com'] }),
    ).toThrow(/not allowed/);
  });
});
