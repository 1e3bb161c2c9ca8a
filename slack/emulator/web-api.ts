import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A message as the emulator stores it (Slack's shape, trimmed to what Ladder reads). */
export interface EmulatedMessage {
  ts: string;
  channel: string;
  text: string;
  blocks: unknown[];
  /** The user an ephemeral message was shown to; absent for normal messages. */
  ephemeralTo?: string;
  edits: number;
}

/** A fault the next matching calls answer with, for tests of retries and rate limits. */
export type Fault =
  | { kind: 'rate-limited'; retryAfterSeconds: number }
  | { kind: 'server-error' }
  | { kind: 'slow'; delayMs: number };

/** The Slack Web API subset Ladder calls, served on 127.0.0.1 with Slack's response shapes and errors. */
export interface SlackWebApiEmulator {
  /** Base URL for `WebClient({ slackApiUrl })`, ending in `/api/`. */
  apiUrl: string;
  /** Messages per channel id, in posting order. */
  messages(channel: string): EmulatedMessage[];
  /** The channel id for a name such as `#ops` (created on first use, as if the bot were invited). */
  channelId(name: string): string;
  /** The DM channel id with a user. */
  dmWith(user: string): string;
  /** Makes the next `times` calls to `method` (or any method) fail or stall as `fault` says. */
  injectFault(fault: Fault, options?: { method?: string; times?: number }): void;
  /** Every API call received, in order (method and status). */
  calls: { method: string; status: number }[];
  close(): Promise<void>;
}

/**
 * Starts the emulator's Web API. Any `xoxb-` bearer token is accepted; a missing or other token is
 * answered like Slack does (`not_authed`, `invalid_auth`).
 *
 * @param port - 0 picks a free port.
 */
export async function startSlackWebApi(port = 0): Promise<SlackWebApiEmulator> {
  const channels = new Map<string, string>(); // name → id
  const messages = new Map<string, EmulatedMessage[]>(); // id → messages
  const faults: { fault: Fault; method?: string; remaining: number }[] = [];
  const calls: { method: string; status: number }[] = [];
  let tsCounter = 0;
  let idCounter = 0;

  const channelId = (nameOrId: string): string => {
    if (/^[CD][A-Z0-9]+$/.test(nameOrId)) return nameOrId;
    const name = nameOrId.replace(/^#/, '');
    if (!channels.has(name)) channels.set(name, `C${String(++idCounter).padStart(8, '0')}`);
    return channels.get(name)!;
  };
  const dmWith = (user: string): string => {
    const key = `dm:${user}`;
    if (!channels.has(key)) channels.set(key, `D${String(++idCounter).padStart(8, '0')}`);
    return channels.get(key)!;
  };
  const list = (id: string): EmulatedMessage[] => {
    if (!messages.has(id)) messages.set(id, []);
    return messages.get(id)!;
  };
  const nextTs = (): string => `${1_700_000_000 + ++tsCounter}.${String(tsCounter).padStart(6, '0')}`;

  const methods: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({ ok: true, user_id: 'U0LADDERBOT', team_id: 'T0EMULATED', bot_id: 'B0LADDER' }),
    'chat.postMessage': (args) => {
      if (typeof args.channel !== 'string' || args.channel === '')
        return { ok: false, error: 'channel_not_found' };
      if (typeof args.text !== 'string' && !Array.isArray(args.blocks))
        return { ok: false, error: 'no_text' };
      const channel = channelId(args.channel);
      const message: EmulatedMessage = {
        ts: nextTs(),
        channel,
        text: String(args.text ?? ''),
        blocks: (args.blocks as unknown[]) ?? [],
        edits: 0,
      };
      list(channel).push(message);
      return {
        ok: true,
        channel,
        ts: message.ts,
        message: { text: message.text, blocks: message.blocks, ts: message.ts },
      };
    },
    'chat.update': (args) => {
      const channel = typeof args.channel === 'string' ? channelId(args.channel) : '';
      const message = list(channel).find((m) => m.ts === args.ts);
      if (!message) return { ok: false, error: 'message_not_found' };
      message.text = String(args.text ?? message.text);
      message.blocks = (args.blocks as unknown[]) ?? message.blocks;
      message.edits++;
      return { ok: true, channel, ts: message.ts };
    },
    'chat.postEphemeral': (args) => {
      if (typeof args.user !== 'string') return { ok: false, error: 'user_not_found' };
      const channel = channelId(String(args.channel ?? ''));
      const message: EmulatedMessage = {
        ts: nextTs(),
        channel,
        text: String(args.text ?? ''),
        blocks: (args.blocks as unknown[]) ?? [],
        ephemeralTo: args.user,
        edits: 0,
      };
      list(channel).push(message);
      return { ok: true, message_ts: message.ts };
    },
    'conversations.open': (args) => {
      const users = String(args.users ?? '')
        .split(',')
        .filter(Boolean);
      if (users.length !== 1)
        return { ok: false, error: users.length === 0 ? 'users_list_not_supplied' : 'not_implemented' };
      return { ok: true, channel: { id: dmWith(users[0]) } };
    },
    'users.info': (args) => {
      if (typeof args.user !== 'string' || !/^[UW][A-Z0-9]{2,}$/.test(args.user))
        return { ok: false, error: 'user_not_found' };
      return { ok: true, user: { id: args.user, name: args.user.toLowerCase(), real_name: args.user } };
    },
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0];
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      calls.push({ method, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString('utf8')));
      req.on('end', () => resolve(text));
    });
    const fault = faults.find((f) => f.remaining > 0 && (f.method === undefined || f.method === method));
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
    const impl = methods[method];
    if (!impl) return send(404, { ok: false, error: 'unknown_method' });
    send(200, impl(parseArgs(req.headers['content-type'], body)));
  }
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const { port: bound } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${bound}/api/`,
    messages: (channel) => [...list(channelId(channel))],
    channelId,
    dmWith,
    injectFault: (fault, options = {}) =>
      faults.push({ fault, method: options.method, remaining: options.times ?? 1 }),
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Slack clients send form-encoded bodies (JSON-encoded `blocks` inside) or JSON. */
function parseArgs(contentType: string | undefined, body: string): Record<string, unknown> {
  if (body === '') return {};
  if (contentType?.includes('application/json')) return JSON.parse(body) as Record<string, unknown>;
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    args[key] = key === 'blocks' || key === 'attachments' || key === 'view' ? JSON.parse(value) : value;
  }
  return args;
}
