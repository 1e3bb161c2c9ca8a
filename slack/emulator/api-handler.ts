import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Workspace } from './workspace';

/** Serves one `/api/<method>` request from the workspace, faults first. */
export async function handleApiRequest(
  workspace: Workspace,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): Promise<void> {
  const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
  const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
    workspace.calls.push({ method, status, at: Date.now() });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(payload));
  };
  const fault = workspace.faults.find(
    (f) => f.remaining > 0 && (f.method === undefined || f.method === method),
  );
  if (fault) {
    fault.remaining--;
    if (fault.fault.kind === 'rate-limited') {
      return send(
        429,
        { ok: false, error: 'ratelimited' },
        { 'retry-after': String(fault.fault.retryAfterSeconds) },
      );
    }
    if (fault.fault.kind === 'server-error') return send(500, { ok: false, error: 'internal_error' });
    await new Promise((r) => setTimeout(r, (fault.fault as { delayMs: number }).delayMs));
  }
  const auth = req.headers.authorization;
  if (!auth) return send(200, { ok: false, error: 'not_authed' });
  if (!/^Bearer xoxb-/.test(auth)) return send(200, { ok: false, error: 'invalid_auth' });
  const impl = workspace.methods[method];
  if (!impl) return send(404, { ok: false, error: 'unknown_method' });
  let args: Record<string, unknown>;
  try {
    args = parseArgs(req.headers['content-type'], body);
  } catch {
    return send(200, { ok: false, error: 'invalid_form_data' });
  }
  send(200, impl(args));
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
