import { Transform, type TransformCallback } from 'node:stream';
import { JSONRPCMessageSchema, type JSONRPCErrorResponse } from '@modelcontextprotocol/sdk/types.js';
import { formatPath } from '../policy/checks';
import { limitObjections, prototypeKeyObjections } from '../policy/limits';

// What the MCP SDK does not answer well, answered before it sees a message, on both transports
// (the HTTP endpoint in api/server.ts, the stdio server's input in stdio.ts):
// - tool arguments are parsed by schemas that drop a key named `__proto__` without a word, and
//   that walk a task of any size before Ladder's size limits could refuse it;
// - a tool name such as `constructor` is found on Object.prototype and reported as "disabled";
// - on stdio, a line that is not JSON-RPC gets no answer at all (the agent waits forever), and a
//   line over the SDK's 10 MB buffer closes the session.

/** Largest message accepted, as the HTTP API's body limit (api/server.ts). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** JSON-RPC error codes. */
const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const INVALID_PARAMS = -32602;

type Id = string | number | null;

const errorAnswer = (id: Id, code: number, message: string): JSONRPCErrorResponse =>
  ({ jsonrpc: '2.0', id, error: { code, message } }) as JSONRPCErrorResponse;

const idOf = (message: unknown): Id => {
  const id = (message as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
};

/**
 * The error answer for one parsed JSON-RPC message, or null to let the SDK handle it: a
 * `tools/call` naming a tool that is not one of `tools`, a `request_action` over the task size
 * limits (policy/limits.ts), or arguments carrying a key named `__proto__` anywhere (named by its
 * path in the arguments). Pure.
 */
export function requestRefusal(message: unknown, tools: readonly string[]): JSONRPCErrorResponse | null {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return null;
  const m = message as { method?: unknown; params?: { name?: unknown; arguments?: unknown } };
  const id = idOf(message);
  if (m.method !== 'tools/call' || id === null) return null;
  const name = m.params?.name;
  if (typeof name === 'string' && !tools.includes(name))
    return errorAnswer(id, INVALID_PARAMS, `Tool ${name} not found (Ladder's tools: ${tools.join(', ')})`);
  // A task too large to run is refused with its size alone, as the HTTP API does, before the SDK's
  // schema walks it (ten thousand steps) or names a field of it instead.
  const size = name === 'request_action' ? limitObjections(m.params?.arguments) : undefined;
  if (size?.fatal)
    return errorAnswer(
      id,
      INVALID_PARAMS,
      `Invalid arguments for tool request_action: the task was NOT submitted: ${size.errors.join('; ')}`,
    );
  const found = prototypeKeyObjections(m.params?.arguments);
  if (found.length === 0) return null;
  return errorAnswer(id, INVALID_PARAMS, `Invalid arguments for tool ${String(name)}: ${found.join('; ')}`);
}

/**
 * The answer to a whole HTTP body (one message or a batch) when {@link requestRefusal} refuses any
 * message in it: every request in a batch is refused then, so none runs half of it. Null otherwise.
 */
export function bodyRefusal(
  body: unknown,
  tools: readonly string[],
): JSONRPCErrorResponse | JSONRPCErrorResponse[] | null {
  if (!Array.isArray(body)) return requestRefusal(body, tools);
  // Answers are matched to requests by id: two requests under one id would both run, and only one
  // answer could say so.
  const ids = body.map(idOf);
  const repeated = (id: string | number | null): boolean =>
    id !== null && ids.indexOf(id) !== ids.lastIndexOf(id);
  const refusals = body.map((m: unknown, i) =>
    repeated(ids[i])
      ? errorAnswer(
          ids[i],
          INVALID_REQUEST,
          `id ${JSON.stringify(ids[i])} is used by more than one request in this batch; nothing in it was done: give each request its own id`,
        )
      : requestRefusal(m, tools),
  );
  const first = refusals.find((r) => r !== null);
  if (!first) return null;
  return body.flatMap((m: unknown, i) => {
    const id = idOf(m);
    return id === null ? [] : [refusals[i] ?? { ...first, id }];
  });
}

/** The answer to one stdio line that must not reach the SDK, or null to pass it on. */
export function lineRefusal(line: string, tools: readonly string[]): JSONRPCErrorResponse | null {
  const bytes = Buffer.byteLength(line, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) {
    const id = /^\s*\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*("[^"]{0,200}"|\d{1,15})/.exec(line)?.[1];
    return errorAnswer(
      id === undefined ? null : (JSON.parse(id) as string | number),
      INVALID_REQUEST,
      `the message is ${bytes} bytes; the limit is ${MAX_MESSAGE_BYTES} (1 MB)`,
    );
  }
  if (line.trim() === '') return null;
  let message: unknown;
  try {
    message = JSON.parse(line);
  } catch (err) {
    return errorAnswer(null, PARSE_ERROR, `Parse error: not valid JSON (${(err as Error).message})`);
  }
  const version = (message as { jsonrpc?: unknown } | null)?.jsonrpc;
  if (version !== '2.0')
    return errorAnswer(
      idOf(message),
      INVALID_REQUEST,
      `Invalid Request: "jsonrpc" must be "2.0", got ${version === undefined ? 'nothing' : JSON.stringify(version)}`,
    );
  const checked = JSONRPCMessageSchema.safeParse(message);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const where = issue ? ` at ${formatPath(issue.path.filter((p) => typeof p !== 'symbol'))}` : '';
    return errorAnswer(idOf(message), INVALID_REQUEST, `Invalid Request: not a JSON-RPC 2.0 message${where}`);
  }
  return requestRefusal(message, tools);
}

/**
 * The stdio server's input, line by line: a line {@link lineRefusal} refuses is answered through
 * `answer` (stdout) and not passed on; every other line is passed on as it came. A line still
 * growing past the size limit is dropped as it arrives, so memory stays bounded.
 */
export function guardStdioInput(answer: (line: string) => void, tools: readonly string[]): Transform {
  let pending = '';
  let dropping = false;
  const check = (line: string, push: (l: string) => void): void => {
    const refusal = lineRefusal(line, tools);
    if (refusal) answer(`${JSON.stringify(refusal)}\n`);
    else push(`${line}\n`);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      const lines = (pending + chunk.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (dropping) {
          dropping = false;
          continue;
        }
        check(line, (l) => this.push(l));
      }
      if (pending.length > MAX_MESSAGE_BYTES * 2) {
        if (!dropping) check(pending, () => undefined);
        pending = '';
        dropping = true;
      }
      done();
    },
    flush(done: TransformCallback) {
      if (pending !== '' && !dropping) this.push(pending);
      done();
    },
  });
}
