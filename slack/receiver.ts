// Transport only: HTTP in, signature check, body parsing, ack out. What requests mean is the
// listeners' business (slack/listeners/), so the same logic runs behind Socket Mode too.
import { isSlackUserId } from '../policy/slack-ids';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { HTTPResponseAck, type App, type Receiver, type ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../config/logger';
import { slackAckKind, type SlackAckKind } from '../observability/labels';
import { drainableServer, FRONTEND_DRAIN_MS, type DrainableServer } from '../observability/readiness';
import { boltLogger } from './bolt-logger';
import { verifySlackSignature } from './verify-signature';

/** Slack sends small payloads; a body larger than this is not from Slack and is answered 413. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * How much of an oversized body is read (and dropped) so the 413 reaches the client before the
 * connection closes; past this, the connection is cut.
 */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;

/** Why a body was not read. */
class BodyTooLarge extends Error {}

export interface SlackHttpReceiverOptions {
  signingSecret: string;
  /** 0 picks a free port. */
  port: number;
  /** Where Slack posts commands, interactions and events. */
  path?: string;
  logger: Logger;
  /** Current Unix time in seconds; injected by tests of the timestamp window. */
  nowSeconds?: () => number;
  /**
   * Told, for every signed and well-formed request, how long it took from arriving to its answer
   * being sent (the ack Slack waits 3 s for), in seconds, and what kind of request it was.
   */
  onAck?: (kind: SlackAckKind, seconds: number) => void;
}

/** Why a request was turned away before reaching any listener. */
export type RequestRefusal = { status: 400 | 401 | 404 | 405 | 413; reason: string };

/**
 * Bolt receiver over node:http that verifies every request with {@link verifySlackSignature}
 * (stale *and* future timestamps refused, unlike Bolt's own check) before Bolt sees it. It binds
 * to 127.0.0.1: in production a reverse proxy or tunnel forwards Slack's requests to it.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | undefined;
  private server: Server | undefined;
  private drainable: DrainableServer | undefined;
  private readonly path: string;

  constructor(private readonly options: SlackHttpReceiverOptions) {
    this.path = options.path ?? '/slack/events';
  }

  init(app: App): void {
    this.app = app;
  }

  /** Listens on 127.0.0.1; resolves with the URL Slack (or the emulator) should post to. */
  async start(): Promise<{ url: string; port: number }> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    this.drainable = drainableServer(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}${this.path}`, port };
  }

  /** True once `stop` was called and until the next `start`: requests in flight are finishing. */
  isDraining(): boolean {
    return this.drainable?.draining ?? false;
  }

  /**
   * Stops gracefully: refuses new connections, lets requests in flight (a click waiting for its
   * ack, a listener still answering) finish for up to `graceMs` (default {@link FRONTEND_DRAIN_MS};
   * Slack retries what is cut), then closes the connections left.
   */
  async stop(graceMs: number = FRONTEND_DRAIN_MS): Promise<void> {
    const drainable = this.drainable;
    this.server = undefined;
    if (!drainable) return;
    const { cut } = await drainable.drain(graceMs);
    this.drainable = undefined;
    if (cut > 0)
      this.options.logger.warn(
        { cut, graceMs },
        'slack requests still running at the drain deadline were cut',
      );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = process.hrtime.bigint();
    const log = this.options.logger;
    // Unknown paths and methods are answered at once, before any body is read.
    const refusal = this.checkRoute(req);
    if (refusal) return refuse(res, refusal, log, req);
    let raw: string;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) return refuse(res, { status: 413, reason: err.message }, log, req);
      return refuse(
        res,
        { status: 400, reason: `could not read the body: ${(err as Error).message}` },
        log,
        req,
      );
    }
    const check = verifySlackSignature({
      signingSecret: this.options.signingSecret,
      timestamp: header(req, 'x-slack-request-timestamp'),
      signature: header(req, 'x-slack-signature'),
      rawBody: raw,
      nowSeconds: this.options.nowSeconds?.() ?? Math.floor(Date.now() / 1000),
    });
    if (!check.ok) return refuse(res, { status: 401, reason: check.reason }, log);

    const parsed = parseSlackBody(header(req, 'content-type'), raw);
    if (!parsed.ok) return refuse(res, { status: 400, reason: parsed.reason }, log);
    const body = parsed.body;
    const missing = missingSlackField(body);
    if (missing) return refuse(res, { status: 400, reason: missing }, log);
    const onAck = this.options.onAck;
    if (onAck) {
      const kind = slackAckKind(body);
      res.once('finish', () => onAck(kind, Number(process.hrtime.bigint() - receivedAt) / 1e9));
    }
    if (body.type === 'ssl_check') return void res.writeHead(200).end();
    if (body.type === 'url_verification') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ challenge: body.challenge }));
    }

    const ack = new HTTPResponseAck({
      logger: boltLogger(log),
      processBeforeResponse: false,
      httpRequest: req,
      httpRequestBody: body,
      httpResponse: res,
      // Bolt's own timer (3 s) answers 404 only if nothing has answered by then.
      unhandledRequestHandler: ({ response }) => {
        if (!response.headersSent) refuse(response, { status: 404, reason: 'no listener acknowledged' }, log);
      },
    });
    const event: ReceiverEvent = {
      body,
      ack: ack.bind(),
      retryNum: numberHeader(req, 'x-slack-retry-num'),
      retryReason: header(req, 'x-slack-retry-reason'),
    };
    try {
      await this.app!.processEvent(event);
    } catch (err) {
      // A listener that throws must not leave Slack waiting: answer if nothing was sent yet.
      log.error({ err: (err as Error).message, type: body.type }, 'slack listener failed');
      if (!res.headersSent) res.writeHead(500).end();
      return;
    }
    // Every listener has finished and none acknowledged (no listener for this request): say so
    // now rather than after Bolt's 3-second timer.
    if (!res.headersSent)
      refuse(res, { status: 404, reason: `no listener for this ${String(body.type ?? 'request')}` }, log);
  }

  private checkRoute(req: IncomingMessage): RequestRefusal | undefined {
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.path) return { status: 404, reason: `no route ${path}` };
    if (req.method !== 'POST') return { status: 405, reason: `method ${req.method} not allowed` };
    return undefined;
  }
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

function refuse(res: ServerResponse, refusal: RequestRefusal, log: Logger, req?: IncomingMessage): void {
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
function readBody(req: IncomingMessage): Promise<string> {
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

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function numberHeader(req: IncomingMessage, name: string): number | undefined {
  const value = header(req, name);
  return value === undefined ? undefined : Number.parseInt(value, 10);
}
