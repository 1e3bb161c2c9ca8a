import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSlackEmulator, type SlackEmulator } from '../../../slack/emulator/server';
import { verifySlackSignature } from '../../../slack/verify-signature';

/**
 * The emulator's App Home, as Slack's: opening it sends the app a signed `app_home_opened` event,
 * `views.publish` stores a person's Home view (checked like Slack checks it), and a button in it
 * sends `block_actions` with the view, not a message.
 */
describe('the Slack emulator App Home', () => {
  const secret = 'app-home-secret';
  let emulator: SlackEmulator;
  let app: Server;
  const received: { contentType: string; body: string; verified: boolean }[] = [];

  beforeAll(async () => {
    app = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const check = verifySlackSignature({
          signingSecret: secret,
          timestamp: req.headers['x-slack-request-timestamp'] as string,
          signature: req.headers['x-slack-signature'] as string,
          rawBody: body,
          nowSeconds: Math.floor(Date.now() / 1000),
        });
        received.push({ contentType: String(req.headers['content-type']), body, verified: check.ok });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    emulator = await startSlackEmulator({ port: 0, rateLimits: false });
    emulator.connectApp({
      url: `http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`,
      signingSecret: secret,
      timeoutMs: 5_000,
    });
  });
  afterAll(async () => {
    await emulator?.close();
    await new Promise((r) => app?.close(r));
  });

  it('sends a signed app_home_opened event when a person opens their Home', async () => {
    received.length = 0;
    expect(await emulator.openHome('U0APPR002')).toMatchObject({ status: 200 });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ contentType: 'application/json', verified: true });
    expect(JSON.parse(received[0].body)).toMatchObject({
      type: 'event_callback',
      event: { type: 'app_home_opened', user: 'U0APPR002', tab: 'home' },
    });
  });

  it('keeps the published Home per person, refuses what Slack refuses, and clicks its buttons with the view', async () => {
    const publish = emulator.workspace.methods['views.publish'];
    expect(publish({ user_id: 'U0APPR002', view: { type: 'modal', blocks: [] } })).toMatchObject({
      ok: false,
      error: 'invalid_arguments',
    });
    expect(publish({ user_id: 'not-a-user', view: { type: 'home', blocks: [] } })).toMatchObject({
      ok: false,
      error: 'user_not_found',
    });
    const button = (value: string) => ({
      type: 'button',
      action_id: 'ladder_approve',
      text: { type: 'plain_text', text: 'Approve' },
      value,
    });
    const first = publish({
      user_id: 'U0APPR002',
      view: {
        type: 'home',
        blocks: [
          { type: 'actions', elements: [button('task/a/1#h1')] },
          { type: 'actions', elements: [button('task/a/2#h2')] },
        ],
      },
    }) as { ok: boolean; view: { id: string; hash: string } };
    expect(first.ok).toBe(true);
    // A publish against an old hash is refused, as Slack refuses it.
    expect(
      publish({ user_id: 'U0APPR002', hash: 'stale', view: { type: 'home', blocks: [] } }),
    ).toMatchObject({ ok: false, error: 'hash_conflict' });
    expect(emulator.homeFor('U0APPR002')?.id).toBe(first.view.id);
    expect(emulator.homeFor('U0APPR001')).toBeUndefined();

    received.length = 0;
    await emulator.clickHome('U0APPR002', 'ladder_approve', { value: 'task/a/2#h2' });
    const payload = JSON.parse(new URLSearchParams(received[0].body).get('payload')!);
    expect(received[0].verified).toBe(true);
    expect(payload).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0APPR002' },
      container: { type: 'view', view_id: first.view.id },
      view: { type: 'home', id: first.view.id },
      actions: [{ action_id: 'ladder_approve', value: 'task/a/2#h2' }],
    });
    expect(payload.message).toBeUndefined();
    expect(payload.response_url).toBeUndefined();
    await expect(emulator.clickHome('U0APPR001', 'ladder_approve')).rejects.toThrow(
      /no App Home published yet/,
    );
  });
});
