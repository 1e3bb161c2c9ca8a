import type { Submission } from '../../client/submit-task';
import { blockActionsPayload, slashCommandForm } from '../../slack/emulator/deliver';
import { MAX_BODY_BYTES } from '../../slack/http-request';
import { signSlackRequest } from '../../slack/verify-signature';
import { statusQuery, type TaskStatus } from '../../workflows/messages';
import { startSlackRig, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';
import { expectNoCrashText, workflowsOnQueue } from './corpus-helpers';

// The bad-input corpus through the Slack app's HTTP endpoint: bad signatures and timestamps,
// signed bodies that are malformed or miss what Slack always sends, 1 MB and larger bodies,
// unknown buttons and another agent's workflow in a button, and the delegate modal (the Slack
// entry point for tasks). The emulator stands in for Slack; the app and worker are real.

type Sent = { status: number; text: string };

describe('bad-input corpus: Slack app', () => {
  let rig: SlackRig;
  /** A rung-2 task of agent a2 and one of agent a3 (asking for rung 2), both waiting for approval. */
  let mine: Submission;
  let other: Submission;
  let mineStatus: TaskStatus;
  const started: string[] = [];

  const now = (): number => Math.floor(Date.now() / 1000);

  /** POSTs `body` to the app as it is, with the given signature headers. */
  async function post(
    body: string | Uint8Array,
    headers: Record<string, string>,
    contentType: string | null = 'application/x-www-form-urlencoded',
  ): Promise<Sent> {
    const res = await fetch(rig.appUrl, {
      method: 'POST',
      headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
      body,
    });
    return { status: res.status, text: await res.text() };
  }
  const sign = (body: string, timestamp = now(), secret = rig.signingSecret) => ({
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest(secret, timestamp, body),
  });
  const signed = (body: string, contentType?: string | null) => post(body, sign(body), contentType);
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const payloadForm = (payload: unknown) => form({ payload: JSON.stringify(payload) });

  /** `/ladder <text>` as Slack posts it for `user` in `channel`. */
  const command = (user: string, text: string, channel = '#corpus', name = '/ladder') =>
    slashCommandForm(rig.emulator.workspace, {
      user,
      channel: rig.emulator.channelId(channel),
      command: name,
      text,
      responseUrl: rig.emulator.workspace.issueResponseUrl(
        rig.emulator.url,
        rig.emulator.channelId(channel),
        user,
      ),
      triggerId: rig.emulator.workspace.issueTrigger(user),
    });

  /** A button click by `user` on a task message in #ops. */
  const click = (user: string, action: { action_id: string; value?: string }) => {
    const channel = rig.emulator.channelId('#ops');
    return blockActionsPayload(rig.emulator.workspace, {
      user,
      channel,
      message: { ts: '1700000000.000100', text: 'task', blocks: [] },
      action: { block_id: 'ladder_task_actions', ...action },
      responseUrl: rig.emulator.workspace.issueResponseUrl(rig.emulator.url, channel, user),
      triggerId: rig.emulator.workspace.issueTrigger(user),
    });
  };

  /** A view submission for a modal Ladder never opened (callback and metadata as given). */
  const viewSubmission = (
    user: string,
    callbackId: string,
    privateMetadata: string,
    values: Record<string, string>,
  ) => ({
    type: 'view_submission',
    user: { id: user, name: user.toLowerCase() },
    team: { id: 'T0EMULATED' },
    trigger_id: rig.emulator.workspace.issueTrigger(user),
    view: {
      id: `V${Date.now()}`,
      callback_id: callbackId,
      private_metadata: privateMetadata,
      state: {
        values: Object.fromEntries(
          Object.entries(values).map(([k, v]) => [k, { [k]: { type: 'plain_text_input', value: v } }]),
        ),
      },
    },
  });

  /** Ephemeral answers `user` got anywhere (channels and DMs), oldest first. */
  const ephemerals = (user: string): string[] =>
    [...rig.emulator.workspace.channels.keys()]
      .flatMap((c) => rig.emulator.messages(c).filter((m) => m.ephemeralTo === user))
      .sort((a, b) => Number(a.ts) - Number(b.ts))
      .map((m) => m.text);

  /** The app still answers a good signed request (the file's liveness check after every case). */
  async function expectAlive(): Promise<void> {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'still-here' });
    const res = await signed(body, 'application/json');
    expect(res).toEqual({ status: 200, text: '{"challenge":"still-here"}' });
  }

  beforeAll(async () => {
    rig = await startSlackRig('corpus-slack', workflowTestPolicy());
    mine = await submit(rig.stack, taskRequest('a2', 'ops', [appendStep('corpus-slack-mine')]));
    other = await submit(
      rig.stack,
      taskRequest('a3', 'ops', [appendStep('corpus-slack-other')], {
        requestedRung: { rung: 2, reason: 'corpus: wait for a person' },
      }),
    );
    started.push(mine.workflowId, other.workflowId);
    mineStatus = await waitForStatus(mine.handle, (s) => s.phase === 'awaiting-human');
    await waitForStatus(other.handle, (s) => s.phase === 'awaiting-human');
  });
  afterAll(async () => {
    await Promise.all([mine?.handle.cancel(), other?.handle.cancel()].map((p) => p?.catch(() => undefined)));
    await rig?.stop();
  });

  /** Requests refused at the HTTP edge: status and the reason in the body. */
  interface EdgeCase {
    family: string;
    name: string;
    send: () => Promise<Sent>;
    status: number;
    reason: RegExp;
  }
  const help = () => form(command('U0APPR001', 'help'));
  const withHeaders = (headers: (body: string) => Record<string, string>) => () => {
    const body = help();
    return post(body, headers(body));
  };
  const chunkedSigned = (bytes: number) => async (): Promise<Sent> => {
    const timestamp = now();
    const chunk = new TextEncoder().encode('a'.repeat(256 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ * chunk.length < bytes) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await fetch(rig.appUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        // Signed over what a sender claims: the body is refused for its size before that matters.
        'x-slack-signature': signSlackRequest(rig.signingSecret, timestamp, ''),
      },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    return { status: res.status, text: await res.text() };
  };

  const EDGE: EdgeCase[] = [
    // Signatures and timestamps: refused before any listener runs.
    {
      family: 'signatures',
      name: 'no timestamp',
      send: withHeaders((b) => ({ 'x-slack-signature': signSlackRequest(rig.signingSecret, now(), b) })),
      status: 401,
      reason: /missing or malformed X-Slack-Request-Timestamp/,
    },
    {
      family: 'signatures',
      name: 'a timestamp that is not a number',
      send: withHeaders((b) => ({ ...sign(b), 'x-slack-request-timestamp': 'yesterday' })),
      status: 401,
      reason: /missing or malformed X-Slack-Request-Timestamp/,
    },
    {
      family: 'signatures',
      name: 'a fractional timestamp',
      send: withHeaders((b) => ({ ...sign(b), 'x-slack-request-timestamp': `${now()}.5` })),
      status: 401,
      reason: /missing or malformed X-Slack-Request-Timestamp/,
    },
    {
      family: 'signatures',
      name: 'a negative timestamp',
      send: withHeaders((b) => ({ ...sign(b), 'x-slack-request-timestamp': '-5' })),
      status: 401,
      reason: /missing or malformed X-Slack-Request-Timestamp/,
    },
    {
      family: 'signatures',
      name: 'a 30-digit timestamp',
      send: withHeaders((b) => sign(b, Number('9'.repeat(30)))),
      status: 401,
      reason: /future-dated request|malformed/,
    },
    {
      family: 'signatures',
      name: 'timestamp 0',
      send: withHeaders((b) => sign(b, 0)),
      status: 401,
      reason: /stale request: timestamp is \d+ s old/,
    },
    {
      family: 'signatures',
      name: 'stale by 301 s',
      send: withHeaders((b) => sign(b, now() - 301)),
      status: 401,
      reason: /stale request: timestamp is 30[12] s old/,
    },
    {
      family: 'signatures',
      name: 'stale by a day',
      send: withHeaders((b) => sign(b, now() - 86_400)),
      status: 401,
      reason: /stale request: timestamp is 864\d\d s old/,
    },
    {
      family: 'signatures',
      name: 'future-dated by 301 s',
      send: withHeaders((b) => sign(b, now() + 301)),
      status: 401,
      reason: /future-dated request: timestamp is (30[01]) s ahead/,
    },
    {
      family: 'signatures',
      name: 'future-dated by a year',
      send: withHeaders((b) => sign(b, now() + 31_536_000)),
      status: 401,
      reason: /future-dated request: timestamp is 3153\d{4} s ahead/,
    },
    {
      family: 'signatures',
      name: 'no signature',
      send: withHeaders(() => ({ 'x-slack-request-timestamp': String(now()) })),
      status: 401,
      reason: /missing or malformed X-Slack-Signature/,
    },
    {
      family: 'signatures',
      name: 'a v1= signature',
      send: withHeaders((b) => ({
        ...sign(b),
        'x-slack-signature': sign(b)['x-slack-signature'].replace('v0=', 'v1='),
      })),
      status: 401,
      reason: /missing or malformed X-Slack-Signature/,
    },
    {
      family: 'signatures',
      name: 'an upper-case hex signature',
      send: withHeaders((b) => ({
        ...sign(b),
        'x-slack-signature': `v0=${sign(b)['x-slack-signature'].slice(3).toUpperCase()}`,
      })),
      status: 401,
      reason: /missing or malformed X-Slack-Signature/,
    },
    {
      family: 'signatures',
      name: 'a signature one hex digit short',
      send: withHeaders((b) => ({
        ...sign(b),
        'x-slack-signature': sign(b)['x-slack-signature'].slice(0, -1),
      })),
      status: 401,
      reason: /missing or malformed X-Slack-Signature/,
    },
    {
      family: 'signatures',
      name: 'two signatures',
      send: withHeaders((b) => ({
        ...sign(b),
        'x-slack-signature': `${sign(b)['x-slack-signature']}, ${sign(b)['x-slack-signature']}`,
      })),
      status: 401,
      reason: /missing or malformed X-Slack-Signature/,
    },
    {
      family: 'signatures',
      name: 'signed with another secret',
      send: withHeaders((b) => sign(b, now(), 'not-the-secret')),
      status: 401,
      reason: /signature does not match/,
    },
    {
      family: 'signatures',
      name: 'signed for another timestamp',
      send: withHeaders((b) => ({ ...sign(b, now() - 10), 'x-slack-request-timestamp': String(now()) })),
      status: 401,
      reason: /signature does not match/,
    },
    {
      family: 'signatures',
      name: 'a body changed after signing',
      send: () => {
        const b = help();
        return post(b.replace('help', 'freeze'), sign(b));
      },
      status: 401,
      reason: /signature does not match/,
    },
    {
      family: 'signatures',
      name: 'an empty body signed, a body sent',
      send: () => post(help(), sign('')),
      status: 401,
      reason: /signature does not match/,
    },
    // Bodies: sizes and media types, correctly signed.
    {
      family: 'sizes',
      name: 'a signed body of 1 MB + 1 byte',
      send: () => signed(`text=${'a'.repeat(MAX_BODY_BYTES - 4)}`),
      status: 413,
      reason: /body larger than 1048576 bytes/,
    },
    {
      family: 'sizes',
      name: 'a signed body of 10 MB',
      send: () => signed(`text=${'a'.repeat(10 * MAX_BODY_BYTES)}`),
      status: 413,
      reason: /body larger than 1048576 bytes/,
    },
    {
      family: 'sizes',
      name: 'a 10 MB body streamed without a length',
      send: chunkedSigned(10 * MAX_BODY_BYTES),
      status: 413,
      reason: /body larger than 1048576 bytes/,
    },
    {
      family: 'malformed',
      name: 'no content type',
      send: () => {
        const b = help();
        return post(new TextEncoder().encode(b), sign(b), null);
      },
      status: 400,
      reason: /unsupported content-type \(none\)/,
    },
    {
      family: 'malformed',
      name: 'multipart',
      send: () => signed(help(), 'multipart/form-data; boundary=x'),
      status: 400,
      reason: /unsupported content-type multipart/,
    },
    {
      family: 'malformed',
      name: 'a form sent as JSON',
      send: () => signed(help(), 'application/json'),
      status: 400,
      reason: /malformed body/,
    },
    {
      family: 'malformed',
      name: 'payload=null',
      send: () => signed(form({ payload: 'null' })),
      status: 400,
      reason: /payload is not a JSON object/,
    },
    {
      family: 'malformed',
      name: 'payload is a JSON string',
      send: () => signed(form({ payload: '"block_actions"' })),
      status: 400,
      reason: /payload is not a JSON object/,
    },
    {
      family: 'malformed',
      name: 'a JSON body that is a number',
      send: () => signed('42', 'application/json'),
      status: 400,
      reason: /body is not a JSON object/,
    },
    // Signed, well-formed, but missing what Slack always sends.
    {
      family: 'missing-fields',
      name: 'a click without a user',
      send: () =>
        signed(
          payloadForm({
            ...click('U0APPR002', { action_id: 'ladder_done', value: mine.workflowId }),
            user: undefined,
          }),
        ),
      status: 400,
      reason: /^block_actions payload without user\.id$/,
    },
    {
      family: 'missing-fields',
      name: 'a click by a user id that is not one',
      send: () =>
        signed(
          payloadForm({
            ...click('U0APPR002', { action_id: 'ladder_done', value: mine.workflowId }),
            user: { id: 'bob' },
          }),
        ),
      status: 400,
      reason: /^block_actions payload whose user\.id is not a Slack user id$/,
    },
    {
      family: 'missing-fields',
      name: 'a click with a numeric user id',
      send: () =>
        signed(payloadForm({ ...click('U0APPR002', { action_id: 'ladder_done' }), user: { id: 42 } })),
      status: 400,
      reason: /^block_actions payload without user\.id$/,
    },
    {
      family: 'missing-fields',
      name: 'a click without actions',
      send: () =>
        signed(payloadForm({ ...click('U0APPR002', { action_id: 'ladder_done' }), actions: undefined })),
      status: 400,
      reason: /^block_actions payload without actions$/,
    },
    {
      family: 'missing-fields',
      name: 'a click with no action in actions',
      send: () => signed(payloadForm({ ...click('U0APPR002', { action_id: 'ladder_done' }), actions: [] })),
      status: 400,
      reason: /^block_actions payload without actions$/,
    },
    {
      family: 'missing-fields',
      name: 'a click whose actions is an object',
      send: () =>
        signed(
          payloadForm({
            ...click('U0APPR002', { action_id: 'ladder_done' }),
            actions: { action_id: 'ladder_done' },
          }),
        ),
      status: 400,
      reason: /^block_actions payload without actions$/,
    },
    {
      family: 'missing-fields',
      name: 'a click whose action has no action_id',
      send: () =>
        signed(
          payloadForm({
            ...click('U0APPR002', { action_id: 'ladder_done' }),
            actions: [{ value: mine.workflowId }],
          }),
        ),
      status: 400,
      reason: /^block_actions payload without actions\[0\]\.action_id$/,
    },
    {
      family: 'missing-fields',
      name: 'a view submission without a view',
      send: () => signed(payloadForm({ type: 'view_submission', user: { id: 'U0APPR001' } })),
      status: 400,
      reason: /^view_submission payload without view$/,
    },
    {
      family: 'missing-fields',
      name: 'a view submission without a callback id',
      send: () =>
        signed(
          payloadForm({
            ...viewSubmission('U0APPR001', 'ladder_reject', '{}', {}),
            view: { private_metadata: '', state: { values: {} } },
          }),
        ),
      status: 400,
      reason: /^view_submission payload without view\.callback_id$/,
    },
    {
      family: 'missing-fields',
      name: 'a view submission without state values',
      send: () =>
        signed(
          payloadForm({
            ...viewSubmission('U0APPR001', 'ladder_reject', '{}', {}),
            view: { callback_id: 'ladder_reject', private_metadata: '' },
          }),
        ),
      status: 400,
      reason: /^view_submission payload without view\.state\.values$/,
    },
    {
      family: 'missing-fields',
      name: 'a view submission without private metadata',
      send: () =>
        signed(
          payloadForm({
            ...viewSubmission('U0APPR001', 'ladder_reject', '{}', {}),
            view: { callback_id: 'ladder_reject', state: { values: {} } },
          }),
        ),
      status: 400,
      reason: /^view_submission payload without view\.private_metadata$/,
    },
    {
      family: 'missing-fields',
      name: 'a view submission without a user',
      send: () =>
        signed(payloadForm({ ...viewSubmission('U0APPR001', 'ladder_reject', '{}', {}), user: undefined })),
      status: 400,
      reason: /^view_submission payload without user\.id$/,
    },
    {
      family: 'missing-fields',
      name: 'a slash command without user_id',
      send: () => signed(form({ ...command('U0APPR001', 'help'), user_id: '' })),
      status: 400,
      reason: /^slash command without a single user_id$/,
    },
    {
      family: 'missing-fields',
      name: 'a slash command with user_id twice',
      send: () => signed(`${help()}&user_id=U0ADMIN01`),
      status: 400,
      reason: /^slash command without a single user_id$/,
    },
    {
      family: 'missing-fields',
      name: 'a slash command without a channel',
      send: () => signed(form({ ...command('U0APPR001', 'help'), channel_id: '' })),
      status: 400,
      reason: /^slash command without a single channel_id$/,
    },
    {
      family: 'missing-fields',
      name: 'a slash command without a response_url',
      send: () => signed(form({ ...command('U0APPR001', 'help'), response_url: '' })),
      status: 400,
      reason: /^slash command without a single response_url$/,
    },
    {
      family: 'missing-fields',
      name: 'a slash command not starting with /',
      send: () => signed(form({ ...command('U0APPR001', 'help'), command: 'ladder' })),
      status: 400,
      reason: /^slash command whose command does not start with \/$/,
    },
    {
      family: 'missing-fields',
      name: 'a slash command by a user id that is not one',
      send: () => signed(form({ ...command('U0APPR001', 'help'), user_id: 'admin' })),
      status: 400,
      reason: /^slash command whose user_id is not a Slack user id$/,
    },
    {
      family: 'missing-fields',
      name: 'an event callback without an event',
      send: () => signed(JSON.stringify({ type: 'event_callback' }), 'application/json'),
      status: 400,
      reason: /^event_callback without event\.type$/,
    },
    {
      family: 'missing-fields',
      name: 'a url_verification without a challenge',
      send: () => signed(JSON.stringify({ type: 'url_verification' }), 'application/json'),
      status: 400,
      reason: /^url_verification without a challenge$/,
    },
    // Well-formed requests nothing listens for: answered at once, not after Bolt's 3 s.
    {
      family: 'unknown-ids',
      name: 'another slash command',
      send: () => signed(form(command('U0APPR001', 'x', '#corpus', '/deploy'))),
      status: 404,
      reason: /no listener/,
    },
    {
      family: 'unknown-ids',
      name: 'a button that is not Ladder’s',
      send: () =>
        signed(payloadForm(click('U0APPR002', { action_id: 'deploy_now', value: mine.workflowId }))),
      status: 404,
      reason: /no listener for this block_actions/,
    },
    {
      family: 'unknown-ids',
      name: 'a modal Ladder never opens',
      send: () => signed(payloadForm(viewSubmission('U0APPR001', 'ladder_wire_money', '{}', {}))),
      status: 404,
      reason: /no listener for this view_submission/,
    },
    {
      family: 'unknown-ids',
      name: 'an unknown request type',
      send: () => signed(payloadForm({ type: 'workflow_step_execute', user: { id: 'U0APPR001' } })),
      status: 404,
      reason: /no listener for this workflow_step_execute/,
    },
    {
      family: 'prototype-keys',
      name: 'a __proto__ key naming a type',
      send: () => signed('{"__proto__":{"type":"url_verification","challenge":"x"}}', 'application/json'),
      status: 404,
      reason: /no listener for this request/,
    },
  ];

  describe('the HTTP edge', () => {
    test.each(EDGE.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const before = ephemerals('U0APPR001').length + ephemerals('U0APPR002').length;
      const started = Date.now();
      const res = await c.send();
      expect(res.status).toBe(c.status);
      expect(res.text).toMatch(c.reason);
      expectNoCrashText(res.text);
      // Answered at once (Slack gives up after 3 s), and no listener ran: nobody was told anything.
      expect(Date.now() - started).toBeLessThan(2500);
      await expectAlive();
      expect(ephemerals('U0APPR001').length + ephemerals('U0APPR002').length).toBe(before);
    });
  });

  /** Signed, well-formed clicks and submissions Ladder must refuse, telling the person why. */
  interface ListenerCase {
    family: string;
    name: string;
    user: string;
    body: () => string;
    /** The ack: 200, with the modal errors when a form is refused on its fields. */
    ack?: unknown;
    /** What the person is told (ephemerally). */
    told?: RegExp;
  }
  const LISTENER: ListenerCase[] = [
    {
      family: 'unknown-ids',
      name: 'a Ladder button that does not exist',
      user: 'U0APPR002',
      body: () => payloadForm(click('U0APPR002', { action_id: 'ladder_nuke', value: mine.workflowId })),
      told: /^Unknown Ladder button "nuke"\.$/,
    },
    {
      family: 'unknown-ids',
      name: 'a Ladder button with no name',
      user: 'U0APPR002',
      body: () => payloadForm(click('U0APPR002', { action_id: 'ladder_', value: mine.workflowId })),
      told: /^Unknown Ladder button ""\.$/,
    },
    {
      family: 'missing-fields',
      name: 'a button without a value',
      user: 'U0APPR002',
      body: () => payloadForm(click('U0APPR002', { action_id: 'ladder_approve' })),
      told: /^That click could not be read: button has no value\.$/,
    },
    {
      family: 'malformed',
      name: 'an empty button value',
      user: 'U0APPR002',
      body: () => payloadForm(click('U0APPR002', { action_id: 'ladder_approve', value: '' })),
      told: /^That click could not be read: button value is not a workflow id: \.$/,
    },
    {
      family: 'sizes',
      name: 'a 10 KB button value',
      user: 'U0APPR002',
      body: () => payloadForm(click('U0APPR002', { action_id: 'ladder_approve', value: 'v'.repeat(10_000) })),
      told: /^That click could not be read: button value is not a workflow id: v{80}\.$/,
    },
    {
      family: 'paths',
      name: 'a button value climbing to a ledger',
      user: 'U0APPR002',
      body: () =>
        payloadForm(
          click('U0APPR002', {
            action_id: 'ladder_approve',
            value: `task/a3/../../ledger/a3#${mineStatus.stepsHash}`,
          }),
        ),
      told: /^Refused: no task task\/a3\/\.\.\/\.\.\/ledger\/a3$/,
    },
    {
      family: 'unknown-ids',
      name: 'a button naming a task that does not exist',
      user: 'U0APPR002',
      body: () =>
        payloadForm(
          click('U0APPR002', {
            action_id: 'ladder_approve',
            value: `task/a2/never-submitted#${mineStatus.stepsHash}`,
          }),
        ),
      told: /^Refused: no task task\/a2\/never-submitted$/,
    },
    {
      family: 'another-agents-workflow',
      name: "Approve carrying this task's steps, naming another agent's task",
      user: 'U0APPR002',
      body: () =>
        payloadForm(
          click('U0APPR002', {
            action_id: 'ladder_approve',
            value: `${other.workflowId}#${mineStatus.stepsHash}`,
          }),
        ),
      told: /^Refused: this approval is for a different version of the steps/,
    },
    {
      family: 'another-agents-workflow',
      name: "Approve on another agent's task by someone who may not",
      user: 'U0OUTSID1',
      body: () =>
        payloadForm(
          click('U0OUTSID1', {
            action_id: 'ladder_approve',
            value: `${other.workflowId}#${mineStatus.stepsHash}`,
          }),
        ),
      told: /^Refused: U0OUTSID1 is not an approver for task class "ops"/,
    },
    {
      family: 'another-agents-workflow',
      name: "Done (a suggestion's answer) on another agent's rung-2 task",
      user: 'U0APPR002',
      body: () => payloadForm(click('U0APPR002', { action_id: 'ladder_done', value: other.workflowId })),
      told: /^Refused: task is not waiting for a suggestion answer \(phase: awaiting-human\)$/,
    },
    {
      family: 'another-agents-workflow',
      name: "Mark read on another agent's task that has no report",
      user: 'U0APPR002',
      body: () => payloadForm(click('U0APPR002', { action_id: 'ladder_mark_read', value: other.workflowId })),
      told: /^Refused: task is not waiting for a report answer \(phase: awaiting-human\)$/,
    },
    {
      family: 'malformed',
      name: 'a promotion button naming no ledger',
      user: 'U0APPR002',
      body: () => payloadForm(click('U0APPR002', { action_id: 'ladder_promote', value: 'ledger/a3#p1' })),
      told: /^That button does not name a promotion proposal\.$/,
    },
    {
      family: 'another-agents-workflow',
      name: 'a promotion decision on a ledger that does not run',
      user: 'U0APPR002',
      body: () =>
        payloadForm(
          click('U0APPR002', { action_id: 'ladder_promote', value: `ledger/${rig.stack.taskQueue}/a3#p1` }),
        ),
      told: /^Ladder could not record that: workflow not found for ID: ledger\/test-corpus-slack-[0-9a-f]+\/a3$/,
    },
    {
      family: 'malformed',
      name: 'a delegate form whose metadata is not JSON',
      user: 'U0APPR001',
      body: () => payloadForm(viewSubmission('U0APPR001', 'ladder_delegate', 'not json', { title: 'x' })),
      ack: {
        response_action: 'errors',
        errors: { title: expect.stringMatching(/This form is out of date/) },
      },
    },
    {
      family: 'malformed',
      name: 'a reject form whose metadata is not ours',
      user: 'U0APPR002',
      body: () => payloadForm(viewSubmission('U0APPR002', 'ladder_reject', '{"x":1}', { reason: 'no' })),
      ack: {
        response_action: 'errors',
        errors: { reason: expect.stringMatching(/This form is out of date/) },
      },
    },
    {
      family: 'missing-fields',
      name: 'a reject form without a reason',
      user: 'U0APPR002',
      body: () =>
        payloadForm(
          viewSubmission('U0APPR002', 'ladder_reject', JSON.stringify({ workflowId: mine.workflowId }), {
            reason: '',
          }),
        ),
      ack: { response_action: 'errors', errors: { reason: 'A rejection needs a reason.' } },
    },
    {
      family: 'another-agents-workflow',
      name: "a reject form naming another agent's task, by someone who may not",
      user: 'U0OUTSID1',
      body: () =>
        payloadForm(
          viewSubmission('U0OUTSID1', 'ladder_reject', JSON.stringify({ workflowId: other.workflowId }), {
            reason: 'no',
          }),
        ),
      told: /^Refused: U0OUTSID1 is not an approver/,
    },
    {
      family: 'another-agents-workflow',
      name: "a typed approval naming another agent's task with this task's steps",
      user: 'U0APPR002',
      body: () =>
        payloadForm(
          viewSubmission(
            'U0APPR002',
            'ladder_approve_typed',
            JSON.stringify({ workflowId: other.workflowId, stepsHash: mineStatus.stepsHash }),
            { typed: '' },
          ),
        ),
      told: /^Refused: this approval is for a different version of the steps/,
    },
    {
      family: 'another-agents-workflow',
      name: 'a defect report naming a task that does not exist',
      user: 'U0APPR002',
      body: () =>
        payloadForm(
          viewSubmission('U0APPR002', 'ladder_defect', JSON.stringify({ workflowId: 'task/a5/nope' }), {
            reason: 'broke',
          }),
        ),
      told: /^Refused: no decided task task\/a5\/nope: workflow not found/,
    },
    {
      family: 'unknown-ids',
      name: '/ladder with an unknown verb',
      user: 'U0APPR001',
      body: () => form(command('U0APPR001', 'obliterate everything')),
      told: /^Unknown command "obliterate"\./,
    },
    {
      family: 'unknown-ids',
      name: '/ladder status of an agent that does not exist',
      user: 'U0APPR001',
      body: () => form(command('U0APPR001', 'status ghost-agent')),
      told: /^Unknown agent "ghost-agent" \(declared: a0, a1, a2, a3, a4, a5\)\.$/,
    },
    {
      family: 'unknown-ids',
      name: '/ladder freeze by someone who is not an admin',
      user: 'U0APPR001',
      body: () => form(command('U0APPR001', 'freeze a3 <!channel>')),
      told: /^Refused: U0APPR001 is not an admin/,
    },
    {
      family: 'prototype-keys',
      name: '/ladder unfreeze __proto__',
      user: 'U0ADMIN01',
      body: () => form(command('U0ADMIN01', 'unfreeze __proto__')),
      told: /^Refused: unknown agent "__proto__"/,
    },
    {
      family: 'missing-fields',
      name: '/ladder incident without a task class',
      user: 'U0ADMIN01',
      body: () => form(command('U0ADMIN01', 'incident a3')),
      told: /^Usage: `\/ladder incident <agent> <task class>/,
    },
  ];

  describe('signed and well-formed, refused by the listeners', () => {
    test.each(LISTENER.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const before = ephemerals(c.user).length;
      const res = await signed(c.body());
      expect(res.status).toBe(200);
      if (c.ack !== undefined) expect(JSON.parse(res.text)).toEqual(c.ack);
      if (c.told) {
        await waitUntil(() => ephemerals(c.user).length > before, 30_000);
        const told = ephemerals(c.user).slice(before);
        expect(told).toEqual([expect.stringMatching(c.told)]);
        expectNoCrashText(told[0]);
      }
      // Nothing was answered on the two waiting tasks.
      for (const s of [mine, other]) {
        const status = await s.handle.query(statusQuery);
        expect([s.workflowId, status.phase, status.approvedBy]).toEqual([
          s.workflowId,
          'awaiting-human',
          null,
        ]);
      }
      await expectAlive();
    });
  });

  /** The delegate modal: the Slack entry point for tasks, refused on the field that is wrong. */
  interface ModalCase {
    family: string;
    name: string;
    values: Record<string, string>;
    /** Modal field → what its error must say. */
    errors: Record<string, RegExp>;
  }
  const GOOD_FORM = {
    agent: 'a3',
    task_class: 'ops',
    title: 'corpus from the modal',
    environment: 'staging',
    action: 'shell.exec',
    params: '{"command": "echo modal >> effects.log"}',
    resource: '',
  };
  const MODAL: ModalCase[] = [
    {
      family: 'types',
      name: 'params that are not JSON',
      values: { params: '{"command": ' },
      errors: { params: /^expected JSON: / },
    },
    {
      family: 'types',
      name: 'params that are a list',
      values: { params: '["echo", "hi"]' },
      errors: { params: /^expected a JSON object/ },
    },
    {
      family: 'types',
      name: 'params of the wrong type',
      values: { params: '{"command": 42}' },
      errors: { params: /steps\[0\]\.params\.command: expected a shell command/ },
    },
    {
      family: 'types',
      name: 'an empty title',
      values: { title: '' },
      errors: { title: /title: expected a title/ },
    },
    {
      family: 'types',
      name: 'an environment in capitals',
      values: { environment: 'Staging' },
      errors: { environment: /environment: expected an environment name/ },
    },
    {
      family: 'policy-references',
      // The environment is a select of the policy's names: `prod` cannot be chosen, and a form
      // without a choice is refused on the field (the API and CLI still say "did you mean").
      name: 'prod, which the environment select does not offer',
      values: { environment: 'prod' },
      errors: { environment: /expected an environment name/ },
    },
    {
      family: 'policy-references',
      name: 'an action the class does not allow',
      values: { task_class: 'quota', action: 'file.write', params: '{"path": "a.txt", "content": "x"}' },
      errors: { action: /"file\.write" is not allowed for task class "quota"/ },
    },
    { family: 'unknown-ids', name: 'no agent chosen', values: { agent: '' }, errors: { agent: /agent\.id/ } },
    {
      family: 'unknown-ids',
      name: 'no task class chosen',
      values: { task_class: '' },
      errors: { task_class: /taskClass: expected a task class/ },
    },
    {
      family: 'sizes',
      name: 'a 201-character title',
      values: { title: 't'.repeat(201) },
      errors: { title: /title: 201 characters, at most 200/ },
    },
    {
      family: 'sizes',
      name: 'params of 70 KiB',
      values: { params: JSON.stringify({ command: 'x'.repeat(70 * 1024) }) },
      errors: { params: /steps\[0\]\.params: 7\d KiB, at most 64 KiB/ },
    },
    {
      family: 'control-characters',
      name: 'ESC in the title',
      values: { title: 'ok \u001b[2J cleared' },
      errors: { title: /title: contains U\+001B \(a control character\)/ },
    },
    {
      family: 'control-characters',
      name: 'a right-to-left override in the resource',
      values: { resource: 'payments\u202e' },
      errors: { resource: /resource: contains U\+202E \(a bidirectional control\)/ },
    },
    {
      family: 'control-characters',
      name: 'NUL in the params',
      values: { params: '{"command": "echo a\\u0000b"}' },
      errors: { params: /steps\[0\]\.params\.command: contains a NUL character/ },
    },
    {
      family: 'prototype-keys',
      name: 'a __proto__ key in the params',
      values: { params: '{"command": "true", "__proto__": {"cwd": "/"}}' },
      errors: { params: /steps\[0\]\.params\.__proto__: a key named "__proto__" is refused/ },
    },
    {
      family: 'paths',
      name: 'config.set of a file that is not config',
      values: { action: 'config.set', params: '{"file": "../../etc/passwd", "set": {"a": 1}}' },
      errors: { params: /steps\[0\]\.params\.file: expected a \.json, \.yaml or \.yml file/ },
    },
    {
      family: 'urls-and-hosts',
      name: 'an http.request to file://',
      values: { action: 'http.request', params: '{"method": "GET", "url": "file:///etc/passwd"}' },
      errors: { params: /steps\[0\]\.params\.url: expected an http\(s\) URL/ },
    },
    {
      family: 'urls-and-hosts',
      name: 'a credential in a header',
      values: {
        action: 'http.request',
        params:
          '{"method": "GET", "url": "http://127.0.0.1:4199/", "headers": {"Authorization": "Bearer abcdefgh12345"}}',
      },
      errors: { params: /carries a credential/ },
    },
    {
      family: 'shell-metacharacters',
      name: 'an environment with a shell pipe',
      values: { environment: 'staging|id' },
      errors: { environment: /environment: expected an environment name/ },
    },
  ];

  describe('the delegate modal', () => {
    const requester = 'U0APPR001';
    beforeAll(async () => {
      await rig.emulator.command(requester, '#ops', '/ladder delegate');
      await waitUntil(() => rig.emulator.viewFor(requester) !== undefined);
    });

    test.each(MODAL.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const result = await rig.emulator.submitView(requester, { ...GOOD_FORM, ...c.values });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({
        response_action: 'errors',
        errors: Object.fromEntries(Object.entries(c.errors).map(([k, v]) => [k, expect.stringMatching(v)])),
      });
      expectNoCrashText(JSON.stringify(result.body));
      // The form stays open with the error on its field; nothing started.
      expect(rig.emulator.viewFor(requester)?.errors).toEqual(result.body && (result.body as any).errors);
      await expectAlive();
    });

    it('starts the task once the form is right, and nothing before it', async () => {
      await rig.emulator.submitView(requester, GOOD_FORM);
      expect(rig.emulator.viewFor(requester)).toBeUndefined();
      await waitUntil(() => ephemerals(requester).some((t) => t.startsWith('Started')), 30_000);
      const workflowId = /`(task\/a3\/[^`]+)`/.exec(
        ephemerals(requester).find((t) => t.startsWith('Started'))!,
      )![1];
      started.push(workflowId);
      const ids = await workflowsOnQueue(rig.stack.client, rig.stack.taskQueue, started);
      expect(ids.filter((id) => id.startsWith('task/'))).toEqual([...started].sort());
    });
  });
});
