import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from '../config/logger';
import type { LoadedPolicy } from '../policy/loader';
import { bodyRefusal } from '../mcp/request-guard';
import { createLadderMcpServer, LADDER_TOOLS } from '../mcp/tools';
import type { AgentService } from './agent-service';
import { authenticate, type TokenLookupFn } from './auth';
import { buildOpenApi } from './openapi';
import { ApiProblem, fieldErrors, sendProblem } from './problem';
import { createRateLimiter } from './rate-limit';
import { waitQuerySchema } from './schemas';
import type { LadderMetrics } from '../observability/ladder-metrics';
import { drainableServer, FRONTEND_DRAIN_MS, type DrainableServer } from '../observability/readiness';
import type { AgentApi } from './agent-api';
import type { TaskView } from './schemas';

/** Largest request body accepted; above it the answer is 413 and the body is not read further. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface ApiServerDeps {
  service: AgentService;
  /** The token registry's lookup (a query per request). */
  lookupToken: TokenLookupFn;
  policy: () => LoadedPolicy;
  log: Logger;
  /** Where requests are counted by route template and status, and timed; none when omitted. */
  metrics?: LadderMetrics;
  /**
   * Runs `fn` with its Temporal calls aborted when `signal` is (`client.withAbortSignal` of the
   * service's client). A long poll cut short by a drain is aborted with it, rather than left
   * retrying against a connection the process is about to close (gRPC then throws uncaught).
   * Omitted, an abandoned long poll runs on to its own deadline.
   */
  withAbortSignal?: <R>(signal: AbortSignal, fn: () => Promise<R>) => Promise<R>;
}

/** The route label of a request no route matched. */
export const UNMATCHED_ROUTE = 'unmatched';

/** What one request is known to be about, for the request log and the metrics. */
interface RequestNotes {
  agentId?: string;
  /** The route template it matched (`/v1/tasks/{taskId}`), as in the OpenAPI document. */
  route?: string;
}

/** A started API server. */
export interface RunningApi {
  server: Server;
  /** e.g. http://127.0.0.1:3200 */
  url: string;
  /** True once `close` was called: the process's `/readyz` should answer 503 `stopping`. */
  isDraining(): boolean;
  /**
   * Stops gracefully: refuses new connections, answers long polls in flight at once with the task
   * as it is (see {@link createApiServer}), lets other requests in flight finish for up to
   * `graceMs` (default {@link FRONTEND_DRAIN_MS}), then closes the connections left.
   */
  close(graceMs?: number): Promise<void>;
}

/** Reads the body up to {@link MAX_BODY_BYTES} and parses it as JSON. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw new ApiProblem('too-large', `the body is ${declared} bytes; the limit is 1 MB`);
  const type = String(req.headers['content-type'] ?? '');
  if (!/^application\/json\b/i.test(type) && !/\+json\b/i.test(type)) {
    throw new ApiProblem('unsupported-media-type', 'send the body as application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiProblem('too-large', 'the body is over 1 MB');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    throw new ApiProblem('invalid-json', (err as Error).message, [
      { path: '(root)', message: 'not valid JSON' },
    ]);
  }
}

/** A task id from the path, percent-decoded; one that does not decode names no task. */
function decodedTaskId(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiProblem(
      'not-found',
      `you have no task "${segment}": the task id in the path is not valid percent-encoding`,
    );
  }
}

/**
 * Answers a request Node's HTTP parser refused before any route saw it (headers over its 16 KB
 * limit, a malformed request line or length) with problem details, as every other refusal is,
 * instead of Node's bare status line; then closes the connection, whose stream is unusable.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const problem =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiProblem(
          'headers-too-large',
          'the request line and headers are over 16 KB together (a task id, query or header too long)',
        )
      : new ApiProblem(
          'malformed-request',
          `not a valid HTTP/1.1 request: ${err.code ?? 'unreadable'} (${(err.message ?? '').slice(0, 120)})`,
        );
  const body = JSON.stringify(problem.toJSON());
  socket.end(
    `HTTP/1.1 ${problem.status} ${problem.title}\r\ncontent-type: application/problem+json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

/**
 * A long poll that ends early, with the task as it is now, once `drain` is aborted: the answer a
 * wait that timed out gives (`done: false`), which agents already handle by polling again, so a
 * draining API sends them to another instance (or itself, once restarted) instead of holding them
 * until it is killed.
 */
