import { Client, Connection } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { createLedgerLink } from '../../client/ledger-link';
import { createLogger } from '../../config/logger';
import { loadPolicyFile } from '../../policy/loader';
import { createSlackApp, type LadderSlackApp } from '../../slack/app';
import { blockActionsPayload, postSigned, slashCommandForm } from '../../slack/emulator/deliver';
import { startSlackEmulator, type SlackEmulator } from '../../slack/emulator/server';
import { MAX_BODY_BYTES } from '../../slack/http-request';
import { signSlackRequest } from '../../slack/verify-signature';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { connect } from 'node:net';
import { join } from 'node:path';
import { frontendSigner } from '../helpers/answers';
import { killSwitchWorkflowId } from '../../workflows/messages';

const SECRET = 'receiver-test-secret';
const ANSWER_BUDGET_MS = 2000;
const policy = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml')).policy;

// The HTTP edge of the Bolt app: every request is signature-checked (both timestamp directions),
// malformed bodies are answered rather than thrown, and listeners ack before any slow work.
describe('Slack HTTP receiver and listeners', () => {
  let emulator: SlackEmulator;
  let app: LadderSlackApp;
  let appUrl: string;
  let connection: Connection;

  beforeAll(async () => {
    emulator = await startSlackEmulator({ port: 0 });
    connection = await Connection.connect({ address: testServerAddress() });
    app = createSlackApp({
      deps: {
        temporal: new Client({ connection }),
        taskQueue: 'receiver-test-no-worker',
        policy: () => policy,
        actions: createActionRegistry(),
        uiBaseUrl: 'http://localhost:8233',
        log: createLogger('receiver-test', 'silent'),
        ledger: createLedgerLink({
          client: new Client({ connection }),
          taskQueue: 'receiver-test-no-worker',
        }),
        signer: frontendSigner(),
        newTaskId: () => 'unused',
        // Nobody polls this queue: an answer to an entity is unconfirmed after this long.
        answerDelivery: { budgetMs: ANSWER_BUDGET_MS },
      },
      transport: { kind: 'http', signingSecret: SECRET, port: 0 },
      botToken: 'xoxb-test',
      apiUrl: emulator.apiUrl,
    });
    appUrl = (await app.start()).url!;
    emulator.connectApp({ url: appUrl, signingSecret: SECRET, timeoutMs: 15_000 });
  });
  afterAll(async () => {
    await app?.stop();
    await connection?.close();
    await emulator?.close();
  });

  const helpForm = (): string =>
    new URLSearchParams(
      slashCommandForm(emulator.workspace, {
        user: 'U0APPR001',
        channel: emulator.channelId('#general'),
        command: '/ladder',
        text: 'help',
        responseUrl: emulator.workspace.issueResponseUrl(
          emulator.url,
          emulator.channelId('#general'),
          'U0APPR001',
        ),
        triggerId: emulator.workspace.issueTrigger('U0APPR001'),
      }),
    ).toString();

  const send = (
    body: string,
    headers: Record<string, string>,
    contentType = 'application/x-www-form-urlencoded',
  ) => fetch(appUrl, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });

  const signed = (body: string, timestamp: number, secret = SECRET) => ({
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest(secret, timestamp, body),
  });

  it('answers a correctly signed command', async () => {
    const body = helpForm();
    const res = await send(body, signed(body, Math.floor(Date.now() / 1000)));
    expect(res.status).toBe(200);
    await waitUntil(() =>
      emulator
        .messages('#general')
        .some((m) => m.ephemeralTo === 'U0APPR001' && m.text.includes('/ladder delegate')),
    );
  });

  it('refuses forged, tampered, stale and future-dated requests with 401, before any listener runs', async () => {
    // The receiver reads its own clock: margins of 10 s either side of the 300 s window keep the
    // cases clear of the second or two a loaded machine may take (verify-signature.test.ts pins
    // the exact edges).
    const now = Math.floor(Date.now() / 1000);
    const body = helpForm();
    const before = emulator.messages('#general').length;
    const cases: [string, Record<string, string>, string][] = [
      ['forged', signed(body, now, 'not-the-secret'), body],
      ['tampered', signed(body, now), body.replace('help', 'freeze')],
      ['stale', signed(body, now - 310), body],
      ['future-dated', signed(body, now + 310), body],
      ['unsigned', {}, body],
    ];
    for (const [name, headers, sent] of cases) {
      const res = await send(sent, headers);
      expect([name, res.status]).toEqual([name, 401]);
    }
    // Within the window either way is fine.
    expect((await send(body, signed(body, now - 290))).status).toBe(200);
    expect((await send(body, signed(body, now + 290))).status).toBe(200);
    await waitUntil(() => emulator.messages('#general').length === before + 2);
  });

  it('answers malformed bodies with 400 and a reason, and unknown paths with 404', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad: [string, string][] = [
      ['payload=%7Bnot-json', 'application/x-www-form-urlencoded'],
      ['payload=%5B1%2C2%5D', 'application/x-www-form-urlencoded'],
      ['[1,2]', 'application/json'],
      ['hello', 'text/plain'],
    ];
    for (const [body, type] of bad) {
      const res = await send(body, signed(body, now), type);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(
        /payload is not a JSON object|malformed body|body is not a JSON object|unsupported content-type/,
      );
    }
    const res = await fetch(appUrl.replace('/slack/events', '/other'), { method: 'POST', body: '' });
    expect(res.status).toBe(404);
  });

  it('answers a body over 1 MB with 413, declared or not, and stays up', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const size of [MAX_BODY_BYTES + 1, 5 * MAX_BODY_BYTES]) {
      const body = `text=${'a'.repeat(size)}`;
      const res = await send(body, signed(body, now));
      expect([size, res.status]).toEqual([size, 413]);
      expect(await res.text()).toBe(`body larger than ${MAX_BODY_BYTES} bytes`);
    }
    // Sent in chunks with no length declared: cut off as it passes the limit, still answered.
    const chunk = new TextEncoder().encode('a'.repeat(256 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const chunked = await fetch(appUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    // A body just within the limit is read (and, unsigned, refused for that).
    const within = 'a'.repeat(MAX_BODY_BYTES);
    expect((await send(within, {})).status).toBe(401);
    const body = helpForm();
    expect((await send(body, signed(body, now))).status).toBe(200);
  });

  it('answers 413 to a body streamed past 1 MB and reads the rest, so a sender still sending gets the answer, not a broken pipe', async () => {
    const { hostname, port, pathname } = new URL(appUrl);
    const socket = connect({ host: hostname, port: Number(port) });
    const failures: string[] = [];
    socket.on('error', (err: NodeJS.ErrnoException) => failures.push(err.code ?? err.message));
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('end', () => failures.push('closed by the app'));
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const chunk = 'a'.repeat(256 * 1024);
    const sendChunk = (data: string): Promise<void> =>
      new Promise((resolve) => socket.write(`${data.length.toString(16)}\r\n${data}\r\n`, () => resolve()));
    socket.write(
      `POST ${pathname} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\ntransfer-encoding: chunked\r\n\r\n`,
    );
    for (let i = 0; i < 5; i++) await sendChunk(chunk);
    await waitUntil(() => received.includes(`body larger than ${MAX_BODY_BYTES} bytes`));
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    // The sender has not seen the answer yet: it sends the rest of its body, 4 MB, and ends it.
    for (let i = 0; i < 16; i++) await sendChunk(chunk);
    await new Promise<void>((resolve) => socket.write('0\r\n\r\n', () => resolve()));
    // The connection then still serves a request: nothing was cut under the sender.
    const body = helpForm();
    const headers = signed(body, Math.floor(Date.now() / 1000));
    socket.write(
      `POST ${pathname} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/x-www-form-urlencoded\r\n${Object.entries(
        headers,
      )
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await waitUntil(() => /HTTP\/1\.1 200 /.test(received) || failures.length > 0);
    socket.destroy();
    expect(failures).toEqual([]);
    expect(received).toMatch(/HTTP\/1\.1 200 /);
  });

  it('answers unknown paths, methods and requests no listener handles at once', async () => {
    const now = Math.floor(Date.now() / 1000);
    const started = Date.now();
    const other = await fetch(appUrl.replace('/slack/events', '/other'), {
      method: 'POST',
      body: 'x'.repeat(1000),
    });
    expect(other.status).toBe(404);
    expect((await fetch(appUrl, { method: 'GET' })).status).toBe(405);
    expect((await fetch(appUrl, { method: 'PUT', body: 'x' })).status).toBe(405);
    // Signed and well-formed: an event Bolt acknowledges itself; a click nothing listens for.
    const event = JSON.stringify({ type: 'event_callback', event: { type: 'reaction_added' } });
    expect((await send(event, signed(event, now), 'application/json')).status).toBe(200);
    const action = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: 'U0APPR001' },
        actions: [{ action_id: 'nobody' }],
      }),
    }).toString();
    expect((await send(action, signed(action, now))).status).toBe(404);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('acks a click before doing any slow work, then answers the person', async () => {
    const channel = emulator.channelId('#ops');
    // Slack's API is slow right now: the ephemeral answer takes 3 s to post.
    emulator.injectFault({ kind: 'slow', delayMs: 3000 }, { method: 'chat.postEphemeral' });
    const payload = blockActionsPayload(emulator.workspace, {
      user: 'U0APPR001',
      channel,
      message: { ts: '1.000001', text: 'x', blocks: [] },
      action: { action_id: 'ladder_done', block_id: 'ladder_task_actions', value: 'task/a0/does-not-exist' },
      responseUrl: emulator.workspace.issueResponseUrl(emulator.url, channel, 'U0APPR001'),
      triggerId: emulator.workspace.issueTrigger('U0APPR001'),
    });
    const ack = await postSigned(
      { url: appUrl, signingSecret: SECRET, timeoutMs: 15_000 },
      { payload: JSON.stringify(payload) },
    );
    expect(ack.status).toBe(200);
    // The ack came back while the answer was still on its way.
    expect(emulator.messages('#ops').filter((m) => m.ephemeralTo === 'U0APPR001')).toEqual([]);
    await waitUntil(() => emulator.messages('#ops').some((m) => m.ephemeralTo === 'U0APPR001'));
    expect(emulator.messages('#ops').at(-1)!.text).toMatch(/^Refused: no task task\/a0\/does-not-exist/);
  });

  it('answers a click it cannot read with an explanation, not an exception', async () => {
    const channel = emulator.channelId('#ops');
    const payload = blockActionsPayload(emulator.workspace, {
      user: 'U0APPR002',
      channel,
      message: { ts: '1.000002', text: 'x', blocks: [] },
      action: { action_id: 'ladder_approve', block_id: 'b', value: 'rm -rf /' },
      responseUrl: emulator.workspace.issueResponseUrl(emulator.url, channel, 'U0APPR002'),
      triggerId: emulator.workspace.issueTrigger('U0APPR002'),
    });
    const ack = await postSigned(
      { url: appUrl, signingSecret: SECRET, timeoutMs: 15_000 },
      { payload: JSON.stringify(payload) },
    );
    expect(ack.status).toBe(200);
    const dm = emulator.dmWith('U0APPR002');
    await waitUntil(() => emulator.messages(dm).some((m) => m.ephemeralTo === 'U0APPR002'));
    expect(emulator.messages(dm).at(-1)!.text).toMatch(
      /^That click could not be read: button value is not a workflow id/,
    );
  });
  const commandForm = (user: string, text: string): Record<string, string> =>
    slashCommandForm(emulator.workspace, {
      user,
      channel: emulator.channelId('#general'),
      command: '/ladder',
      text,
      responseUrl: emulator.workspace.issueResponseUrl(emulator.url, emulator.channelId('#general'), user),
      triggerId: emulator.workspace.issueTrigger(user),
    });

  it('tells an admin their freeze is not confirmed when no worker takes it, within the delivery budget', async () => {
    const sentAt = Date.now();
    const ack = await postSigned(
      { url: appUrl, signingSecret: SECRET, timeoutMs: 15_000 },
      commandForm('U0ADMIN01', 'freeze a3 worker down'),
    );
    expect(ack.status).toBe(200);
    const told = (): string | undefined =>
      emulator
        .messages('#general')
        .find((m) => m.ephemeralTo === 'U0ADMIN01' && m.text.startsWith('Not confirmed'))?.text;
    try {
      await waitUntil(() => told() !== undefined, 30_000);
      expect(told()).toMatch(
        /^Not confirmed: Ladder got no confirmation from Temporal of the answer to control\/receiver-test-no-worker\/kill-switch within 2 s .*it may or may not have been recorded: `\/ladder status` in Slack \(or `ladder kill-switch`\) shows whether the kill switch is engaged$/,
      );
      // Nothing was said in the channel as if it had engaged.
      expect(emulator.messages('#general').some((m) => m.text.includes('Kill switch engaged'))).toBe(false);
      // The budget, not Temporal, bounds the wait.
      expect(Date.now() - sentAt).toBeLessThan(ANSWER_BUDGET_MS + 10_000);
    } finally {
      await new Client({ connection }).workflow
        .getHandle(killSwitchWorkflowId('receiver-test-no-worker'))
        .terminate('test over')
        .catch(() => undefined);
    }
  });

  const viewSubmission = (callbackId: string, values: Record<string, unknown>): Record<string, string> => ({
    payload: JSON.stringify({
      type: 'view_submission',
      team: { id: 'T0LADDER1' },
      user: { id: 'U0APPR002' },
      api_app_id: 'A0LADDER1',
      trigger_id: emulator.workspace.issueTrigger('U0APPR002'),
      view: {
        id: 'V0TEST0001',
        type: 'modal',
        callback_id: callbackId,
        private_metadata: JSON.stringify({
          workflowId: 'task/a2/t-none',
          channel: emulator.channelId('#ops'),
        }),
        state: { values },
      },
    }),
  });

  it('reads a modal value that is not text as empty: the field says what is missing, nothing throws', async () => {
    for (const value of [42, { text: 'x' }]) {
      const answer = await postSigned(
        { url: appUrl, signingSecret: SECRET, timeoutMs: 15_000 },
        viewSubmission('ladder_reject', { reason: { reason: { type: 'plain_text_input', value } } }),
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        response_action: 'errors',
        errors: { reason: 'A rejection needs a reason.' },
      });
    }
  });

  it('answers 500 "a listener failed" when a listener throws before its ack, not 404 "no listener"', async () => {
    app.app.view('receiver_test_throws', () => {
      throw new Error('broken before the ack');
    });
    const answer = await postSigned(
      { url: appUrl, signingSecret: SECRET, timeoutMs: 15_000 },
      viewSubmission('receiver_test_throws', {}),
    );
    expect(answer.status).toBe(500);
  });
});
