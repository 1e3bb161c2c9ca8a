import { FaultRequestError, parseFaultRequest } from './faults';
import { parseRateLimitRequest, RateLimitRequestError } from './rate-limit-request';
import { feedEntryKeys, notificationKey, type Workspace } from './workspace';

/** An answer to a control request: HTTP status and JSON body. */
export interface ControlAnswer {
  status: number;
  payload: unknown;
}

/**
 * The emulator's control endpoints, which tests and chaos runs drive over HTTP:
 *
 * - `POST /emulator/faults` adds a fault (body: see `parseFaultRequest`); 400 naming the field
 *   when the body is wrong.
 * - `GET /emulator/faults` lists faults still waiting and how many calls were served one.
 * - `DELETE /emulator/faults` drops the waiting faults.
 * - `GET /emulator/rate-limits` shows Slack's limits in force (on or off, the rate of each tier and
 *   of chat.postMessage, each method's tier) and the calls let through and refused (429) so far,
 *   by method, by chat.postMessage channel and by the limit that refused them.
 * - `POST /emulator/rate-limits` changes them (body: see `parseRateLimitRequest`, e.g.
 *   `{"enabled":false}`) and answers like GET; 400 naming the field when the body is wrong.
 * - `DELETE /emulator/rate-limits` fills every bucket and zeroes the counters.
 * - `GET /emulator/messages[?key=K][&channel=C]` lists every channel message (ephemeral ones
 *   left out) with its channel, ts, text, edits and metadata key (and, for a channel feed's digest,
 *   the keys of the announcements it carries), and the messages deleted so far,
 *   so a checker can count messages per key and read their final text.
 * - `GET /emulator/home?user=U` is `U`'s App Home as the app last published it (`views.publish`):
 *   `{ok, home: {id, hash, view} | null}`; the page draws it. Opening it (`POST /emulator/home`)
 *   is what delivers `app_home_opened`; this GET changes nothing.
 *
 * @returns undefined when the path is none of these, so the caller routes it elsewhere.
 */
export function handleControlRequest(
  workspace: Workspace,
  httpMethod: string,
  url: URL,
  body: string,
): ControlAnswer | undefined {
  if (url.pathname === '/emulator/faults') {
    if (httpMethod === 'GET') return { status: 200, payload: { ok: true, ...workspace.faults.report() } };
    if (httpMethod === 'DELETE')
      return { status: 200, payload: { ok: true, cleared: workspace.faults.clear() } };
    if (httpMethod === 'POST') return addFault(workspace, body);
    return {
      status: 405,
      payload: { ok: false, error: `${httpMethod} /emulator/faults: use GET, POST or DELETE` },
    };
  }
  if (url.pathname === '/emulator/rate-limits') {
    if (httpMethod === 'GET') return rateLimitAnswer(workspace);
    if (httpMethod === 'DELETE') {
      workspace.rateLimits.reset();
      return rateLimitAnswer(workspace);
    }
    if (httpMethod === 'POST') return changeRateLimits(workspace, body);
    return {
      status: 405,
      payload: { ok: false, error: `${httpMethod} /emulator/rate-limits: use GET, POST or DELETE` },
    };
  }
  if (url.pathname === '/emulator/home' && httpMethod === 'GET') {
    const user = url.searchParams.get('user') ?? '';
    return { status: 200, payload: { ok: true, user, home: workspace.homes.get(user) ?? null } };
  }
  if (url.pathname === '/emulator/messages' && httpMethod === 'GET') {
    return { status: 200, payload: { ok: true, ...messageListing(workspace, url.searchParams) } };
  }
  return undefined;
}

function addFault(workspace: Workspace, body: string): ControlAnswer {
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch {
    return badRequest('', 'POST /emulator/faults expects a JSON body');
  }
  try {
    const { fault, method, count } = parseFaultRequest(input, Object.keys(workspace.methods));
    workspace.faults.add(fault, method, count);
    return { status: 200, payload: { ok: true, added: { ...fault, method: method ?? null, count } } };
  } catch (err) {
    if (err instanceof FaultRequestError) return badRequest(err.field, err.message);
    throw err;
  }
}

function badRequest(field: string, message: string, route = 'POST /emulator/faults'): ControlAnswer {
  return { status: 400, payload: { ok: false, field, error: `${route}: ${message}` } };
}

function rateLimitAnswer(workspace: Workspace): ControlAnswer {
  return { status: 200, payload: { ok: true, ...workspace.rateLimits.report() } };
}

function changeRateLimits(workspace: Workspace, body: string): ControlAnswer {
  const route = 'POST /emulator/rate-limits';
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch {
    return badRequest('', 'expects a JSON body such as {"enabled":false}', route);
  }
  try {
    const { change, reset } = parseRateLimitRequest(input);
    if (reset) workspace.rateLimits.reset();
    workspace.rateLimits.configure(change);
    return rateLimitAnswer(workspace);
  } catch (err) {
    if (err instanceof RateLimitRequestError) return badRequest(err.field, err.message, route);
    throw err;
  }
}

function messageListing(workspace: Workspace, query: URLSearchParams) {
  const key = query.get('key');
  const channel = query.get('channel');
  // Looked up, not created: a GET changes nothing.
  const channelId =
    channel === null
      ? undefined
      : ([...workspace.channels.values()].find(
          (c) =>
            c.id === channel || (c.kind === 'channel' && `#${c.name}` === `#${channel.replace(/^#/, '')}`),
        )?.id ?? '');
  const messages = [...workspace.channels.values()]
    .filter((c) => channelId === undefined || c.id === channelId)
    .flatMap((c) =>
      workspace
        .messages(c.id)
        .filter((m) => m.ephemeralTo === undefined)
        .map((m) => ({
          channel: c.id,
          channelName: c.kind === 'channel' ? `#${c.name}` : c.name,
          ts: m.ts,
          text: m.text,
          edits: m.edits,
          key: notificationKey(m) ?? null,
          entries: feedEntryKeys(m),
        })),
    )
    .filter((m) => key === null || m.key === key);
  const deleted = workspace.deleted.filter(
    (d) => (key === null || d.key === key) && (channelId === undefined || d.channel === channelId),
  );
  return { messages, deleted };
}