async function waitUnlessDraining(
  api: AgentApi,
  taskId: string,
  timeoutSeconds: number,
  drain: AbortSignal,
  withAbortSignal: ApiServerDeps['withAbortSignal'],
): Promise<TaskView> {
  if (drain.aborted) return api.get(taskId);
  let onDrain: () => void = () => undefined;
  const drained = new Promise<'drained'>((resolve) => {
    onDrain = () => resolve('drained');
    drain.addEventListener('abort', onDrain, { once: true });
  });
  const waited = withAbortSignal
    ? withAbortSignal(drain, () => api.wait(taskId, timeoutSeconds))
    : api.wait(taskId, timeoutSeconds);
  try {
    const first = await Promise.race([waited, drained]);
    if (first !== 'drained') return first;
    // Abandoned: aborted with the drain when it can be, else bounded by its own deadline.
    waited.catch(() => undefined);
    return await api.get(taskId);
  } finally {
    drain.removeEventListener('abort', onDrain);
  }
}

/**
 * The agents' HTTP API and MCP endpoint on one node:http server. Every route but the OpenAPI
 * document needs a bearer token; the agent is whoever it belongs to. Agents never get anything
 * that reaches Temporal: the service does that on their behalf, scoped to their own tasks.
 */
export function createApiServer(deps: ApiServerDeps): Server {
  return buildApiServer(deps).server;
}

