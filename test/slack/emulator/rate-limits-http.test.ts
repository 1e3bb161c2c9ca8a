import { ErrorCode, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { startSlackEmulator, type SlackEmulator } from '../../../slack/emulator/server';
import { startSlackWebApi } from '../../../slack/emulator/web-api';

/** Slack's rate limits, enforced by the real emulator over HTTP. */
describe('emulator rate limits over HTTP', () => {
  let emulator: SlackEmulator;
  let now: number;
  const started: { close(): Promise<void> }[] = [];
  /** An emulator whose limiter reads `now`, so a test steps time instead of waiting. */
  const fakeClockEmulator = async () => {
    now = 1_700_000_000_000;
    const e = await startSlackEmulator({ port: 0, rateLimits: { enabled: true, clock: () => now } });
    started.push(e);
    return e;
  };
  beforeEach(async () => {
    emulator = await fakeClockEmulator();
  });
  afterEach(async () => {
    await Promise.all(started.splice(0).map((e) => e.close()));
  });

  const api = async (method: string, args: Record<string, string>, token = 'xoxb-app-one') => {
    const response = await fetch(`${emulator.apiUrl}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` },
      body: new URLSearchParams(args).toString(),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  const post = (channel: string, text = 'hello', token?: string) =>
    api('chat.postMessage', { channel, text }, token);
  const control = async (httpMethod: string, body?: unknown) => {
    const response = await fetch(`${emulator.url}/emulator/rate-limits`, {
      method: httpMethod,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> };
  };
  const limitedClient = () =>
    new WebClient('xoxb-app-one', {
      slackApiUrl: emulator.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
    });

  it('answers a burst to one channel with 429, Retry-After and ratelimited after three posts; other channels and apps go on', async () => {
    const client = limitedClient();
    for (const text of ['one', 'two', 'three'])
      expect(await client.chat.postMessage({ channel: '#ops', text })).toMatchObject({ ok: true });
    await expect(client.chat.postMessage({ channel: '#ops', text: 'four' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    expect(await post('#ops', 'five')).toEqual({
      status: 429,
      retryAfter: '1',
      body: { ok: false, error: 'ratelimited' },
    });
    // By id, #ops is the same channel and the same limit.
    expect((await post(emulator.channelId('#ops'), 'six')).status).toBe(429);
    expect(emulator.messages('#ops').map((m) => m.text)).toEqual(['one', 'two', 'three']); // refused posts do nothing

    expect(await client.chat.postMessage({ channel: '#dev', text: 'elsewhere' })).toMatchObject({ ok: true });
    expect((await post('#ops', 'another app', 'xoxb-app-two')).status).toBe(200);
    expect(emulator.calls.filter((c) => c.status === 429).map((c) => c.method)).toEqual([
      'chat.postMessage',
      'chat.postMessage',
      'chat.postMessage',
    ]);
  });

  it('lets a post through once the caller has waited Retry-After on the clock, and counts what it refused', async () => {
    await Promise.all([post('#ops'), post('#ops'), post('#ops')]);
    const refused = await post('#ops', 'late');
    expect(refused.status).toBe(429);
    now += Number(refused.retryAfter) * 1000 - 1;
    expect((await post('#ops', 'late')).status).toBe(429); // a ms early is still early
    now += 1;
    expect((await post('#ops', 'late')).body).toMatchObject({ ok: true });
    expect(emulator.messages('#ops').at(-1)?.text).toBe('late');

    const report = (await control('GET')).body;
    expect(report).toMatchObject({
      ok: true,
      enabled: true,
      postMessage: { perChannel: { perMinute: 60, burst: 3 }, perApp: { perMinute: 300, burst: 50 } },
      tiers: { tier2: { perMinute: 20, burst: 20 }, tier3: { perMinute: 50, burst: 50 } },
      methods: { 'chat.update': 'tier3', 'conversations.history': 'tier3', 'users.info': 'tier4' },
      allowed: { total: 4, byMethod: { 'chat.postMessage': 4 } },
      limited: {
        total: 2,
        byMethod: { 'chat.postMessage': 2 },
        byChannel: { '#ops': 2 },
        byScope: { channel: 2, app: 0, method: 0 },
        lastAt: now - 1,
      },
    });
    expect(emulator.rateLimitReport().limited.total).toBe(2);
    // The page shows whether the limits are on and how many calls they refused.
    const state = (await (await fetch(`${emulator.url}/emulator/state?user=U0APPR001`)).json()) as {
      rateLimits: unknown;
    };
    expect(state.rateLimits).toEqual({ enabled: true, limited: 2 });
  });

  it("limits other methods by Slack's tier: conversations.list (tier 2) refuses its 21st call for 3 s", async () => {
    for (let i = 0; i < 20; i++) expect((await api('conversations.list', {})).status).toBe(200);
    expect(await api('conversations.list', {})).toMatchObject({
      status: 429,
      retryAfter: '3',
      body: { ok: false, error: 'ratelimited' },
    });
    expect((await api('users.info', { user: 'U0APPR001' })).status).toBe(200); // its own tier and count
    now += 3000;
    expect((await api('conversations.list', {})).status).toBe(200);
  });

  it('serves an injected fault first, without spending the caller’s allowance', async () => {
    emulator.injectFault(
      { kind: 'rate-limited', retryAfterSeconds: 7 },
      { method: 'chat.postMessage', times: 2 },
    );
    expect(await post('#ops')).toMatchObject({ status: 429, retryAfter: '7' });
    expect(await post('#ops')).toMatchObject({ status: 429, retryAfter: '7' });
    for (let i = 0; i < 3; i++) expect((await post('#ops')).status).toBe(200);
    expect(emulator.rateLimitReport().limited.total).toBe(0);
  });

  it('turns off and on at run time through POST /emulator/rate-limits, and refills on DELETE', async () => {
    for (let i = 0; i < 3; i++) await post('#ops');
    expect((await post('#ops')).status).toBe(429);

    const off = await control('POST', { enabled: false });
    expect(off).toMatchObject({ status: 200, body: { ok: true, enabled: false } });
    for (let i = 0; i < 20; i++) expect((await post('#ops')).status).toBe(200);
    expect(emulator.rateLimitReport().limited.total).toBe(1);

    await control('POST', { enabled: true, postMessage: { perChannel: { perMinute: 6, burst: 1 } } });
    expect((await post('#ops')).status).toBe(200);
    expect(await post('#ops')).toMatchObject({ status: 429, retryAfter: '10' });

    expect((await control('DELETE')).body).toMatchObject({ limited: { total: 0 }, allowed: { total: 0 } });
    expect((await post('#ops')).status).toBe(200); // full again

    expect(await control('POST', { enabled: 'no' })).toMatchObject({
      status: 400,
      body: { ok: false, field: 'enabled', error: expect.stringMatching(/^POST \/emulator\/rate-limits: /) },
    });
    expect(await control('POST', 'enabled=false')).toMatchObject({ status: 400, body: { field: '' } });
    expect((await control('PUT', {})).status).toBe(405);
    expect(emulator.rateLimitReport().enabled).toBe(true); // the refused requests changed nothing
  });

  it('limits nothing when started with rateLimits: false', async () => {
    emulator = await startSlackEmulator({ port: 0, rateLimits: false });
    started.push(emulator);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post('#ops', `m${i}`)));
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    for (let i = 0; i < 25; i++) expect((await api('conversations.list', {})).status).toBe(200);
    expect(emulator.messages('#ops')).toHaveLength(30);
    expect(emulator.rateLimitReport()).toMatchObject({ enabled: false, limited: { total: 0 } });
  });

  it('on the real clock, a WebClient that honours Retry-After gets its fourth post in after about a second', async () => {
    const real = await startSlackWebApi(0, true);
    started.push(real);
    const client = new WebClient('xoxb-app-one', {
      slackApiUrl: real.apiUrl,
      retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 10 },
      logLevel: LogLevel.ERROR,
    });
    const waits: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (seconds: number) => waits.push(seconds));
    const begun = Date.now();
    const answers = await Promise.all(
      ['a', 'b', 'c', 'd'].map((text) => client.chat.postMessage({ channel: '#ops', text })),
    );
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(waits).toEqual([1]);
    expect(Date.now() - begun).toBeGreaterThanOrEqual(900);
    expect(real.messages('#ops')).toHaveLength(4);
    expect(real.rateLimitReport().limited).toMatchObject({ total: 1, byChannel: { '#ops': 1 } });
  });

  describe('LADDER_EMULATOR_RATE_LIMITS', () => {
    const saved = process.env.LADDER_EMULATOR_RATE_LIMITS;
    afterEach(() => {
      if (saved === undefined) delete process.env.LADDER_EMULATOR_RATE_LIMITS;
      else process.env.LADDER_EMULATOR_RATE_LIMITS = saved;
    });

    it('turns the limits off for an emulator started without the option, and an explicit option wins', async () => {
      process.env.LADDER_EMULATOR_RATE_LIMITS = 'off';
      const plain = await startSlackEmulator({ port: 0 });
      started.push(plain);
      expect(plain.rateLimitReport().enabled).toBe(false);
      const tuned = await startSlackEmulator({ port: 0, rateLimits: { clock: () => now } });
      started.push(tuned);
      expect(tuned.rateLimitReport().enabled).toBe(false); // leaving `enabled` out lets the variable decide
      const forced = await startSlackEmulator({ port: 0, rateLimits: true });
      started.push(forced);
      expect(forced.rateLimitReport().enabled).toBe(true);

      delete process.env.LADDER_EMULATOR_RATE_LIMITS;
      const byDefault = await startSlackEmulator({ port: 0 });
      started.push(byDefault);
      expect(byDefault.rateLimitReport().enabled).toBe(true); // as strict as Slack unless told otherwise

      process.env.LADDER_EMULATOR_RATE_LIMITS = 'maybe';
      await expect(startSlackEmulator({ port: 0 })).rejects.toThrow(
        /LADDER_EMULATOR_RATE_LIMITS: expected on or off \(got "maybe"\)/,
      );
    });
  });
});
