import { App } from '@slack/bolt';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../config/logger';
import { ACTION_IDS } from '../../slack/action-ids';
import { acksAtFront } from '../../slack/front-thread';
import { SlackHttpReceiver } from '../../slack/receiver';
import { signSlackRequest } from '../../slack/verify-signature';
import { rawRequest } from '../observability/drain-helpers';
import { waitUntil } from '../helpers/wait';

const SECRET = 'front-thread-secret';

function signed(body: string, contentType: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest(SECRET, timestamp, body),
  };
}

/** POSTs a signed form body to `url` on a connection of its own. */
const postForm = (url: string, body: string) =>
  rawRequest(url, { method: 'POST', headers: signed(body, 'application/x-www-form-urlencoded'), body });

const clickBody = (actionId: string): string =>
  new URLSearchParams({
    payload: JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0FRONT01' },
      actions: [{ action_id: actionId, value: 'task/a/1' }],
    }),
  }).toString();

const commandBody = (text: string): string =>
  new URLSearchParams({
    command: '/ladder',
    text,
    user_id: 'U0FRONT01',
    channel_id: 'C0FRONT01',
    trigger_id: 'trigger-1',
    response_url: 'http://127.0.0.1:9/response',
  }).toString();

describe('acksAtFront', () => {
  it("acknowledges clicks on Ladder's own buttons only", () => {
    const click = (action_id: unknown) => ({ type: 'block_actions', actions: [{ action_id }] });
    expect(acksAtFront(click(ACTION_IDS.approve))).toBe(true);
    expect(acksAtFront(click(ACTION_IDS['end-away']))).toBe(true);
    // Unknown to Ladder (another app's button, an old or forged id): Bolt answers it.
    expect(acksAtFront(click('ladder_no_such_button'))).toBe(false);
    expect(acksAtFront(click('someone_else'))).toBe(false);
    expect(acksAtFront(click(7))).toBe(false);
    expect(acksAtFront({ type: 'block_actions', actions: [] })).toBe(false);
    expect(acksAtFront({ type: 'block_actions', actions: ['ladder_approve'] })).toBe(false);
    // Requests whose ack carries an answer always wait for Bolt.
    expect(acksAtFront({ type: 'view_submission', view: {} })).toBe(false);
    expect(acksAtFront({ command: '/ladder', text: 'help' })).toBe(false);
  });
});

// The point of the front thread: a click is acknowledged while the main thread is busy, as it is
// under load (Temporal and Web API replies), instead of waiting its turn behind that work.
describe('Slack front thread', () => {
  let receiver: SlackHttpReceiver;
  let url: string;
  let dir: string;
  const acks: { kind: string; seconds: number }[] = [];
  let clicksHandled = 0;
  let sawAckWhileBlocked: boolean | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'front-thread-'));
    receiver = new SlackHttpReceiver({
      signingSecret: SECRET,
      port: 0,
      logger: createLogger('front-thread-test', 'silent'),
      onAck: (kind, seconds) => acks.push({ kind, seconds }),
    });
    const app = new App({
      receiver,
      authorize: () => Promise.resolve({ botToken: 'xoxb-test', botId: 'B0FRONT01' }),
    });
    app.action(ACTION_IDS.approve, async ({ ack }) => {
      await ack();
      clicksHandled++;
    });
    // Blocks the main thread outright until the click's sender has its ack (or 20 s pass).
    app.command('/ladder', async ({ ack, command }) => {
      if (command.text !== 'block') return ack({ text: `you said ${command.text}` } as never);
      await ack();
      writeFileSync(join(dir, 'blocked'), '');
      const deadline = Date.now() + 20_000;
      while (!existsSync(join(dir, 'acked')) && Date.now() < deadline) {
        // spin: the event loop must not turn
      }
      sawAckWhileBlocked = existsSync(join(dir, 'acked'));
    });
    url = (await receiver.start()).url;
  });
  afterAll(async () => {
    await receiver.stop(0);
    rmSync(dir, { recursive: true, force: true });
  });

  it("acks a click on a Ladder button while the main thread is blocked, and Bolt's listener still runs", async () => {
    const click = clickBody(ACTION_IDS.approve);
    // The click comes from another process, sent once the main thread is blocked.
    const sender = spawn(
      process.execPath,
      [
        '-e',
        `
const { existsSync, writeFileSync } = require('node:fs');
const [dir, url, headers, body] = process.argv.slice(1);
const wait = () => existsSync(dir + '/blocked') ? send() : setTimeout(wait, 10);
const send = async () => {
  const res = await fetch(url, { method: 'POST', headers: JSON.parse(headers), body });
  writeFileSync(dir + '/acked', String(res.status));
};
wait();
`,
        dir,
        url,
        JSON.stringify(signed(click, 'application/x-www-form-urlencoded')),
        click,
      ],
      { stdio: 'inherit' },
    );
    const exited = new Promise<number | null>((resolve) => sender.once('exit', resolve));
    const command = commandBody('block');
    const answer = await postForm(url, command);
    expect(answer.status).toBe(200);
    expect(await exited).toBe(0);
    await waitUntil(() => sawAckWhileBlocked !== undefined, 30_000);
    expect(sawAckWhileBlocked).toBe(true);
    expect(readFileSync(join(dir, 'acked'), 'utf8')).toBe('200');
    // Bolt ran the click's listener afterwards, and its ack was counted once.
    await waitUntil(() => clicksHandled === 1, 10_000);
    await waitUntil(() => acks.filter((a) => a.kind === 'block_actions').length === 1, 10_000);
  });

  it('still waits for Bolt on a click no listener handles, and answers 404', async () => {
    const click = clickBody('ladder_no_such_button');
    const answer = await postForm(url, click);
    expect(answer).toMatchObject({ status: 404, body: 'no listener for this block_actions' });
  });

  it("sends an ack's answer from Bolt back through the front, as JSON", async () => {
    const command = commandBody('hello');
    const answer = await postForm(url, command);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({ text: 'you said hello' });
  });

  it('tells the app when its front thread dies, and stops without waiting for it', async () => {
    const failures: Error[] = [];
    const lone = new SlackHttpReceiver({
      signingSecret: SECRET,
      port: 0,
      logger: createLogger('front-thread-test', 'silent'),
      onFrontFailure: (error) => failures.push(error),
    });
    // Bolt gives the receiver its app; no listener is needed here.
    new App({
      receiver: lone,
      authorize: () => Promise.resolve({ botToken: 'xoxb-test', botId: 'B0FRONT02' }),
    });
    await lone.start();
    // As a crash would: the thread is gone without stop() being asked.
    await (lone as unknown as { thread: { terminate(): Promise<number> } }).thread.terminate();
    await waitUntil(() => failures.length === 1, 10_000);
    expect(failures[0]!.message).toMatch(/the Slack front thread exited \(code 1\)/);
    await lone.stop(30_000);
    expect(failures).toHaveLength(1);
  });
});
