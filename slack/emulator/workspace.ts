import { isSlackUserId } from '../../policy/slack-ids';
import { randomBytes } from 'node:crypto';
import { blockKitProblem } from './block-kit-check';
import { FaultQueue } from './faults';
import { WebApiRateLimits } from './rate-limits';

export type { Fault } from './faults';

/** A message as the emulator stores it (Slack's shape, trimmed to what Ladder reads). */
export interface EmulatedMessage {
  ts: string;
  channel: string;
  text: string;
  blocks: unknown[];
  /** The user an ephemeral message was shown to; absent for normal messages. */
  ephemeralTo?: string;
  edits: number;
  /** Message metadata (`event_type`, `event_payload`) as posted. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

/** A modal open for one user. */
export interface OpenView {
  id: string;
  user: string;
  view: Record<string, unknown>;
  hash: string;
  /** Field errors from the app's last `response_action: errors`, by block_id. */
  errors: Record<string, string>;
}

export interface EmulatedChannel {
  id: string;
  name: string;
  kind: 'channel' | 'dm';
  /** For DMs: the person the bot talks to. */
  user?: string;
}

/** A message removed with `chat.delete`, kept so a checker can see what was cleaned up. */
export interface DeletedMessage {
  channel: string;
  ts: string;
  /** The Ladder notification key from the message's metadata, if it had one. */
  key?: string;
  /** When it was deleted, ms since epoch. */
  at: number;
}

/** Trigger ids expire like Slack's (3 s there); a little longer here for loaded test machines. */
const TRIGGER_TTL_MS = 10_000;

/** What {@link Workspace.snapshot} saves and {@link Workspace.restore} reads back. */
export interface WorkspaceSnapshot {
  version: 1;
  counter: number;
  channels: EmulatedChannel[];
  /** Messages by channel id, oldest first. */
  messages: Record<string, EmulatedMessage[]>;
}

export type ApiArgs = Record<string, unknown>;
export type ApiResult = Record<string, unknown>;

/**
 * The emulated Slack workspace: channels, DMs, messages, open modals, trigger ids and response
 * URLs, with the Web API methods Ladder calls implemented over them in Slack's response shapes.
 */
export class Workspace {
  readonly channels = new Map<string, EmulatedChannel>(); // id → channel
  private readonly messagesById = new Map<string, EmulatedMessage[]>();
  readonly views = new Map<string, OpenView>(); // view id → view
  private readonly triggers = new Map<string, { user: string; expiresAt: number }>();
  readonly responseUrls = new Map<string, { channel: string; user: string }>();
  /** Each person's App Home as the app last published it (`views.publish`), by user id. */
  readonly homes = new Map<string, { id: string; hash: string; view: Record<string, unknown> }>();
  readonly faults = new FaultQueue();
  /** Messages removed with `chat.delete`, oldest first. */
  readonly deleted: DeletedMessage[] = [];
  /** Every Web API call with its status and when it arrived (ms since epoch), oldest first. */
  readonly calls: { method: string; status: number; at: number }[] = [];
  private counter = 0;
  /**
   * Called after a change a restart should keep (a channel, a message posted, edited or deleted);
   * the workspace file (workspace-file.ts) saves on it.
   */
  onChange: (() => void) | undefined;

  /**
   * @param rateLimits - Slack's Web API limits the API handler enforces; Slack's own, on, by default.
   */
  constructor(
    readonly users: { id: string; name: string; label?: string }[] = [],
    readonly rateLimits: WebApiRateLimits = new WebApiRateLimits(),
  ) {}

  private nextId(prefix: string): string {
    return `${prefix}${String(++this.counter).padStart(8, '0')}`;
  }

