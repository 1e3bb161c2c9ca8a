// The Slack emulator in a process of its own for bench:tasks, so its CPU is measured apart from the
// driver's and a busy driver does not slow the answers both sides' notifiers wait for. Started by
// bench/tasks/stack.ts with an IPC channel; exits when that channel closes.
import { startSlackEmulator, type SlackEmulator } from '../../slack/emulator/server';
import { notificationKey } from '../../slack/emulator/workspace';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import type { EmulatorReply, EmulatorRequest, KeyedPost, PostedButton } from './emulator-messages';
import { onEveryStoredMessage, ToldWatch } from './told-watch';

interface ButtonElement {
  type?: string;
  action_id?: string;
  text?: { text?: string };
}

/** The buttons reading `text` on the messages of `channel`, oldest message first. */
function buttonsOf(emulator: SlackEmulator, channel: string, text: string): PostedButton[] {
  const workspace = emulator.workspace;
  const out: PostedButton[] = [];
  for (const message of workspace.messages(workspace.channelId(channel))) {
    for (const block of message.blocks as { elements?: ButtonElement[] }[]) {
      for (const element of block.elements ?? []) {
        if (element.type === 'button' && element.text?.text === text && element.action_id)
          out.push({ ts: message.ts, key: notificationKey(message) ?? null, actionId: element.action_id });
      }
    }
  }
  return out;
}

/** When each message was stored, in epoch ms: Slack's `ts` only has whole seconds of it. */
const postedAt = new WeakMap<EmulatedMessage, number>();

/** The keyed messages of every channel whose key starts with `prefix` and ends with `suffix`. */
function keyedPosts(emulator: SlackEmulator, prefix: string, suffix: string): KeyedPost[] {
  const workspace = emulator.workspace;
  const out: KeyedPost[] = [];
  for (const channel of workspace.channels.keys()) {
    for (const message of workspace.messages(channel)) {
      const key = notificationKey(message);
      if (key?.startsWith(prefix) && key.endsWith(suffix))
        out.push({ key, postedAtMs: postedAt.get(message) ?? NaN });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const port = Number(process.env.BENCH_EMULATOR_PORT);
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`BENCH_EMULATOR_PORT: expected a port number, got "${process.env.BENCH_EMULATOR_PORT}"`);
  const people = JSON.parse(process.env.BENCH_EMULATOR_PEOPLE ?? '{}') as {
    users?: { id: string; name: string; label?: string }[];
    channels?: string[];
  };
  // Rate limits are off through LADDER_EMULATOR_RATE_LIMITS=off in this process's environment
  // (set by the stack), which emulators with rate limits read and older ones ignore.
  const emulator: SlackEmulator = await startSlackEmulator({ port, ...people });
  // Every message is timed, and offered to the clicks waiting to be told their answer was recorded.
  const told = new ToldWatch();
  onEveryStoredMessage(emulator.workspace, (message, at) => {
    postedAt.set(message, at);
    told.seen(message, at);
  });
  const reply = (message: EmulatorReply): void => void process.send?.(message);
  process.on('message', (raw: EmulatorRequest) => {
    if (raw.type === 'calls') {
      const byMethod: Record<string, number> = {};
      let refused = 0;
      for (const call of emulator.calls) {
        byMethod[call.method] = (byMethod[call.method] ?? 0) + 1;
        if (call.status === 429) refused++;
      }
      reply({ type: 'calls', id: raw.id, total: emulator.calls.length, byMethod, rateLimited: refused });
    } else if (raw.type === 'connect-app') {
      emulator.connectApp({ url: raw.url, signingSecret: raw.signingSecret, timeoutMs: raw.timeoutMs });
      reply({ type: 'connected', id: raw.id });
    } else if (raw.type === 'buttons') {
      reply({ type: 'buttons', id: raw.id, buttons: buttonsOf(emulator, raw.channel, raw.text) });
    } else if (raw.type === 'keyed') {
      const posts = keyedPosts(emulator, raw.keyPrefix, raw.keySuffix);
      reply({
        type: 'keyed',
        id: raw.id,
        count: posts.length,
        lastPostedAtMs: posts.length === 0 ? NaN : Math.max(...posts.map((p) => p.postedAtMs)),
        ...(raw.withTimes ? { posts } : {}),
      });
    } else if (raw.type === 'click') {
      const sentAt = Date.now();
      const started = performance.now();
      // Registered before the click, so an answer told at once is not missed.
      const toldAt = raw.awaitTold
        ? told.expect(raw.user, raw.awaitTold.textIncludes, raw.awaitTold.timeoutMs).then(
            (at) => ({ toldMs: at - sentAt }),
            (err: Error) => ({ toldError: err.message }),
          )
        : Promise.resolve({});
      void emulator.click(raw.user, raw.channel, raw.ts, raw.actionId).then(
        async (result) => {
          const ackMs = performance.now() - started;
          reply({
            type: 'clicked',
            id: raw.id,
            status: result.status,
            ...(result.error ? { error: result.error } : {}),
            ackMs,
            // A click the app did not take is told nothing: no wait for it.
            ...(result.status === 200 && !result.error ? await toldAt : {}),
          });
        },
        (err: Error) =>
          reply({
            type: 'clicked',
            id: raw.id,
            status: 0,
            error: err.message,
            ackMs: performance.now() - started,
          }),
      );
    }
  });
  process.once('disconnect', () => {
    void emulator.close().finally(() => process.exit(0));
  });
  const limits = (emulator as { rateLimitReport?: () => { enabled?: boolean } }).rateLimitReport?.();
  reply({
    type: 'ready',
    url: emulator.url,
    rateLimits: limits === undefined ? 'not implemented' : limits.enabled ? 'on' : 'off',
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench emulator failed: ${err instanceof Error ? (err.stack ?? err.message) : err}\n`);
  process.exit(1);
});
