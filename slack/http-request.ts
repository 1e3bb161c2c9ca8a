// The HTTP side of a Slack request, as pure helpers: reading a body within its limit, parsing it,
// checking the fields listeners rely on, and refusing what is not Slack's. Used by the front
// thread (slack/front-thread.ts), which owns the socket.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { isSlackUserId } from '../policy/slack-ids';

/** Slack sends small payloads; a body larger than this is not from Slack and is answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How much of an oversized body is read (and dropped) so the 413 reaches the client before the
 * connection closes; past this, the connection is cut.
 */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;

/** Why a body was not read. */
export class BodyTooLarge extends Error {}

/** Why a request was turned away before reaching any listener. */
export type RequestRefusal = { status: 400 | 401 | 404 | 405 | 413 | 500; reason: string };

/** Where refusals are logged: the app's logger, or the front thread's line to it. */
export interface RefusalLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Parses a Slack request body: form-encoded (slash commands; interactions as a JSON `payload`
 * field) or JSON (Events API). Never throws: a malformed body is answered 400 with the reason.
 */
export function parseSlackBody(
  contentType: string | undefined,
  raw: string,
): { ok: true; body: Record<string, unknown> } | { ok: false; reason: string } {
  try {
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      const form = parseQuery(raw);
      if (typeof form.payload === 'string') {
        const payload: unknown = JSON.parse(form.payload);
        if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
          return { ok: false, reason: 'payload is not a JSON object' };
        return { ok: true, body: payload as Record<string, unknown> };
      }
      return { ok: true, body: form as Record<string, unknown> };
    }
    if (contentType?.startsWith('application/json')) {
      const body: unknown = JSON.parse(raw);
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return { ok: false, reason: 'body is not a JSON object' };
      return { ok: true, body: body as Record<string, unknown> };
    }
    return { ok: false, reason: `unsupported content-type ${contentType ?? '(none)'}` };
  } catch (err) {
    return { ok: false, reason: `malformed body: ${(err as Error).message}` };
  }
}

const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';
/** What a Slack user id looks like (`U…`, or `W…` on Enterprise Grid). */
const isUserId = isSlackUserId;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The first field Slack always sends with a request of this kind that is missing or of the wrong
 * type, as `block_actions payload without user.id`; undefined when the request has them all or is
 * of a kind Ladder does not handle (Bolt answers those). Checked before Bolt and the listeners see
 * the body, because they read these fields without looking: a signed request missing one (another
 * app holding the secret, a replay tool, a bug) would otherwise throw inside a listener, or be
 * acknowledged and dropped without a word. Pure.
 */
export function missingSlackField(body: Record<string, unknown>): string | undefined {
  const user = isRecord(body.user) ? body.user : {};
  if (body.type === undefined && 'command' in body) {
    const form = body as Record<string, unknown>;
    for (const key of ['command', 'user_id', 'channel_id', 'trigger_id', 'response_url'])
      if (!isText(form[key])) return `slash command without a single ${key}`;
    if (!(form.command as string).startsWith('/')) return 'slash command whose command does not start with /';
    if (!isUserId(form.user_id)) return 'slash command whose user_id is not a Slack user id';
    if (typeof form.text !== 'string') return 'slash command without a single text';
    return undefined;
  }
  switch (body.type) {
    case 'block_actions': {
      if (!isText(user.id)) return 'block_actions payload without user.id';
      if (!isUserId(user.id)) return 'block_actions payload whose user.id is not a Slack user id';
      if (!Array.isArray(body.actions) || body.actions.length === 0)
        return 'block_actions payload without actions';
      const at = body.actions.findIndex((a: unknown) => !isRecord(a) || !isText(a.action_id));
      return at < 0 ? undefined : `block_actions payload without actions[${at}].action_id`;
    }
    case 'view_submission':
    case 'view_closed': {
      if (!isText(user.id)) return `${body.type} payload without user.id`;
      if (!isUserId(user.id)) return `${body.type} payload whose user.id is not a Slack user id`;
      if (!isRecord(body.view)) return `${body.type} payload without view`;
      if (!isText(body.view.callback_id)) return `${body.type} payload without view.callback_id`;
      if (typeof body.view.private_metadata !== 'string')
        return `${body.type} payload without view.private_metadata`;
      if (body.type === 'view_submission' && !(isRecord(body.view.state) && isRecord(body.view.state.values)))
        return 'view_submission payload without view.state.values';
      return undefined;
    }
    case 'event_callback':
      return isRecord(body.event) && isText(body.event.type)
        ? undefined
        : 'event_callback without event.type';
    case 'url_verification':
      return isText(body.challenge) ? undefined : 'url_verification without a challenge';
    default:
      return undefined;
  }
}

/**
 * Answers `refusal` (logged as a warning), unless an answer was sent already. A body left unread is
 * drained behind the answer (see {@link drain}).
 */
export function refuse(
  res: ServerResponse,
  refusal: RequestRefusal,
  log: RefusalLog,
  req?: IncomingMessage,
): void {
  log.warn({ status: refusal.status, reason: refusal.reason }, 'slack request refused');
  if (res.headersSent) return;
  const headers: Record<string, string> = { 'content-type': 'text/plain' };
  // A body left unread (refused route, oversized) is read to its end while the answer goes out:
  // Node destroys a `connection: close` socket as soon as the answer is written, and a sender
  // still sending then gets a broken pipe instead of the answer. Only a body declared past what is
  // ever read is cut, and told so.
  const unread = req !== undefined && !req.complete;
  const declared = Number(req?.headers['content-length']);
  const drainable = unread && !(Number.isFinite(declared) && declared > MAX_DRAIN_BYTES);
  if (unread && !drainable) headers.connection = 'close';
  res.writeHead(refusal.status, headers);
  res.end(refusal.reason);
  if (drainable) drain(req);
}

/**
 * Reads and drops what is left of a refused request's body, so the client, still sending, reads
 * the answer instead of a reset, and the connection serves its next request; a sender that goes
 * on past {@link MAX_DRAIN_BYTES} is cut off.
 */
function drain(req: IncomingMessage): void {
  let drained = 0;
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_BYTES) req.destroy();
  });
  req.on('error', () => undefined);
  req.resume();
}

/** The body as UTF-8; rejects with {@link BodyTooLarge} past {@link MAX_BODY_BYTES}, declared or sent. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES)
      return reject(new BodyTooLarge(`body larger than ${MAX_BODY_BYTES} bytes`));
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        chunks.length = 0;
        reject(new BodyTooLarge(`body larger than ${MAX_BODY_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** A request header's first value. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A request header as an integer; undefined when absent. */
export function numberHeader(req: IncomingMessage, name: string): number | undefined {
  const value = header(req, name);
  return value === undefined ? undefined : Number.parseInt(value, 10);
}
