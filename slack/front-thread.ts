// The Slack app's front thread: it owns the HTTP socket, so Slack's requests are read, verified
// and, for clicks on Ladder's buttons, acknowledged here, out of reach of the main thread's
// event loop. Under load that loop spends tens of milliseconds at a time on Temporal and Web API
// replies, and a click waiting behind it waited for its ack too (bench:tasks, 20 clicks in
// flight: ack p99 215 ms, most of it before the app's handler ran). Everything a request means is
// still decided by Bolt and the listeners on the main thread (slack/receiver.ts).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { slackAckKind } from '../observability/labels';
import { drainableServer } from '../observability/readiness';
import { ladderActionOfId } from './action-ids';
import type { FromFront, FrontThreadData, ToFront } from './front-messages';
import {
  BodyTooLarge,
  header,
  missingSlackField,
  numberHeader,
  parseSlackBody,
  readBody,
  refuse,
  type RefusalLog,
} from './http-request';
import { verifySlackSignature } from './verify-signature';

/**
 * Whether the front may acknowledge `body` itself: a click on one of Ladder's own buttons. Slack
 * reads nothing from a click's ack, and every Ladder button's listener acks before anything else,
 * so answering here changes nothing but when. Any other request waits for Bolt's answer (a click
 * no listener handles is still answered 404). Pure.
 */
export function acksAtFront(body: Record<string, unknown>): boolean {
  if (body.type !== 'block_actions' || !Array.isArray(body.actions)) return false;
  const first: unknown = body.actions[0];
  return (
    typeof first === 'object' &&
    first !== null &&
    ladderActionOfId((first as { action_id?: unknown }).action_id) !== undefined
  );
}

/**
 * Serves Slack's requests on 127.0.0.1 for the main thread at the other end of `port`: refuses
 * what is not Slack's (unsigned, stale or future-dated, malformed, too large, wrong route), answers
 * `ssl_check` and `url_verification`, acknowledges clicks on Ladder's buttons at once (see
 * {@link acksAtFront}), and passes every signed, well-formed request to the main thread.
 */
export function serveFront(data: FrontThreadData, port: MessagePort): void {
  const post = (message: FromFront): void => port.postMessage(message);
  const log: RefusalLog = {
    warn: (fields, message) => post({ type: 'log', level: 'warn', fields, message }),
  };
  const waiting = new Map<number, ServerResponse>();
  let nextId = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const receivedAt = process.hrtime.bigint();
    const path = (req.url ?? '').split('?')[0];
    if (path !== data.path) return refuse(res, { status: 404, reason: `no route ${path}` }, log, req);
    if (req.method !== 'POST')
      return refuse(res, { status: 405, reason: `method ${req.method} not allowed` }, log, req);
    let raw: string;
    try {
      raw = await readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLarge) return refuse(res, { status: 413, reason: err.message }, log, req);
      const reason = `could not read the body: ${(err as Error).message}`;
      return refuse(res, { status: 400, reason }, log, req);
    }
    const check = verifySlackSignature({
      signingSecret: data.signingSecret,
      timestamp: header(req, 'x-slack-request-timestamp'),
      signature: header(req, 'x-slack-signature'),
      rawBody: raw,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    if (!check.ok) return refuse(res, { status: 401, reason: check.reason }, log);
    const parsed = parseSlackBody(header(req, 'content-type'), raw);
    if (!parsed.ok) return refuse(res, { status: 400, reason: parsed.reason }, log);
    const body = parsed.body;
    const missing = missingSlackField(body);
    if (missing) return refuse(res, { status: 400, reason: missing }, log);
    const kind = slackAckKind(body);
    res.once('finish', () =>
      post({ type: 'answered', kind, seconds: Number(process.hrtime.bigint() - receivedAt) / 1e9 }),
    );
    if (body.type === 'ssl_check') return void res.writeHead(200).end();
    if (body.type === 'url_verification') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ challenge: body.challenge }));
    }
    const id = ++nextId;
    const acked = acksAtFront(body);
    if (acked) res.writeHead(200).end();
    else {
      waiting.set(id, res);
      res.once('close', () => waiting.delete(id));
    }
    const retryNum = numberHeader(req, 'x-slack-retry-num');
    const retryReason = header(req, 'x-slack-retry-reason');
    post({
      type: 'request',
      id,
      body,
      acked,
      ...(retryNum !== undefined ? { retryNum } : {}),
      ...(retryReason !== undefined ? { retryReason } : {}),
    });
  };

  const server = createServer((req, res) => void handle(req, res));
  const drainable = drainableServer(server);
  port.on('message', (message: ToFront) => {
    if (message.type === 'drain') {
      void drainable.drain(message.graceMs).then(({ cut }) => post({ type: 'drained', cut }));
      return;
    }
    const res = waiting.get(message.id);
    if (!res || res.headersSent) return;
    waiting.delete(message.id);
    if (message.status !== 200) return refuse(res, { status: message.status, reason: message.reason }, log);
    if (message.json) res.writeHead(200, { 'content-type': 'application/json' });
    else res.writeHead(200);
    res.end(message.text ?? '');
  });
  server.once('error', (err) => post({ type: 'failed', message: err.message }));
  server.listen(data.port, '127.0.0.1', () =>
    post({ type: 'listening', port: (server.address() as AddressInfo).port }),
  );
}

// Loaded as a thread's entry (config/thread-code's MODULE_THREAD_CODE): serve at once.
if (parentPort && (workerData as Partial<FrontThreadData> | null)?.entry === __filename)
  serveFront(workerData as FrontThreadData, parentPort);
