import {
  parseRateLimitRequest,
  rateLimitsFromEnv,
  RateLimitRequestError,
} from '../../../slack/emulator/rate-limit-request';

describe('rate-limit switches: LADDER_EMULATOR_RATE_LIMITS and POST /emulator/rate-limits bodies', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['on', true],
    [' OFF ', false],
    ['Off', false],
  ])('reads LADDER_EMULATOR_RATE_LIMITS=%j as %j', (value, expected) => {
    expect(rateLimitsFromEnv({ LADDER_EMULATOR_RATE_LIMITS: value })).toBe(expected);
  });

  it('refuses any other value of LADDER_EMULATOR_RATE_LIMITS, naming the variable', () => {
    expect(() => rateLimitsFromEnv({ LADDER_EMULATOR_RATE_LIMITS: 'no' })).toThrow(
      /^LADDER_EMULATOR_RATE_LIMITS: expected on or off \(got "no"\)/,
    );
  });

  it('reads a full body into a change', () => {
    expect(
      parseRateLimitRequest({
        enabled: false,
        tiers: { tier3: { perMinute: 500, burst: 10 } },
        postMessage: { perChannel: { perMinute: 0.5, burst: 1 } },
        reset: true,
      }),
    ).toEqual({
      change: {
        enabled: false,
        tiers: { tier3: { perMinute: 500, burst: 10 } },
        postMessage: { perChannel: { perMinute: 0.5, burst: 1 } },
      },
      reset: true,
    });
    expect(parseRateLimitRequest({})).toEqual({ change: {}, reset: false });
  });

  it.each([
    ['an array', [], '', /the body: expected a JSON object/],
    [
      'an unknown field',
      { enable: false },
      'enable',
      /unknown field "enable"; expected one of enabled, tiers/,
    ],
    ['enabled as text', { enabled: 'off' }, 'enabled', /"enabled" must be true or false \(got "off"\)/],
    ['reset as a number', { reset: 1 }, 'reset', /"reset" must be true or false/],
    ['tiers as a list', { tiers: [] }, 'tiers', /tiers: expected an object keyed by tier1, tier2/],
    ['an unknown tier', { tiers: { tier5: {} } }, 'tiers.tier5', /unknown field "tiers.tier5"/],
    [
      'a tier without perMinute',
      { tiers: { tier1: { burst: 1 } } },
      'tiers.tier1.perMinute',
      /"tiers.tier1.perMinute" must be a number above 0 and at most 6000000 \(got null\)/,
    ],
    [
      'a zero rate',
      { postMessage: { perApp: { perMinute: 0, burst: 1 } } },
      'postMessage.perApp.perMinute',
      /\(got 0\)/,
    ],
    [
      'a fractional burst',
      { postMessage: { perChannel: { perMinute: 60, burst: 1.5 } } },
      'postMessage.perChannel.burst',
      /"postMessage.perChannel.burst" must be a whole number from 1 to 1000000 \(got 1.5\)/,
    ],
    [
      'an unknown rate field',
      { postMessage: { perChannel: { perSecond: 1, burst: 1 } } },
      'postMessage.perChannel.perSecond',
      /unknown field "postMessage.perChannel.perSecond"; expected one of postMessage.perChannel.perMinute/,
    ],
    ['an unknown postMessage limit', { postMessage: { perUser: {} } }, 'postMessage.perUser', /perUser/],
  ])('refuses a body with %s, naming the field', (_, body, field, message) => {
    let error: unknown;
    try {
      parseRateLimitRequest(body);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RateLimitRequestError);
    expect(error).toMatchObject({ field, message: expect.stringMatching(message) });
  });
});
