import { WebApiRateLimits, type LimitedCall } from '../../../slack/emulator/rate-limits';
import { METHOD_TIERS } from '../../../slack/emulator/slack-rate-tiers';
import { Workspace } from '../../../slack/emulator/workspace';

describe('WebApiRateLimits (fake clock)', () => {
  let now: number;
  let limits: WebApiRateLimits;
  beforeEach(() => {
    now = 1_700_000_000_000;
    limits = new WebApiRateLimits({}, () => now);
  });
  const post = (channel: string, app = 'xoxb-a'): LimitedCall => ({
    app,
    method: 'chat.postMessage',
    channel,
  });
  const burst = (call: LimitedCall, n: number) => Array.from({ length: n }, () => limits.check(call));

  it('lets three posts into a channel at once, refuses the fourth for a second, and not other channels or apps', () => {
    expect(burst(post('#ops'), 3)).toEqual([undefined, undefined, undefined]);
    expect(limits.check(post('#ops'))).toEqual({ scope: 'channel', waitMs: 1000, retryAfterSeconds: 1 });
    expect(limits.check(post('#dev'))).toBeUndefined();
    expect(limits.check(post('#ops', 'xoxb-other-app'))).toBeUndefined();
    now += 999;
    expect(limits.check(post('#ops'))).toMatchObject({ waitMs: 1, retryAfterSeconds: 1 });
    now += 1;
    expect(limits.check(post('#ops'))).toBeUndefined();
    expect(limits.check(post('#ops'))).toMatchObject({ scope: 'channel', waitMs: 1000 });
  });

  it('limits other methods per app by their tier and rounds Retry-After up to whole seconds', () => {
    const update: LimitedCall = { app: 'xoxb-a', method: 'chat.update' };
    expect(burst(update, 50).every((v) => v === undefined)).toBe(true); // tier 3: 50 a minute
    expect(limits.check(update)).toEqual({ scope: 'method', waitMs: 1200, retryAfterSeconds: 2 });
    // Slack counts per method: chat.delete, also tier 3, has its own 50.
    expect(limits.check({ app: 'xoxb-a', method: 'chat.delete' })).toBeUndefined();

    const list: LimitedCall = { app: 'xoxb-a', method: 'conversations.list' };
    burst(list, 20); // tier 2: 20 a minute
    expect(limits.check(list)).toMatchObject({ waitMs: 3000, retryAfterSeconds: 3 });

    const info: LimitedCall = { app: 'xoxb-a', method: 'users.info' };
    expect(burst(info, 100).filter((v) => v !== undefined)).toEqual([]); // tier 4: 100 a minute
    expect(limits.check(info)).toMatchObject({ waitMs: 600, retryAfterSeconds: 1 });

    // A method missing from the table gets tier 2, the tier most methods have.
    const strictTier2 = new WebApiRateLimits({ tiers: { tier2: { perMinute: 1, burst: 1 } } }, () => now);
    expect(strictTier2.check({ app: 'a', method: 'pins.add' })).toBeUndefined();
    expect(strictTier2.check({ app: 'a', method: 'pins.add' })).toMatchObject({ retryAfterSeconds: 60 });
  });

  it("caps an app's posts across the workspace and reports the longest wait when both limits refuse", () => {
    limits.configure({ postMessage: { perApp: { perMinute: 120, burst: 3 } } });
    expect(burst(post('#a'), 3)).toEqual([undefined, undefined, undefined]);
    expect(limits.check(post('#b'))).toEqual({ scope: 'app', waitMs: 500, retryAfterSeconds: 1 });
    expect(limits.check(post('#b', 'xoxb-b'))).toBeUndefined();
    // Both refuse #a: the channel for 1 s, the app for 0.5 s; the caller is told the longer.
    expect(limits.check(post('#a'))).toEqual({ scope: 'channel', waitMs: 1000, retryAfterSeconds: 1 });
    now += 500;
    expect(limits.check(post('#b'))).toBeUndefined();
    limits.configure({}); // no change: the buckets are kept
    expect(limits.check(post('#a'))).toMatchObject({ scope: 'channel', waitMs: 500 });
    limits.configure({ postMessage: { perChannel: { perMinute: 6, burst: 1 } } }); // a change refills
    expect(limits.check(post('#a'))).toBeUndefined();
    expect(limits.check(post('#a'))).toEqual({ scope: 'channel', waitMs: 10_000, retryAfterSeconds: 10 });
  });

  it('lets everything through while off, and starts full when turned on again', () => {
    burst(post('#ops'), 3);
    limits.configure({ enabled: false });
    expect(burst(post('#ops'), 50).filter((v) => v !== undefined)).toEqual([]);
    expect(limits.report()).toMatchObject({ enabled: false, allowed: { total: 3 }, limited: { total: 0 } });
    limits.configure({ enabled: true });
    expect(burst(post('#ops'), 4).map((v) => v?.scope)).toEqual([undefined, undefined, undefined, 'channel']);
    expect(new WebApiRateLimits({ enabled: false }).check(post('#ops'))).toBeUndefined();
  });

  it('counts refusals by method, channel and limit, and zeroes them on reset', () => {
    burst(post('#ops'), 5);
    burst(post('D0000001'), 4);
    burst({ app: 'xoxb-a', method: 'conversations.list' }, 21);
    const report = limits.report();
    expect(report.allowed).toEqual({
      total: 3 + 3 + 20,
      byMethod: { 'chat.postMessage': 6, 'conversations.list': 20 },
    });
    expect(report.limited).toEqual({
      total: 2 + 1 + 1,
      byMethod: { 'chat.postMessage': 3, 'conversations.list': 1 },
      byChannel: { '#ops': 2, D0000001: 1 },
      byScope: { channel: 3, app: 0, method: 1 },
      lastAt: now,
    });
    expect(report).toMatchObject({
      enabled: true,
      tiers: { tier3: { perMinute: 50, burst: 50 } },
      postMessage: { perChannel: { perMinute: 60, burst: 3 } },
      methods: { 'chat.update': 'tier3', 'views.open': 'tier4' },
      defaultTier: 'tier2',
    });
    report.limited.byChannel['#ops'] = 99; // a copy: changing it changes nothing
    expect(limits.report().limited.byChannel['#ops']).toBe(2);
    limits.reset();
    expect(limits.report().limited).toMatchObject({ total: 0, byChannel: {}, lastAt: null });
    expect(limits.check(post('#ops'))).toBeUndefined(); // buckets full again
  });

  it('refuses a bad rate and keeps the limits it had', () => {
    expect(() => limits.configure({ tiers: { tier3: { perMinute: -1, burst: 5 } } })).toThrow(
      /perMinute > 0/,
    );
    expect(() =>
      limits.configure({ enabled: false, postMessage: { perApp: { perMinute: 1, burst: 0 } } }),
    ).toThrow(/whole burst/);
    expect(limits.report()).toMatchObject({ enabled: true, tiers: { tier3: { perMinute: 50 } } });
  });

  it('forgets full buckets once it tracks many, so a run over thousands of channels stays bounded', () => {
    limits.configure({ postMessage: { perApp: { perMinute: 6_000_000, burst: 100_000 } } });
    for (let i = 0; i < 10_000; i++) limits.check(post(`#c${i}`));
    expect(limits.trackedBuckets).toBe(10_001); // none is full yet: one per channel, one for the app
    now += 1000; // every channel bucket has refilled
    expect(limits.check(post('#one-more'))).toBeUndefined();
    expect(limits.trackedBuckets).toBeLessThanOrEqual(2);
  });

  it('knows the tier of every method the emulated workspace serves', () => {
    const served = Object.keys(new Workspace().methods).filter((m) => m !== 'chat.postMessage');
    expect(served.filter((m) => !(m in METHOD_TIERS))).toEqual([]);
  });
});
