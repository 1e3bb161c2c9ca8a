import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import type { RunningApi } from '../../api/server';
import { appendStep, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { newToken, startApi } from '../api/helpers';
import { goodBody, TASK_CASES } from './task-cases';
import { expectNoCrashText, expectNoWorkflow, lineNaming, workflowsOnQueue } from './corpus-helpers';

// The bad-input corpus through the MCP server, on both of its transports: Streamable HTTP (the
// API server's /mcp) and stdio (`node dist/mcp/stdio.js`, one process for the file, a client of
// the HTTP API). Messages are written as raw JSON-RPC, so any bytes can be sent as arguments.
const STDIO = resolve(__dirname, '..', '..', 'dist', 'mcp', 'stdio.js');

/** What came back for one JSON-RPC request: the text an agent reads, and whether it is an error. */
interface McpAnswer {
  isError: boolean;
  text: string;
  /** The HTTP status (HTTP transport only). */
  status?: number;
}

function answerOf(message: any): McpAnswer {
  if (message?.error) return { isError: true, text: String(message.error.message) };
  const result = message?.result;
  return {
    isError: result?.isError === true,
    text: String(result?.content?.[0]?.text ?? JSON.stringify(result)),
  };
}

/** `{"jsonrpc":"2.0","id":…,"method":"tools/call","params":{"name":…,"arguments":<raw>}}` with `raw` as given. */
const toolCall = (id: number, name: string, rawArguments: string): string =>
  `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${rawArguments}}}`;

/** A stdio MCP server process, driven line by line. */
class StdioMcp {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = '';
  private readonly waiting = new Map<number | null, (message: any) => void>();
  stderr = '';

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [STDIO], { env: { PATH: process.env.PATH ?? '', ...env } });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      const lines = this.buffer.split('\n');
      this.buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const message = JSON.parse(line);
        this.waiting.get(message.id)?.(message);
        this.waiting.delete(message.id);
      }
    });
  }

  /** Sends one raw line and resolves with the answer to `id` (null: a message the server could not read). */
  send(id: number | null, line: string): Promise<any> {
    return new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no answer to ${id}; stderr:\n${this.stderr}`)), 60_000);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        done(m);
      });
      this.child.stdin.write(`${line}\n`);
    });
  }

  notify(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  close(): Promise<void> {
    return new Promise((done) => {
      if (!this.alive) return done();
      this.child.once('exit', () => done());
      this.child.stdin.end();
      this.child.kill('SIGTERM');
    });
  }
}

describe('bad-input corpus: MCP server', () => {
  let stack: TestStack;
  let api: RunningApi;
  let token: string;
  let stdio: StdioMcp;
  let nextId = 100;
  const started: string[] = [];

  /** One JSON-RPC request over Streamable HTTP; `body` is sent as it is. */
  async function overHttp(
    body: string,
    headers: Record<string, string> = {},
  ): Promise<McpAnswer & { status: number; raw: any }> {
    const res = await fetch(`${api.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body,
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    if (res.headers.get('content-type')?.startsWith('application/problem+json'))
      return { isError: true, text: `${parsed.title}: ${parsed.detail}`, status: res.status, raw: parsed };
    return { ...answerOf(Array.isArray(parsed) ? parsed[0] : parsed), status: res.status, raw: parsed };
  }

  const transports = {
    http: (line: string) => overHttp(line),
    stdio: async (line: string) => answerOf(await stdio.send(Number(/"id":(\d+)/.exec(line)![1]), line)),
  };

  /** Both transports still serve a good request. */
  async function expectAlive(): Promise<void> {
    const id = nextId++;
    const list = `{"jsonrpc":"2.0","id":${id},"method":"tools/list"}`;
    const overHttpAnswer = await overHttp(list);
    expect(overHttpAnswer.raw.result.tools).toHaveLength(5);
    expect(stdio.alive).toBe(true);
    const overStdio = await stdio.send(id, list);
    expect(overStdio.result.tools).toHaveLength(5);
  }

  beforeAll(async () => {
    stack = await startTestStack('corpus-mcp', { policy: workflowTestPolicy() });
    api = await startApi(stack, () => ({
      ...stack.policy.current,
      agentApi: { requestsPerMinute: 1e6, maxWaiting: 1e6 },
    }));
    token = (await newToken(stack, 'a3')).token;
    stdio = new StdioMcp({ LADDER_API_URL: api.url, LADDER_AGENT_TOKEN: token });
    const init = await stdio.send(
      1,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'corpus', version: '1' },
        },
      }),
    );
    expect(init.result.serverInfo.name).toBe('ladder');
    stdio.notify('{"jsonrpc":"2.0","method":"notifications/initialized"}');
  });
  afterAll(async () => {
    await stdio?.close();
    await api?.close();
    await stack?.stop();
  });

  for (const transport of ['http', 'stdio'] as const) {
    describe(`request_action over ${transport} (shared table)`, () => {
      test.each(TASK_CASES.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
        const good = goodBody();
        const body = c.body(good);
        const id = nextId++;
        const answer = await transports[transport](
          toolCall(id, 'request_action', c.raw ? c.raw(good) : JSON.stringify(body)),
        );
        expect(answer.isError).toBe(true);
        for (const want of c.errors) {
          // The line that names the field, and what it says there (the path shown on failure).
          const line = lineNaming(answer.text, mcpPath(want.path));
          expect([want.path, line ?? `no line names it in:\n${answer.text}`]).toEqual([
            want.path,
            expect.stringMatching(want.message),
          ]);
        }
        expectNoCrashText(answer.text);
        await expectNoWorkflow(stack.client, 'a3', good.taskId);
        await expectNoWorkflow(stack.client, 'a3', (body as { taskId?: unknown } | null)?.taskId);
        await expectAlive();
      });
    });
  }

  /** Where MCP names a path the API names `(root)`: the tool's `arguments`. */
  function mcpPath(path: string): string {
    return path === '(root)' ? 'arguments' : path;
  }

  /** MCP-only cases: the other tools' arguments and the JSON-RPC envelope. */
  interface EnvelopeCase {
    family: string;
    name: string;
    line: (id: number) => string;
    /** What the answer must say (it names the argument or what was wrong). */
    says: RegExp;
  }
  const call = (name: string, args: unknown) => (id: number) => toolCall(id, name, JSON.stringify(args));
  const ENVELOPE: EnvelopeCase[] = [
    {
      family: 'types',
      name: 'get_task with a numeric task_id',
      line: call('get_task', { task_id: 5 }),
      says: /task_id/,
    },
    { family: 'types', name: 'get_task without a task_id', line: call('get_task', {}), says: /task_id/ },
    {
      family: 'types',
      name: 'get_task with an empty task_id',
      line: call('get_task', { task_id: '' }),
      says: /task_id/,
    },
    {
      family: 'paths',
      name: "get_task climbing to another agent's task",
      line: call('get_task', { task_id: '../a5/x' }),
      says: /you have no task "..\/a5\/x"/,
    },
    {
      family: 'prototype-keys',
      name: 'get_task of __proto__',
      line: call('get_task', { task_id: '__proto__' }),
      says: /you have no task "__proto__"/,
    },
    {
      family: 'sizes',
      name: 'get_task with a 10,000-character id',
      line: call('get_task', { task_id: 'x'.repeat(10_000) }),
      says: /you have no task/,
    },
    {
      family: 'types',
      name: 'get_task with an unknown argument',
      line: call('get_task', { task_id: 'x', agent: 'a5' }),
      says: /agent/,
    },
    {
      family: 'types',
      name: 'wait_for_task timeout 0',
      line: call('wait_for_task', { task_id: 'x', timeout_seconds: 0 }),
      says: /timeout_seconds/,
    },
    {
      family: 'types',
      name: 'wait_for_task timeout 61',
      line: call('wait_for_task', { task_id: 'x', timeout_seconds: 61 }),
      says: /timeout_seconds/,
    },
    {
      family: 'types',
      name: 'wait_for_task timeout 1.5',
      line: call('wait_for_task', { task_id: 'x', timeout_seconds: 1.5 }),
      says: /timeout_seconds/,
    },
    {
      family: 'types',
      name: 'wait_for_task timeout as a string',
      line: call('wait_for_task', { task_id: 'x', timeout_seconds: '5' }),
      says: /timeout_seconds/,
    },
    {
      family: 'prototype-keys',
      name: 'cancel_task with a __proto__ key',
      line: (id) => toolCall(id, 'cancel_task', '{"task_id":"x","__proto__":{"task_id":"y"}}'),
      says: /__proto__/,
    },
    {
      family: 'types',
      name: 'a tool that does not exist (approve_task)',
      line: call('approve_task', { task_id: 'x' }),
      says: /Tool approve_task not found/,
    },
    {
      family: 'prototype-keys',
      name: 'a tool named constructor',
      line: call('constructor', {}),
      says: /Tool constructor not found \(Ladder's tools: request_action, /,
    },
    {
      family: 'prototype-keys',
      name: 'a tool named __proto__',
      line: call('__proto__', {}),
      says: /Tool __proto__ not found/,
    },
    {
      family: 'types',
      name: 'a method that does not exist',
      line: (id) => `{"jsonrpc":"2.0","id":${id},"method":"tasks/approve","params":{}}`,
      says: /Method not found/,
    },
    {
      family: 'types',
      name: 'tools/call without a name',
      line: (id) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"arguments":{}}}`,
      says: /name/,
    },
    {
      family: 'types',
      name: 'tools/call with params as a list',
      line: (id) => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":["request_action"]}`,
      says: /params|Invalid/i,
    },
    {
      family: 'types',
      name: 'tools/call with arguments as a list',
      line: call('request_action', []),
      says: /arguments|expected/i,
    },
  ];

  for (const transport of ['http', 'stdio'] as const) {
    describe(`tool arguments and the JSON-RPC envelope over ${transport}`, () => {
      test.each(ENVELOPE.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
        const answer = await transports[transport](c.line(nextId++));
        expect(answer.isError).toBe(true);
        expect(answer.text).toMatch(c.says);
        expectNoCrashText(answer.text);
        await expectAlive();
      });
    });
  }

  /** Lines on stdio the SDK would leave unanswered or close the session on. */
  const STDIO_EDGE: { family: string; name: string; line: string; id: number | null; says: RegExp }[] = [
    {
      family: 'types',
      name: 'a line that is not JSON',
      line: 'approve everything',
      id: null,
      says: /Parse error: not valid JSON/,
    },
    {
      family: 'types',
      name: 'truncated JSON',
      line: '{"jsonrpc":"2.0","id":7,',
      id: null,
      says: /Parse error: not valid JSON/,
    },
    {
      family: 'types',
      name: 'JSON that is not JSON-RPC',
      line: '{"id":8,"hello":"world"}',
      id: 8,
      says: /Invalid Request: "jsonrpc" must be "2\.0", got nothing/,
    },
    {
      family: 'types',
      name: 'JSON-RPC without a method or result',
      line: '{"jsonrpc":"2.0","id":10,"hello":"world"}',
      id: 10,
      says: /Invalid Request: not a JSON-RPC 2\.0 message/,
    },
    {
      family: 'types',
      name: 'JSON-RPC 1.0',
      line: '{"jsonrpc":"1.0","id":9,"method":"tools/list"}',
      id: 9,
      says: /Invalid Request: "jsonrpc" must be "2\.0", got "1\.0"/,
    },
    {
      family: 'types',
      name: 'an id that is an object',
      line: '{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}',
      id: null,
      says: /Invalid Request/,
    },
    {
      family: 'sizes',
      name: 'a 2 MB message',
      line: toolCall(11, 'request_action', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })),
      id: 11,
      says: /the message is \d+ bytes; the limit is 1048576 \(1 MB\)/,
    },
    {
      family: 'sizes',
      name: 'a 12 MB message (over the SDK buffer that would close the session)',
      line: toolCall(12, 'request_action', JSON.stringify({ pad: 'x'.repeat(12 * 1024 * 1024) })),
      id: 12,
      says: /the message is \d+ bytes; the limit is 1048576/,
    },
  ];

  describe('the stdio edge', () => {
    test.each(STDIO_EDGE.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const answer = answerOf(await stdio.send(c.id, c.line));
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(c.says);
      expectNoCrashText(answer.text);
      await expectAlive();
    });
  });

  /** The HTTP transport's own edge: what reaches /mcp before any tool. */
  const HTTP_EDGE: {
    family: string;
    name: string;
    send: () => Promise<McpAnswer & { status: number }>;
    status: number;
    says: RegExp;
  }[] = [
    {
      family: 'sizes',
      name: 'a 10 MB body',
      send: () =>
        overHttp(toolCall(1, 'request_action', JSON.stringify({ pad: 'x'.repeat(10 * 1024 * 1024) }))),
      status: 413,
      says: /the body is \d+ bytes; the limit is 1 MB/,
    },
    {
      family: 'types',
      name: 'truncated JSON',
      send: () => overHttp('{"jsonrpc":"2.0","id":1,'),
      status: 400,
      says: /not valid JSON|JSON/,
    },
    {
      family: 'types',
      name: 'text/plain',
      send: () => overHttp(toolCall(1, 'get_task', '{"task_id":"x"}'), { 'content-type': 'text/plain' }),
      status: 415,
      says: /application\/json/,
    },
    {
      family: 'types',
      name: 'not JSON-RPC at all',
      send: () => overHttp('{"hello":"world"}'),
      status: 400,
      says: /Invalid|JSON-RPC|Parse/i,
    },
    {
      family: 'types',
      name: 'an Accept header without event streams',
      send: () => overHttp(toolCall(1, 'get_task', '{"task_id":"x"}'), { accept: 'application/json' }),
      status: 406,
      says: /accept/i,
    },
    {
      family: 'prototype-keys',
      name: 'a batch with a __proto__ key in one call',
      send: () =>
        overHttp(
          `[${toolCall(1, 'get_task', '{"task_id":"a"}')},${toolCall(2, 'request_action', JSON.stringify(goodBody()).replace('{', '{"__proto__":{},'))}]`,
        ),
      status: 200,
      says: /"__proto__" is refused/,
    },
  ];

  describe('the /mcp HTTP edge', () => {
    test.each(HTTP_EDGE.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const answer = await c.send();
      expect(answer.status).toBe(c.status);
      expect(answer.isError).toBe(true);
      expect(answer.text).toMatch(c.says);
      expectNoCrashText(answer.text);
      await expectAlive();
    });
  });

  it('still runs a good task over both transports, and nothing else was ever started', async () => {
    for (const transport of ['http', 'stdio'] as const) {
      const body = { ...goodBody(), steps: [appendStep(`mcp-${transport}`)] };
      const answer = await transports[transport](toolCall(nextId++, 'request_action', JSON.stringify(body)));
      expect(answer.isError).toBe(false);
      expect(answer.text).toMatch(/Finished: executed at rung 3/);
      started.push(`task/a3/${body.taskId}`);
    }
    const ids = await workflowsOnQueue(stack.client, stack.taskQueue, started);
    expect(ids.filter((id) => id.startsWith('task/'))).toEqual([...started].sort());
  });
});
