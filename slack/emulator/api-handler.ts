import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Workspace } from './workspace';

/**
 * Serves one `/api/<method>` request from the workspace, faults first: a 429 or 500 does nothing,
 * a `slow` call is done and answered after its delay, a `slow-answer` call is done at once and
 * answered after its delay. A delayed call still runs when the caller has hung up, as on Slack.
 *
 * An authenticated call to a known method then meets Slack's rate limits (`workspace.rateLimits`)
 * when it is done: over them it is answered as Slack does, HTTP 429 with `Retry-After` in whole
 * seconds and `{ok:false,error:"ratelimited"}`, and nothing is done. A faulted call spends no token.
 */
export async function handleApiRequest(
  workspace: Workspace,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
  const send = (answer: ApiAnswer): void => {
    workspace.calls.push({ method, status: answer.status, at: Date.now() });
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(JSON.stringify(answer.payload));
  };
  const fault = workspace.faults.take(method);
  if (fault?.kind === 'rate-limited') {
    return send({
      status: 429,
      payload: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(fault.retryAfterSeconds) },
    });
  }
  if (fault?.kind === 'server-error')
    return send({ status: 500, payload: { ok: false, error: 'internal_error' } });
  // A delay cut short means the emulator is closing: drop the call, done or not, unanswered.
  if (fault?.kind === 'slow' && !(await workspace.faults.delay(fault.delayMs))) return;
  const answer = callMethod(workspace, method, req, body);
  if (fault?.kind === 'slow-answer' && !(await workspace.faults.delay(fault.delayMs))) return;
  send(answer);
}

interface ApiAnswer {
  status: number;
  payload: unknown;
  headers?: Record<string, string>;
}

function callMethod(workspace: Workspace, method: string, req: IncomingMessage, body: string): ApiAnswer {
  const ok = (payload: unknown): ApiAnswer => ({ status: 200, payload });
  const auth = req.headers.authorization;
  if (!auth) return ok({ ok: false, error: 'not_authed' });
  if (!/^Bearer xoxb-/.test(auth)) return ok({ ok: false, error: 'invalid_auth' });
  // Own properties only: `toString` or `constructor` is not a Web API method.
  const impl = Object.hasOwn(workspace.methods, method) ? workspace.methods[method] : undefined;
  if (!impl) return { status: 404, payload: { ok: false, error: 'unknown_method' } };
  let args: Record<string, unknown>;
  try {
    args = parseArgs(req.headers['content-type'], body);
  } catch {
    return ok({ ok: false, error: 'invalid_form_data' });
  }
  const limited = workspace.rateLimits.check({
    app: auth.slice('Bearer '.length),
    method,
    channel:
      method === 'chat.postMessage' && typeof args.channel === 'string'
        ? workspace.channelLimitKey(args.channel)
        : undefined,
  });
  if (limited)
    return {
      status: 429,
      payload: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(limited.retryAfterSeconds) },
    };
  return ok(impl(args));
}

/** Slack clients send form-encoded bodies (JSON-encoded `blocks` and `view` inside) or JSON. */
function parseArgs(contentType: string | undefined, body: string): Record<string, unknown> {
  if (body === '') return {};
  if (contentType?.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = ['blocks', 'attachments', 'view', 'metadata'].includes(key) ? JSON.parse(value) : value;
  }
  return args;
}
