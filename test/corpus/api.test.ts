import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RunningApi } from '../../api/server';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { apiClient, newToken, startApi, type Answer } from '../api/helpers';
import { goodBody, TASK_CASES, type AgentBody } from './task-cases';
import { corpusPolicy, expectNoCrashText, expectNoWorkflow, workflowsOnQueue } from './corpus-helpers';

// The bad-input corpus through the agents' HTTP API: every task case of the shared table, the
// HTTP edge (bodies, media types, tokens, routes, query strings, sizes up to 10 MB), and effects
// that only the run can refuse (paths out of the workspace, hosts out of the bound, redirects),
// each checked where the effect would have landed. One API server and one worker for the file.

const KEYS_DIR = resolve(__dirname, '..', '..', '.temporal', 'keys');

/** A local HTTP server that counts what reaches it, by path. */
interface CountingServer {
  server: Server;
  port: number;
  hits: string[];
}

async function countingServer(
  host: string,
  answer: (req: IncomingMessage, port: number) => { status: number; location?: string },
): Promise<CountingServer> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    const { status, location } = answer(req, (server.address() as AddressInfo).port);
    res.writeHead(status, location ? { location } : {}).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

describe('bad-input corpus: agent HTTP API', () => {
  let stack: TestStack;
  let api: RunningApi;
  let a3: string;
  let a4: string;
  let allowed: CountingServer;
  let evil: CountingServer;
  let evil6: CountingServer;
  let outside: string;
  /** Workflows this file starts on purpose: everything else on the queue would be a refused one. */
  const started: string[] = [];
  const call = apiClient(() => api.url);

  /** A raw POST of `text` (any bytes) to the task route with a3's token, checked against the OpenAPI document. */
  const postRaw = (text: string, headers: Record<string, string> = {}): Promise<Answer> =>
    call('POST', '/v1/tasks', {
      token: a3,
      raw: text,
      headers: { 'content-type': 'application/json', ...headers },
    });

  /** The server still serves a good request: the file's liveness check after every case. */
  const expectAlive = async (): Promise<void> => {
    const r = await call('GET', '/v1/me/rungs', { token: a3 });
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    evil = await countingServer('127.0.0.1', () => ({ status: 200 }));
    evil6 = await countingServer('::1', () => ({ status: 200 }));
    allowed = await countingServer('127.0.0.1', (req, port) => {
      const url = req.url ?? '/';
      if (url === '/to-evil') return { status: 302, location: `http://127.0.0.1:${evil.port}/stolen` };
      if (url === '/to-v6') return { status: 307, location: `http://[::1]:${evil6.port}/stolen` };
      if (url === '/to-userinfo') return { status: 302, location: `http://user:pw@127.0.0.1:${port}/ok` };
      const loop = /^\/loop\/(\d+)$/.exec(url);
      if (loop) return { status: 302, location: `/loop/${Number(loop[1]) + 1}` };
      return { status: 200 };
    });
    stack = await startTestStack('corpus-api', { policy: corpusPolicy(`127.0.0.1:${allowed.port}`) });
    // The corpus sends far more than an agent's 60 requests a minute; the limit has its own test.
    api = await startApi(stack, () => ({
      ...stack.policy.current,
      agentApi: { requestsPerMinute: 1e6, maxWaiting: 1e6 },
    }));
    [a3, a4] = (await Promise.all([newToken(stack, 'a3'), newToken(stack, 'a4')])).map((t) => t.token);
    outside = mkdtempSync(join(tmpdir(), 'ladder-corpus-outside-'));
    const ws = stack.dirs.workspaceRoot;
    symlinkSync(outside, join(ws, 'link-out'));
    symlinkSync(join(outside, 'created-later.txt'), join(ws, 'dangling.txt'));
    writeFileSync(join(ws, 'target.txt'), 'inside\n');
    symlinkSync(join(ws, 'target.txt'), join(ws, 'inner-link.txt'));
    writeFileSync(join(ws, 'flags.json'), '{"a": 0}\n');
    mkdirSync(join(stack.dirs.sandboxDir, 'sub'));
  });
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
    for (const s of [allowed, evil, evil6]) s?.server.close();
  });

  describe('task submissions (shared table)', () => {
    test.each(TASK_CASES.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const good = goodBody();
      const body = c.body(good);
      const r = await postRaw(c.raw ? c.raw(good) : JSON.stringify(body));
      expect(r.status).toBe(422);
      expect(r.body.detail).toBe('the task was NOT submitted: fix the fields named in errors');
      for (const want of c.errors)
        expect(r.body.errors).toContainEqual({
          path: want.path,
          message: expect.stringMatching(want.message),
        });
      expectNoCrashText(JSON.stringify(r.body));
      await expectNoWorkflow(stack.client, 'a3', good.taskId);
      await expectNoWorkflow(stack.client, 'a3', (body as { taskId?: unknown } | null)?.taskId);
      await expectAlive();
    });
  });

  /** Cases of the HTTP edge: what is sent, and the problem that must come back. */
  interface EdgeCase {
    family: string;
    name: string;
    send: () => Promise<Answer>;
    status: number;
    /** What the detail (and, when given, an error's path) must say. */
    detail: RegExp;
    path?: string;
  }
  const good = (): string => JSON.stringify(goodBody());
  const withAuth = (authorization: string | undefined) => () =>
    call('POST', '/v1/tasks', {
      raw: good(),
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    });
  const fakeToken = () => `ldr_${'0'.repeat(16)}_${'A'.repeat(43)}`;
  const big = (bytes: number) => `{"taskId":"${'x'.repeat(bytes)}"}`;
  const chunked = (bytes: number) => (): Promise<Answer> => {
    const chunk = new TextEncoder().encode('x'.repeat(256 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ * chunk.length < bytes) controller.enqueue(chunk);
        else controller.close();
      },
    });
    return fetch(`${api.url}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a3}`, 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit).then(async (res) => ({
      status: res.status,
      headers: res.headers,
      contentType: (res.headers.get('content-type') ?? '').split(';')[0],
      body: JSON.parse(await res.text()),
    }));
  };
  const get = (path: string) => () => call('GET', path, { token: a3 });

  const EDGE: EdgeCase[] = [
    // Bodies that are not JSON.
    {
      family: 'types',
      name: 'truncated JSON',
      send: () => postRaw('{"taskId": '),
      status: 400,
      detail: /NOT submitted/,
      path: '(root)',
    },
    {
      family: 'types',
      name: 'an empty body',
      send: () => postRaw(''),
      status: 400,
      detail: /NOT submitted/,
      path: '(root)',
    },
    {
      family: 'types',
      name: 'single-quoted JSON',
      send: () => postRaw("{'taskId': 'a'}"),
      status: 400,
      detail: /NOT submitted/,
      path: '(root)',
    },
    {
      family: 'types',
      name: 'NaN as a value',
      send: () => postRaw('{"taskId": NaN}'),
      status: 400,
      detail: /NOT submitted/,
      path: '(root)',
    },
    {
      family: 'types',
      name: 'trailing garbage',
      send: () => postRaw(`${good()}x`),
      status: 400,
      detail: /NOT submitted/,
      path: '(root)',
    },
    {
      family: 'types',
      name: 'a byte-order mark before the JSON',
      send: () => postRaw(`\uFEFF${good()}`),
      status: 400,
      detail: /NOT submitted/,
      path: '(root)',
    },
    {
      family: 'types',
      name: 'two JSON documents',
      send: () => postRaw(`${good()}\n${good()}`),
      status: 400,
      detail: /NOT submitted/,
      path: '(root)',
    },
    {
      family: 'types',
      name: '"agent" given as null',
      send: () => postRaw(JSON.stringify({ ...goodBody(), agent: null })),
      status: 422,
      detail: /NOT submitted: leave out "agent"/,
      path: 'agent',
    },
    {
      family: 'types',
      name: '"agent" given as a string',
      send: () => postRaw(JSON.stringify({ ...goodBody(), agent: 'a5' })),
      status: 422,
      detail: /NOT submitted: leave out "agent"/,
      path: 'agent',
    },
    // Media types.
    {
      family: 'types',
      name: 'no content type',
      send: () => fetchProblem('POST', '/v1/tasks', new TextEncoder().encode(good())),
      status: 415,
      detail: /application\/json/,
    },
    {
      family: 'types',
      name: 'text/plain',
      send: () => postRaw(good(), { 'content-type': 'text/plain' }),
      status: 415,
      detail: /application\/json/,
    },
    {
      family: 'types',
      name: 'a form',
      send: () =>
        postRaw(`payload=${encodeURIComponent(good())}`, {
          'content-type': 'application/x-www-form-urlencoded',
        }),
      status: 415,
      detail: /application\/json/,
    },
    {
      family: 'types',
      name: 'application/jsonp',
      send: () => postRaw(good(), { 'content-type': 'application/jsonp' }),
      status: 415,
      detail: /application\/json/,
    },
    {
      family: 'types',
      name: 'multipart',
      send: () => postRaw(good(), { 'content-type': 'multipart/form-data; boundary=x' }),
      status: 415,
      detail: /application\/json/,
    },
    // Sizes up to 10 MB, declared or streamed.
    {
      family: 'sizes',
      name: 'a body of 1 MB + 1 byte',
      send: () => postRaw(big(1024 * 1024 - 13 + 1)),
      status: 413,
      detail: /NOT submitted: the body is 1048577 bytes; the limit is 1 MB/,
    },
    {
      family: 'sizes',
      name: 'a body of 2 MB',
      send: () => postRaw(big(2 * 1024 * 1024)),
      status: 413,
      detail: /NOT submitted: the body is \d+ bytes; the limit is 1 MB/,
    },
    {
      family: 'sizes',
      name: 'a body of 10 MB',
      send: () => postRaw(big(10 * 1024 * 1024)),
      status: 413,
      detail: /NOT submitted: the body is \d+ bytes; the limit is 1 MB/,
    },
    {
      family: 'sizes',
      name: 'a 2 MB body streamed without a length',
      send: chunked(2 * 1024 * 1024),
      status: 413,
      detail: /NOT submitted: the body is over 1 MB/,
    },
    {
      family: 'sizes',
      name: 'a 10 MB body streamed without a length',
      send: chunked(10 * 1024 * 1024),
      status: 413,
      detail: /NOT submitted: the body is over 1 MB/,
    },
    // Tokens.
    {
      family: 'tokens',
      name: 'no Authorization header',
      send: withAuth(undefined),
      status: 401,
      detail: /Authorization: Bearer/,
    },
    {
      family: 'tokens',
      name: 'Basic credentials',
      send: withAuth('Basic YTpi'),
      status: 401,
      detail: /Authorization: Bearer/,
    },
    {
      family: 'tokens',
      name: '"Bearer" and nothing else',
      send: withAuth('Bearer'),
      status: 401,
      detail: /Authorization: Bearer/,
    },
    {
      family: 'tokens',
      name: 'two tokens',
      send: () => withAuth(`Bearer ${a3} ${a4}`)(),
      status: 401,
      detail: /Authorization: Bearer/,
    },
    {
      family: 'tokens',
      name: 'a token of another format',
      send: withAuth('Bearer sk-abcdef'),
      status: 401,
      detail: /not a Ladder agent token/,
    },
    {
      family: 'tokens',
      name: 'a token with its secret cut short',
      send: () => withAuth(`Bearer ${a3.slice(0, -1)}`)(),
      status: 401,
      detail: /not a Ladder agent token/,
    },
    {
      family: 'tokens',
      name: 'a token id nobody issued',
      send: () => withAuth(`Bearer ${fakeToken()}`)(),
      status: 401,
      detail: /unknown or revoked/,
    },
    {
      family: 'tokens',
      name: "a3's token id with a4's secret",
      send: () =>
        withAuth(`Bearer ${a3.split('_').slice(0, 2).join('_')}_${a4.split('_').slice(2).join('_')}`)(),
      status: 401,
      detail: /unknown or revoked/,
    },
    // Routes and methods.
    {
      family: 'routes',
      name: 'GET on the task route',
      send: get('/v1/tasks'),
      status: 405,
      detail: /GET is not allowed on \/v1\/tasks/,
    },
    {
      family: 'routes',
      name: 'DELETE a task',
      send: () => fetchProblem('DELETE', `/v1/tasks/${goodBody().taskId}`),
      status: 405,
      detail: /DELETE is not allowed/,
    },
    {
      family: 'routes',
      name: 'a trailing slash',
      send: get('/v1/tasks/'),
      status: 404,
      detail: /no route GET \/v1\/tasks\//,
    },
    {
      family: 'routes',
      name: 'an approve route the agent might hope for',
      send: () => call('POST', '/v1/tasks/x/approve', { token: a3, json: {} }),
      status: 404,
      detail: /no route POST/,
    },
    {
      family: 'routes',
      name: 'upper-case path',
      send: get('/V1/TASKS'),
      status: 404,
      detail: /no route GET \/V1\/TASKS/,
    },
    {
      family: 'routes',
      name: 'GET /mcp (no server stream)',
      send: () => fetchProblem('GET', '/mcp'),
      status: 405,
      detail: /GET is not allowed on \/mcp/,
    },
    // Task ids in the path.
    {
      family: 'paths',
      name: 'a task id climbing to another agent',
      send: get('/v1/tasks/..%2F..%2Fa5%2Fx'),
      status: 404,
      detail: /you have no task "..\/..\/a5\/x"/,
    },
    {
      family: 'paths',
      name: 'a task id of another workflow kind',
      send: get('/v1/tasks/..%2F..%2Fledger%2Fa3'),
      status: 404,
      detail: /you have no task/,
    },
    {
      family: 'control-characters',
      name: 'a NUL in the task id',
      send: get('/v1/tasks/a%00b'),
      status: 404,
      detail: /^you have no task "a.b"$/,
    },
    {
      family: 'paths',
      name: 'malformed percent-encoding in the task id',
      send: get('/v1/tasks/%E0%A4%A'),
      status: 404,
      detail: /task id.*percent-encod|not a valid task id|you have no task/,
    },
    {
      family: 'prototype-keys',
      name: 'task id __proto__',
      send: get('/v1/tasks/__proto__'),
      status: 404,
      detail: /you have no task "__proto__"/,
    },
    {
      family: 'prototype-keys',
      name: 'task id constructor',
      send: get('/v1/tasks/constructor'),
      status: 404,
      detail: /you have no task "constructor"/,
    },
    {
      family: 'sizes',
      name: 'a 10,000-character task id',
      send: get(`/v1/tasks/${'x'.repeat(10_000)}`),
      status: 404,
      detail: /you have no task/,
    },
    {
      family: 'sizes',
      name: 'a 20,000-character task id (over the header limit)',
      send: () => fetchProblem('GET', `/v1/tasks/${'x'.repeat(20_000)}`),
      status: 431,
      detail: /over 16 KB/,
    },
    {
      family: 'sizes',
      name: 'a 20 KB header',
      send: () => fetchProblem('GET', '/v1/me/rungs', undefined, { 'x-padding': 'p'.repeat(20_000) }),
      status: 431,
      detail: /over 16 KB/,
    },
    {
      family: 'types',
      name: 'a Content-Length that is not a number',
      send: () => rawHttp(`POST /v1/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n{}`),
      status: 400,
      detail: /not a valid HTTP\/1\.1 request/,
    },
    {
      family: 'types',
      name: 'an unknown HTTP method (BREW)',
      send: () => rawHttp('BREW /v1/me/rungs HTTP/1.1\r\nHost: x\r\n\r\n'),
      status: 400,
      detail: /not a valid HTTP\/1\.1 request/,
    },
    {
      family: 'control-characters',
      name: 'a control character in a header',
      send: () => rawHttp(`GET /v1/me/rungs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u0001x\r\n\r\n`),
      status: 400,
      detail: /not a valid HTTP\/1\.1 request/,
    },
    // The long poll's query string.
    {
      family: 'types',
      name: 'wait timeout=0',
      send: get('/v1/tasks/t1/wait?timeout=0'),
      status: 422,
      detail: /bad query parameters/,
      path: 'timeout',
    },
    {
      family: 'types',
      name: 'wait timeout=61',
      send: get('/v1/tasks/t1/wait?timeout=61'),
      status: 422,
      detail: /bad query parameters/,
      path: 'timeout',
    },
    {
      family: 'types',
      name: 'wait timeout=-1',
      send: get('/v1/tasks/t1/wait?timeout=-1'),
      status: 422,
      detail: /bad query parameters/,
      path: 'timeout',
    },
    {
      family: 'types',
      name: 'wait timeout=1.5',
      send: get('/v1/tasks/t1/wait?timeout=1.5'),
      status: 422,
      detail: /bad query parameters/,
      path: 'timeout',
    },
    {
      family: 'types',
      name: 'wait timeout=soon',
      send: get('/v1/tasks/t1/wait?timeout=soon'),
      status: 422,
      detail: /bad query parameters/,
      path: 'timeout',
    },
    {
      family: 'types',
      name: 'wait timeout empty',
      send: get('/v1/tasks/t1/wait?timeout='),
      status: 422,
      detail: /bad query parameters/,
      path: 'timeout',
    },
    {
      family: 'sizes',
      name: 'wait timeout of 30 digits',
      send: get(`/v1/tasks/t1/wait?timeout=${'9'.repeat(30)}`),
      status: 422,
      detail: /bad query parameters/,
      path: 'timeout',
    },
    {
      family: 'types',
      name: 'an unknown query parameter',
      send: get('/v1/tasks/t1/wait?timeout=5&poll=1'),
      status: 422,
      detail: /bad query parameters/,
      path: 'poll',
    },
    {
      family: 'prototype-keys',
      name: 'a __proto__ query parameter',
      send: get('/v1/tasks/t1/wait?__proto__=1'),
      status: 422,
      detail: /bad query parameters/,
      path: '__proto__',
    },
  ];

  /** A request `apiClient` will not make (other methods, no content type, huge headers). */
  async function fetchProblem(
    method: string,
    path: string,
    body?: Uint8Array,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${a3}`, ...headers },
      body,
    });
    return {
      status: res.status,
      headers: res.headers,
      contentType: (res.headers.get('content-type') ?? '').split(';')[0],
      body: JSON.parse(await res.text()),
    };
  }

  /** Bytes written to the server as they are (what no HTTP client would send), the answer parsed. */
  function rawHttp(request: string): Promise<Answer> {
    return new Promise((done, fail) => {
      const socket = connect(Number(new URL(api.url).port), '127.0.0.1', () => socket.write(request));
      let text = '';
      socket.on('data', (d) => (text += d.toString('utf8')));
      socket.on('error', fail);
      socket.on('close', () => {
        const [head, body] = [
          text.slice(0, text.indexOf('\r\n\r\n')),
          text.slice(text.indexOf('\r\n\r\n') + 4),
        ];
        const type = /^content-type: (.*)$/im.exec(head)?.[1] ?? '';
        done({
          status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]),
          headers: new Headers(),
          contentType: type.split(';')[0].trim(),
          body: type.includes('json') ? JSON.parse(body) : body,
        });
      });
    });
  }

  describe('the HTTP edge', () => {
    test.each(EDGE.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const r = await c.send();
      expect(r.status).toBe(c.status);
      expect(r.contentType).toBe('application/problem+json');
      expect(r.body).toMatchObject({ status: c.status, detail: expect.stringMatching(c.detail) });
      if (c.path) expect(r.body.errors).toContainEqual(expect.objectContaining({ path: c.path }));
      if (c.status === 401) expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expectNoCrashText(JSON.stringify(r.body));
      await expectAlive();
    });
  });

  /**
   * Effects only the run can refuse: the step fails with a message naming the path or host, and
   * nothing lands where it must not. All are submitted at once, then each is checked.
   */
  interface RunCase {
    family: string;
    name: string;
    agent: 'a3' | 'a4';
    body: (g: AgentBody) => AgentBody;
    error: RegExp;
    /** Where the effect would have landed: nothing may be there. */
    nothingAt: () => void;
  }
  const fileStep = (path: string) => (g: AgentBody) => ({
    ...g,
    steps: [{ action: 'file.write', params: { path, content: 'escaped\n' } }],
  });
  const httpStep = (params: Record<string, unknown>) => (g: AgentBody) => ({
    ...g,
    steps: [{ action: 'http.request', params: { method: 'POST', ...params } }],
  });
  const allowedUrl = (path: string) => `http://127.0.0.1:${allowed.port}${path}`;
  const noFileOutside = () => expect(readdirSync(outside)).toEqual([]);
  const noRequest = (s: () => CountingServer) => () => expect(s().hits).toEqual([]);
  const noRequestAnywhere = () => {
    noRequest(() => evil)();
    noRequest(() => evil6)();
  };
  const escapeName = `corpus-escape-${randomUUID().slice(0, 8)}`;

  const RUN: RunCase[] = [
    {
      family: 'paths',
      name: 'file.write to an absolute path elsewhere',
      agent: 'a3',
      body: (g) => fileStep(join(outside, 'abs.txt'))(g),
      error: /outside the allowed root/,
      nothingAt: noFileOutside,
    },
    {
      family: 'paths',
      name: 'file.write through a symlinked folder out of the workspace',
      agent: 'a3',
      body: fileStep('link-out/through.txt'),
      error: /outside the allowed root/,
      nothingAt: noFileOutside,
    },
    {
      family: 'paths',
      name: 'file.write through a dangling symlink',
      agent: 'a3',
      body: fileStep('dangling.txt'),
      error: /symlink/,
      nothingAt: noFileOutside,
    },
    {
      family: 'paths',
      name: 'file.write onto a symlink that points inside',
      agent: 'a3',
      body: fileStep('inner-link.txt'),
      error: /is a symlink: refused/,
      nothingAt: noFileOutside,
    },
    {
      family: 'paths',
      name: 'config.set of a file outside',
      agent: 'a3',
      body: (g) => ({
        ...g,
        steps: [{ action: 'config.set', params: { file: join(outside, 'c.json'), set: { a: 1 } } }],
      }),
      error: /outside the allowed root/,
      nothingAt: noFileOutside,
    },
    {
      family: 'paths',
      name: 'config.set through a symlinked folder',
      agent: 'a3',
      body: (g) => ({
        ...g,
        steps: [{ action: 'config.set', params: { file: 'link-out/c.json', set: { a: 1 } } }],
      }),
      error: /outside the allowed root/,
      nothingAt: noFileOutside,
    },
    {
      family: 'paths',
      name: 'shell.exec with cwd /',
      agent: 'a3',
      body: (g) => ({
        ...g,
        steps: [{ action: 'shell.exec', params: { command: 'touch escaped', cwd: '/' } }],
      }),
      error: /cwd "\/" is outside/,
      nothingAt: () => expect(existsSync('/escaped')).toBe(false),
    },
    {
      family: 'paths',
      name: 'shell.exec writing to the read-only root',
      agent: 'a3',
      body: (g) => ({
        ...g,
        steps: [{ action: 'shell.exec', params: { command: `echo x > /${escapeName}` } }],
      }),
      error: /exit(ed)? (with )?(code )?[1-9]|Read-only file system/i,
      nothingAt: () => expect(existsSync(`/${escapeName}`)).toBe(false),
    },
    {
      family: 'paths',
      name: "shell.exec reading Ladder's keys",
      agent: 'a3',
      body: (g) => ({
        ...g,
        steps: [{ action: 'shell.exec', params: { command: `cat ${KEYS_DIR}/frontend.key.json` } }],
      }),
      error: /No such file|exit(ed)? (with )?(code )?[1-9]/i,
      nothingAt: () => undefined,
    },
    {
      family: 'urls-and-hosts',
      name: 'a redirect to a host outside the bound',
      agent: 'a3',
      body: (g) => httpStep({ url: allowedUrl('/to-evil') })(g),
      error: /redirect to http:\/\/127\.0\.0\.1:\d+\/stolen\): not followed: host/,
      nothingAt: noRequestAnywhere,
    },
    {
      family: 'urls-and-hosts',
      name: 'a redirect to an IPv6 literal',
      agent: 'a3',
      body: (g) => httpStep({ url: allowedUrl('/to-v6') })(g),
      error: /not followed: host "\[::1\]:\d+" is not allowed/,
      nothingAt: noRequestAnywhere,
    },
    {
      family: 'urls-and-hosts',
      name: 'a redirect adding a user name and password',
      agent: 'a3',
      body: (g) => httpStep({ url: allowedUrl('/to-userinfo') })(g),
      error: /not followed: .*carries a user name or password/,
      nothingAt: noRequestAnywhere,
    },
    {
      family: 'urls-and-hosts',
      name: 'a redirect loop inside the bound',
      agent: 'a3',
      body: (g) => httpStep({ url: allowedUrl('/loop/0') })(g),
      error: /more than 5 redirects, not followed/,
      nothingAt: noRequestAnywhere,
    },
    {
      family: 'urls-and-hosts',
      name: 'a reload URL in a class with no host bound',
      agent: 'a4',
      body: (g) => ({
        ...g,
        taskClass: 'fast',
        steps: [
          {
            action: 'config.set',
            params: { file: 'flags.json', set: { a: 1 }, reloadUrl: `http://127.0.0.1:${evil.port}/reload` },
          },
        ],
      }),
      error: /declares no hosts/,
      nothingAt: () =>
        expect(readFileSync(join(stack.dirs.workspaceRoot, 'flags.json'), 'utf8')).toBe('{"a": 0}\n'),
    },
  ];

  describe('effects refused while running (each checked at its destination)', () => {
    const outcomes = new Map<string, Answer>();
    beforeAll(async () => {
      allowed.hits.length = 0;
      await Promise.all(
        RUN.map(async (c) => {
          const body = c.body(goodBody());
          const text = JSON.stringify(body).replace('PORT', String(allowed.port));
          const token = c.agent === 'a3' ? a3 : a4;
          const submitted = await call('POST', '/v1/tasks', { token, raw: text });
          expect(submitted.status).toBe(201);
          started.push(`task/${c.agent}/${body.taskId}`);
          outcomes.set(c.name, await call('GET', `/v1/tasks/${body.taskId}/wait?timeout=60`, { token }));
        }),
      );
    });

    test.each(RUN.map((c) => [c.family, c.name, c] as const))('%s: %s', (_f, _n, c) => {
      const done = outcomes.get(c.name)!;
      // A failed step at rung 4 and above unwinds what ran before it (nothing here): rolled back.
      expect(done.body).toMatchObject({ done: true, result: { executedSteps: 0 } });
      expect(done.body.result.outcome).toBe(c.agent === 'a4' ? 'rolled-back' : 'failed');
      expect(done.body.result.error).toMatch(c.error);
      expectNoCrashText(done.body.result.error);
      c.nothingAt();
    });
  });

  /**
   * URLs the run would refuse (a host outside the class's bound, a user name and password) are
   * refused at submission, naming the field: approved, such a step could only fail, after the
   * steps before it had taken effect. Nothing is started and nothing is sent.
   */
  const REFUSED_URLS: {
    name: string;
    params: () => Record<string, unknown>;
    path: string;
    message: RegExp;
  }[] = [
    {
      name: 'a host outside the bound',
      params: () => ({ url: `http://127.0.0.1:${evil.port}/x` }),
      path: 'steps[0].params.url',
      message: /host "127\.0\.0\.1:\d+" is not allowed/,
    },
    {
      name: 'the allowed host as a user name (userinfo)',
      params: () => ({ url: `http://127.0.0.1:${allowed.port}@localhost:${evil.port}/x` }),
      path: 'steps[0].params.url',
      message: /carries a user name or password/,
    },
    {
      name: 'a user name and password in an allowed URL',
      params: () => ({ url: allowedUrl('/ok-userinfo').replace('http://', 'http://user:pw@') }),
      path: 'steps[0].params.url',
      message: /carries a user name or password/,
    },
    {
      name: 'an IPv6 loopback literal',
      params: () => ({ url: `http://[::1]:${evil6.port}/x` }),
      path: 'steps[0].params.url',
      message: /host "\[::1\]:\d+" is not allowed/,
    },
    {
      name: 'localhost for 127.0.0.1',
      params: () => ({ url: `http://localhost:${allowed.port}/x` }),
      path: 'steps[0].params.url',
      message: /host "localhost:\d+" is not allowed/,
    },
    {
      name: 'an IPv4-mapped IPv6 literal',
      params: () => ({ url: `http://[::ffff:127.0.0.1]:${allowed.port}/x` }),
      path: 'steps[0].params.url',
      message: /host "\[::ffff:7f00:1\]:\d+" is not allowed/,
    },
    {
      name: 'an undo URL outside the bound',
      params: () => ({
        url: allowedUrl('/ok-undo'),
        undo: { method: 'POST', url: `http://127.0.0.1:${evil.port}/undo` },
      }),
      path: 'steps[0].params.undo.url',
      message: /host "127\.0\.0\.1:\d+" is not allowed/,
    },
    {
      name: 'a health URL on an IPv6 literal',
      params: () => ({ url: allowedUrl('/ok-health'), healthUrl: `http://[::1]:${evil6.port}/health` }),
      path: 'steps[0].params.healthUrl',
      message: /host "\[::1\]:\d+" is not allowed/,
    },
  ];

  /**
   * Paths that climb out of their folder with `..` are refused at submission, whatever the worker's
   * folders: the run could only refuse them (symlinks and absolute paths stay checked when it runs,
   * against the real folders, above).
   */
  const REFUSED_PATHS: { name: string; step: Record<string, unknown>; path: string; message: RegExp }[] = [
    {
      name: 'file.write to ../',
      step: { action: 'file.write', params: { path: `../${escapeName}.txt`, content: 'x' } },
      path: 'steps[0].params.path',
      message: /leaves the workspace folder \(it climbs out with \.\.\)/,
    },
    {
      name: 'file.write climbing out of a sub-folder',
      step: { action: 'file.write', params: { path: `sub/../../${escapeName}-2.txt`, content: 'x' } },
      path: 'steps[0].params.path',
      message: /leaves the workspace folder/,
    },
    {
      name: 'config.set of ../flags.json',
      step: { action: 'config.set', params: { file: '../flags.json', set: { a: 1 } } },
      path: 'steps[0].params.file',
      message: /leaves the workspace folder/,
    },
    {
      name: 'shell.exec with cwd ../..',
      step: { action: 'shell.exec', params: { command: 'touch escaped', cwd: '../..' } },
      path: 'steps[0].params.cwd',
      message: /"\.\.\/\.\." leaves the sandbox folder/,
    },
    {
      name: 'file.write to a name with a NUL',
      step: { action: 'file.write', params: { path: 'a\u0000b.txt', content: 'x' } },
      path: 'steps[0].params.path',
      message: /cannot hold a NUL/,
    },
  ];

  describe('paths that climb out, refused at submission', () => {
    test.each(REFUSED_PATHS.map((c) => ['paths', c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const body = { ...goodBody(), steps: [c.step] };
      const r = await call('POST', '/v1/tasks', { token: a3, json: body });
      expect(r.status).toBe(422);
      expect(r.body.errors).toContainEqual({ path: c.path, message: expect.stringMatching(c.message) });
      expectNoCrashText(JSON.stringify(r.body));
      await expectNoWorkflow(stack.client, 'a3', body.taskId);
      expect(existsSync(join(stack.dirs.workspaceRoot, '..', `${escapeName}.txt`))).toBe(false);
      expect(existsSync(resolve(stack.dirs.sandboxDir, '../..', 'escaped'))).toBe(false);
    });
  });

  describe('URLs the run would refuse, refused at submission', () => {
    test.each(REFUSED_URLS.map((c) => ['urls-and-hosts', c.name, c] as const))(
      '%s: %s',
      async (_f, _n, c) => {
        const body = httpStep(c.params())(goodBody());
        const r = await call('POST', '/v1/tasks', { token: a3, json: body });
        expect(r.status).toBe(422);
        expect(r.body.errors).toContainEqual({ path: c.path, message: expect.stringMatching(c.message) });
        expect(JSON.stringify(r.body)).not.toContain('user:pw');
        expectNoCrashText(JSON.stringify(r.body));
        await expectNoWorkflow(stack.client, 'a3', body.taskId);
        noRequestAnywhere();
        expect(allowed.hits.filter((h) => /\/(x|ok-userinfo|ok-undo|ok-health)$/.test(h))).toEqual([]);
      },
    );
  });

  it('still runs a good task, and nothing but the tasks above was ever started', async () => {
    const body = goodBody();
    const r = await call('POST', '/v1/tasks', { token: a3, json: body });
    expect(r.status).toBe(201);
    started.push(`task/a3/${body.taskId}`);
    const done = await call('GET', `/v1/tasks/${body.taskId}/wait?timeout=60`, { token: a3 });
    expect(done.body).toMatchObject({ done: true, result: { outcome: 'executed', executedSteps: 1 } });
    const ids = await workflowsOnQueue(stack.client, stack.taskQueue, started);
    expect(ids.filter((id) => id.startsWith('task/'))).toEqual([...started].sort());
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});