/** {@link createApiServer}, with the handle that drains it (long polls end when it starts). */
function buildApiServer(deps: ApiServerDeps): { server: Server; drainable: DrainableServer } {
  const limiter = createRateLimiter();
  const openapi = buildOpenApi();

  const identify = async (req: IncomingMessage, submitting: boolean): Promise<string> => {
    const agentId = await authenticate(req.headers.authorization, deps.lookupToken);
    const retryAfter = limiter.take(agentId, deps.policy().agentApi.requestsPerMinute);
    if (retryAfter !== null) {
      const limit = deps.policy().agentApi.requestsPerMinute;
      throw new ApiProblem(
        'rate-limited',
        `${agentId} is over ${limit} requests per minute: ${submitting ? 'the task was NOT submitted' : 'the request was not processed'}; retry after ${retryAfter} s`,
        undefined,
        retryAfter,
      );
    }
    return agentId;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, log: RequestNotes): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const allow = (methods: string[]) => {
      if (!methods.includes(method)) {
        res.setHeader('allow', methods.join(', '));
        throw new ApiProblem('method-not-allowed', `${method} is not allowed on ${path}`);
      }
    };

    if (path === '/v1/openapi.json') {
      log.route = path;
      allow(['GET']);
      return sendJson(res, 200, openapi);
    }
    if (path === '/mcp') {
      log.route = path;
      const agentId = (log.agentId = await identify(req, false));
      if (method !== 'POST') {
        // Stateless Streamable HTTP: no server-initiated stream, no session to delete.
        allow(['POST']);
      }
      const body = await readJson(req);
      // A JSON-RPC batch is as many requests as it has messages: one was counted above.
      if (Array.isArray(body) && body.length > 1) {
        const limit = deps.policy().agentApi.requestsPerMinute;
        const retryAfter = limiter.take(agentId, limit, undefined, body.length - 1);
        if (retryAfter !== null) {
          throw new ApiProblem(
            'rate-limited',
            `${agentId} is over ${limit} requests per minute: a batch of ${body.length} messages counts as ${body.length} requests; the batch was not processed; retry after ${retryAfter} s`,
            undefined,
            retryAfter,
          );
        }
      }
      const refused = bodyRefusal(body, LADDER_TOOLS);
      if (refused) return sendJson(res, 200, refused);
      const mcp = createLadderMcpServer(deps.service.forAgent(agentId));
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      res.on('close', () => {
        void transport.close();
        void mcp.close();
      });
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body);
      return;
    }
    if (path === '/v1/tasks') {
      log.route = path;
      allow(['POST']);
      const agentId = (log.agentId = await identify(req, true));
      let body: unknown;
      try {
        body = await readJson(req);
      } catch (err) {
        if (err instanceof ApiProblem)
          throw new ApiProblem(err.kind, `the task was NOT submitted: ${err.detail}`, err.errors);
        throw err;
      }
      const result = await deps.service.forAgent(agentId).submit(body);
      return sendJson(res, result.existing ? 200 : 201, result);
    }
    if (path === '/v1/me/rungs') {
      log.route = path;
      allow(['GET']);
      const agentId = (log.agentId = await identify(req, false));
      return sendJson(res, 200, await deps.service.forAgent(agentId).rungs());
    }
    const task = /^\/v1\/tasks\/([^/]+)(\/wait|\/cancel)?$/.exec(path);
    if (task) {
      const action = task[2];
      log.route = `/v1/tasks/{taskId}${action ?? ''}`;
      const taskId = decodedTaskId(task[1]);
      allow([action === '/cancel' ? 'POST' : 'GET']);
      const agentId = (log.agentId = await identify(req, false));
      const api = deps.service.forAgent(agentId);
      if (action === '/cancel') return sendJson(res, 202, await api.cancel(taskId));
      if (action === '/wait') {
        const query = waitQuerySchema.safeParse(Object.fromEntries(url.searchParams));
        if (!query.success) {
          throw new ApiProblem('invalid-request', 'bad query parameters', fieldErrors(query.error.issues));
        }
        return sendJson(
          res,
          200,
          await waitUnlessDraining(
            api,
            taskId,
            query.data.timeout,
            drainable.drainSignal,
            deps.withAbortSignal,
          ),
        );
      }
      return sendJson(res, 200, await api.get(taskId));
    }
    throw new ApiProblem('not-found', `no route ${method} ${path}`);
  };

  const server = createServer((req, res) => {
    const started = Date.now();
    const log: RequestNotes = {};
    const metrics = deps.metrics;
    if (metrics) {
      const startedAt = process.hrtime.bigint();
      // On close, not when the handler returns: MCP answers may still be streaming then, and a
      // client that hangs up mid-wait is counted as aborted.
      res.once('close', () =>
        metrics.apiRequest(
          log.route ?? UNMATCHED_ROUTE,
          res.writableFinished ? res.statusCode : 'aborted',
          Number(process.hrtime.bigint() - startedAt) / 1e9,
        ),
      );
    }
    handle(req, res, log)
      .catch((err: unknown) => {
        const problem =
          err instanceof ApiProblem
            ? err
            : new ApiProblem('internal', 'Ladder failed to answer this request; its log says why');
        if (!(err instanceof ApiProblem)) deps.log.error({ err }, 'request failed');
        if (res.headersSent) {
          res.end();
          return;
        }
        // A body we refused to read must not be read into the next request on this connection.
        if (problem.status === 413) res.setHeader('connection', 'close');
        sendProblem(res, problem);
      })
      .finally(() => {
        // Method, path, status and agent only: never headers (the token) or bodies.
        deps.log.info(
          {
            method: req.method,
            path: (req.url ?? '').split('?')[0],
            status: res.statusCode,
            agentId: log.agentId,
            ms: Date.now() - started,
          },
          'request',
        );
      });
  });
  server.on('clientError', answerClientError);
  const drainable = drainableServer(server);
  return { server, drainable };
}

/** Listens on 127.0.0.1 (agents reach it locally or through a proxy that terminates TLS). */
export async function startApiServer(deps: ApiServerDeps, port: number): Promise<RunningApi> {
  const { server, drainable } = buildApiServer(deps);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${actual}`,
    isDraining: () => drainable.draining,
    close: async (graceMs = FRONTEND_DRAIN_MS) => {
      const { cut } = await drainable.drain(graceMs);
      if (cut > 0) deps.log.warn({ cut, graceMs }, 'requests still running at the drain deadline were cut');
    },
  };
}