  /** The channel id for `#name` or a name (created on first use, as if the bot were invited); ids pass through. */
  channelId(nameOrId: string): string {
    if (this.channels.has(nameOrId)) return nameOrId;
    const name = nameOrId.replace(/^#/, '');
    for (const c of this.channels.values()) if (c.kind === 'channel' && c.name === name) return c.id;
    const id = this.nextId('C');
    this.channels.set(id, { id, name, kind: 'channel' });
    this.onChange?.();
    return id;
  }

  /**
   * The key chat.postMessage's per-channel limit counts under: `#name` for a channel given by name
   * or id, the id for a DM. Looked up, not created, so a refused post leaves no channel behind.
   */
  channelLimitKey(nameOrId: string): string {
    const known = this.channels.get(nameOrId);
    if (known) return known.kind === 'channel' ? `#${known.name}` : known.id;
    return `#${nameOrId.replace(/^#/, '')}`;
  }

  /** The DM channel between the bot and `user`. */
  dmWith(user: string): string {
    for (const c of this.channels.values()) if (c.kind === 'dm' && c.user === user) return c.id;
    const id = this.nextId('D');
    this.channels.set(id, { id, name: `dm-${user}`, kind: 'dm', user });
    this.onChange?.();
    return id;
  }

  messages(channel: string): EmulatedMessage[] {
    const id = this.channelId(channel);
    if (!this.messagesById.has(id)) this.messagesById.set(id, []);
    return this.messagesById.get(id)!;
  }

  /** Every message a user can see in a channel: all normal ones and the ephemeral ones shown to them. */
  visibleTo(user: string, channel: string): EmulatedMessage[] {
    return this.messages(channel).filter((m) => m.ephemeralTo === undefined || m.ephemeralTo === user);
  }

  private nextTs(): string {
    const n = ++this.counter;
    return `${Math.floor(Date.now() / 1000)}.${String(n).padStart(6, '0')}`;
  }

  /** Adds a message as Slack would show it (used by the API and by response URLs). */
  addMessage(channel: string, text: string, blocks: unknown[], ephemeralTo?: string): EmulatedMessage {
    const message: EmulatedMessage = { ts: this.nextTs(), channel, text, blocks, edits: 0, ephemeralTo };
    this.messages(channel).push(message);
    this.onChange?.();
    return message;
  }

  /** A trigger id for one user's interaction; `views.open` accepts it once, for a short while. */
  issueTrigger(user: string): string {
    const id = `${++this.counter}.${randomBytes(6).toString('hex')}`;
    this.triggers.set(id, { user, expiresAt: Date.now() + TRIGGER_TTL_MS });
    return id;
  }

  issueResponseUrl(baseUrl: string, channel: string, user: string): string {
    const id = randomBytes(8).toString('hex');
    this.responseUrls.set(id, { channel, user });
    return `${baseUrl}/response/${id}`;
  }

  /** The modal open for a user, if any (one at a time here; Slack stacks up to three). */
  viewFor(user: string): OpenView | undefined {
    return [...this.views.values()].find((v) => v.user === user);
  }

  /**
   * What a restart keeps: channels, DMs and every message (ephemeral ones too, as Slack keeps them
   * until reload), and the id counter so new ids never repeat old ones. Open modals, trigger ids
   * and response URLs are short-lived in Slack too and are not kept.
   */
  snapshot(): WorkspaceSnapshot {
    return {
      version: 1,
      counter: this.counter,
      channels: [...this.channels.values()],
      messages: Object.fromEntries(this.messagesById),
    };
  }

  /** Replaces channels and messages with a snapshot's (the emulator does it once, at start). */
  restore(snapshot: WorkspaceSnapshot): void {
    this.channels.clear();
    this.messagesById.clear();
    for (const c of snapshot.channels) this.channels.set(c.id, c);
    for (const [id, list] of Object.entries(snapshot.messages)) this.messagesById.set(id, list);
    this.counter = Math.max(this.counter, snapshot.counter);
  }

  /** The Web API methods, by name. */
  readonly methods: Record<string, (args: ApiArgs) => ApiResult> = {
    'auth.test': () => ({
      ok: true,
      user_id: 'U0LADDERBOT',
      team_id: 'T0EMULATED',
      bot_id: 'B0LADDER',
      team: 'Emulated',
    }),
    'chat.postMessage': (args) => {
      if (typeof args.channel !== 'string' || args.channel === '')
        return { ok: false, error: 'channel_not_found' };
      if (typeof args.text !== 'string' && !Array.isArray(args.blocks))
        return { ok: false, error: 'no_text' };
      const problem = blockKitProblem(args.blocks);
      if (problem) return { ok: false, error: 'invalid_blocks', errors: [problem] };
      const channel = this.channelId(args.channel);
      const m = this.addMessage(channel, String(args.text ?? ''), (args.blocks as unknown[]) ?? []);
      const metadata =
        typeof args.metadata === 'string' ? (JSON.parse(args.metadata) as unknown) : args.metadata;
      if (metadata !== undefined) m.metadata = metadata as EmulatedMessage['metadata'];
      return { ok: true, channel, ts: m.ts, message: { text: m.text, blocks: m.blocks, ts: m.ts } };
    },
    'chat.update': (args) => {
      const channel = typeof args.channel === 'string' ? this.channelId(args.channel) : '';
      const message = this.messages(channel).find((m) => m.ts === args.ts && m.ephemeralTo === undefined);
      if (!message) return { ok: false, error: 'message_not_found' };
      const problem = blockKitProblem(args.blocks);
      if (problem) return { ok: false, error: 'invalid_blocks', errors: [problem] };
      message.text = String(args.text ?? message.text);
      message.blocks = (args.blocks as unknown[]) ?? message.blocks;
      message.edits++;
      this.onChange?.();
      return { ok: true, channel, ts: message.ts };
    },
    'chat.delete': (args) => {
      if (typeof args.channel !== 'string' || args.channel === '')
        return { ok: false, error: 'channel_not_found' };
      const channel = this.channelId(args.channel);
      const messages = this.messages(channel);
      const index = messages.findIndex((m) => m.ts === args.ts && m.ephemeralTo === undefined);
      if (index < 0) return { ok: false, error: 'message_not_found' };
      const [removed] = messages.splice(index, 1);
      this.deleted.push({ channel, ts: removed.ts, key: notificationKey(removed), at: Date.now() });
      this.onChange?.();
      return { ok: true, channel, ts: removed.ts };
    },
    'chat.postEphemeral': (args) => {
      if (typeof args.user !== 'string') return { ok: false, error: 'user_not_found' };
      if (typeof args.channel !== 'string' || args.channel === '')
        return { ok: false, error: 'channel_not_found' };
      const problem = blockKitProblem(args.blocks);
      if (problem) return { ok: false, error: 'invalid_blocks', errors: [problem] };
      const m = this.addMessage(
        this.channelId(args.channel),
        String(args.text ?? ''),
        (args.blocks as unknown[]) ?? [],
        args.user,
      );
      return { ok: true, message_ts: m.ts };
    },
    'conversations.open': (args) => {
      const users = String(args.users ?? '')
        .split(',')
        .filter(Boolean);
      if (users.length !== 1)
        return { ok: false, error: users.length === 0 ? 'users_list_not_supplied' : 'not_implemented' };
      return { ok: true, channel: { id: this.dmWith(users[0]) } };
    },
    'conversations.list': (args) => {
      const channels = [...this.channels.values()].filter((c) => c.kind === 'channel');
      const start = Number(args.cursor ?? 0) || 0;
      const limit = Math.min(Number(args.limit ?? 100), 1000);
      const page = channels.slice(start, start + limit);
      const more = start + limit < channels.length;
      return {
        ok: true,
        channels: page.map((c) => ({ id: c.id, name: c.name, is_channel: true, is_member: true })),
        response_metadata: { next_cursor: more ? String(start + limit) : '' },
      };
    },
    'conversations.history': (args) => {
      if (typeof args.channel !== 'string' || !this.channels.has(args.channel))
        return { ok: false, error: 'channel_not_found' };
      const oldest = Number(args.oldest ?? 0);
      const limit = Math.min(Number(args.limit ?? 100), 999);
      const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
      const newestFirst = this.messages(args.channel)
        .filter((m) => m.ephemeralTo === undefined && Number(m.ts) >= oldest)
        .reverse();
      const start = Number(args.cursor ?? 0) || 0;
      const page = newestFirst.slice(start, start + limit);
      const hasMore = start + limit < newestFirst.length;
      return {
        ok: true,
        messages: page.map((m) => ({
          type: 'message',
          ts: m.ts,
          text: m.text,
          blocks: m.blocks,
          ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
        })),
        has_more: hasMore,
        response_metadata: { next_cursor: hasMore ? String(start + limit) : '' },
      };
    },
    'users.info': (args) => {
      if (!isSlackUserId(args.user)) return { ok: false, error: 'user_not_found' };
      const known = this.users.find((u) => u.id === args.user);
      return {
        ok: true,
        user: {
          id: args.user,
          name: known?.name ?? args.user.toLowerCase(),
          real_name: known?.name ?? args.user,
        },
      };
    },
    'views.open': (args) => {
      const trigger = this.triggers.get(String(args.trigger_id ?? ''));
      if (!trigger) return { ok: false, error: 'invalid_trigger_id' };
      this.triggers.delete(String(args.trigger_id));
      if (Date.now() > trigger.expiresAt) return { ok: false, error: 'expired_trigger_id' };
      const problem = viewProblem(args.view);
      if (problem)
        return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [problem] } };
      for (const v of this.views.values()) if (v.user === trigger.user) this.views.delete(v.id);
      const open: OpenView = {
        id: this.nextId('V'),
        user: trigger.user,
        view: args.view as Record<string, unknown>,
        hash: randomBytes(6).toString('hex'),
        errors: {},
      };
      this.views.set(open.id, open);
      return { ok: true, view: { ...open.view, id: open.id, hash: open.hash, state: { values: {} } } };
    },
    'views.publish': (args) => {
      if (!isSlackUserId(args.user_id)) return { ok: false, error: 'user_not_found' };
      const view = args.view as { type?: unknown; blocks?: unknown } | undefined;
      if (typeof view !== 'object' || view === null || view.type !== 'home')
        return {
          ok: false,
          error: 'invalid_arguments',
          response_metadata: { messages: ['view.type must be home'] },
        };
      if (!Array.isArray(view.blocks) || view.blocks.length > 100)
        return {
          ok: false,
          error: 'invalid_arguments',
          response_metadata: { messages: ['view.blocks must be an array of at most 100 blocks'] },
        };
      const problem = blockKitProblem(view.blocks, 100);
      if (problem) return { ok: false, error: 'invalid_blocks', errors: [problem] };
      const previous = this.homes.get(args.user_id);
      if (args.hash !== undefined && previous && args.hash !== previous.hash)
        return { ok: false, error: 'hash_conflict' };
      const home = {
        id: previous?.id ?? this.nextId('V'),
        hash: randomBytes(6).toString('hex'),
        view: view as Record<string, unknown>,
      };
      this.homes.set(args.user_id, home);
      return { ok: true, view: { ...home.view, id: home.id, hash: home.hash } };
    },
    'views.update': (args) => {
      const open = this.views.get(String(args.view_id ?? ''));
      if (!open) return { ok: false, error: 'not_found' };
      if (args.hash !== undefined && args.hash !== open.hash) return { ok: false, error: 'hash_conflict' };
      const problem = viewProblem(args.view);
      if (problem)
        return { ok: false, error: 'invalid_arguments', response_metadata: { messages: [problem] } };
      open.view = args.view as Record<string, unknown>;
      open.hash = randomBytes(6).toString('hex');
      open.errors = {};
      return { ok: true, view: { ...open.view, id: open.id, hash: open.hash } };
    },
  };
}

