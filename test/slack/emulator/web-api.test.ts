import { startSlackWebApi, type SlackWebApiEmulator } from '../../../slack/emulator/web-api';

describe('emulated Slack Web API', () => {
  let api: SlackWebApiEmulator;
  beforeAll(async () => {
    api = await startSlackWebApi();
  });
  afterAll(() => api.close());

  const call = async (method: string, args: Record<string, string>, token: string | null = 'xoxb-t') => {
    const response = await fetch(`${api.apiUrl}${method}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: new URLSearchParams(args).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers like Slack for auth problems and unknown methods', async () => {
    expect((await call('auth.test', {}, null)).body).toEqual({ ok: false, error: 'not_authed' });
    expect((await call('auth.test', {}, 'xoxp-user')).body).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await call('chat.nope', {})).toEqual({
      status: 404,
      body: { ok: false, error: 'unknown_method' },
    });
    expect((await call('auth.test', {})).body).toMatchObject({ ok: true, user_id: 'U0LADDERBOT' });
  });

  it('posts, updates and refuses updates of unknown messages', async () => {
    const posted = await call('chat.postMessage', { channel: '#ops', text: 'hello', blocks: '[]' });
    expect(posted.body).toMatchObject({ ok: true, channel: api.channelId('#ops') });
    const ts = posted.body.ts as string;
    expect(
      (await call('chat.update', { channel: api.channelId('#ops'), ts, text: 'edited' })).body,
    ).toMatchObject({ ok: true });
    expect(api.messages('#ops').find((m) => m.ts === ts)).toMatchObject({ text: 'edited', edits: 1 });
    expect((await call('chat.update', { channel: '#ops', ts: '1.2', text: 'x' })).body).toEqual({
      ok: false,
      error: 'message_not_found',
    });
    expect((await call('chat.postMessage', { channel: '#ops' })).body).toEqual({
      ok: false,
      error: 'no_text',
    });
  });

  it('opens DMs, shows ephemeral messages to one user, and looks users up', async () => {
    const dm = await call('conversations.open', { users: 'U0OWNER01' });
    expect(dm.body).toEqual({ ok: true, channel: { id: api.dmWith('U0OWNER01') } });
    expect((await call('conversations.open', {})).body).toEqual({
      ok: false,
      error: 'users_list_not_supplied',
    });
    await call('chat.postEphemeral', { channel: '#ops', user: 'U0APPR001', text: 'only you' });
    expect(api.messages('#ops').at(-1)).toMatchObject({ ephemeralTo: 'U0APPR001', text: 'only you' });
    expect((await call('users.info', { user: 'U0APPR001' })).body).toMatchObject({
      ok: true,
      user: { id: 'U0APPR001' },
    });
    expect((await call('users.info', { user: 'bob' })).body).toEqual({ ok: false, error: 'user_not_found' });
  });

  it('injects 429 with Retry-After, 500 and slow responses for the next calls', async () => {
    api.injectFault({ kind: 'rate-limited', retryAfterSeconds: 7 });
    const limited = await fetch(`${api.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-t' },
    });
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);
    api.injectFault({ kind: 'server-error' }, { method: 'auth.test' });
    expect((await call('auth.test', {})).status).toBe(500);
    api.injectFault({ kind: 'slow', delayMs: 300 });
    const started = Date.now();
    expect((await call('auth.test', {})).body).toMatchObject({ ok: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