/** The key Ladder put in a message's metadata (`event_payload.key`), if any. */
export function notificationKey(message: EmulatedMessage): string | undefined {
  const key = message.metadata?.event_payload?.key;
  return typeof key === 'string' ? key : undefined;
}

/** The keys a channel feed's digest announces, from its metadata (`entries`); empty for other messages. */
export function feedEntryKeys(message: EmulatedMessage): string[] {
  const entries = message.metadata?.event_payload?.entries;
  return Array.isArray(entries) ? entries.filter((e): e is string => typeof e === 'string') : [];
}

/**
 * What Slack refuses in a modal view (`views.open`, `views.update`, `response_action: update`):
 * type, title, submit and close texts, private_metadata and callback_id lengths, at most 100
 * blocks, and every block's own limits (input blocks' labels, elements and options included).
 */
export function viewProblem(view: unknown): string | undefined {
  const v = view as {
    type?: unknown;
    title?: { text?: unknown };
    submit?: { text?: unknown };
    close?: { text?: unknown };
    private_metadata?: unknown;
    callback_id?: unknown;
    blocks?: unknown;
  };
  if (typeof v !== 'object' || v === null) return 'view is required';
  if (v.type !== 'modal') return 'view.type must be modal';
  if (typeof v.title?.text !== 'string' || v.title.text.length > 24)
    return 'view.title must be at most 24 characters';
  for (const key of ['submit', 'close'] as const) {
    const text = v[key]?.text;
    if (v[key] !== undefined && (typeof text !== 'string' || text.length < 1 || text.length > 24))
      return `view.${key} must be 1-24 characters`;
  }
  if (v.private_metadata !== undefined && String(v.private_metadata).length > 3000)
    return 'view.private_metadata must be at most 3000 characters';
  if (v.callback_id !== undefined && String(v.callback_id).length > 255)
    return 'view.callback_id must be at most 255 characters';
  if (!Array.isArray(v.blocks) || v.blocks.length > 100)
    return 'view.blocks must be an array of at most 100 blocks';
  if (v.submit === undefined && v.blocks.some((b: { type?: string }) => b?.type === 'input'))
    return 'view.submit is required when the view has input blocks';
  return blockKitProblem(v.blocks, 100);
}
