import { MAX_CLOCK_SKEW_SECONDS, signSlackRequest, verifySlackSignature } from '../../slack/verify-signature';

const SECRET = 'test-signing-secret';
const NOW = 1_795_000_000;
const BODY = 'command=%2Fladder&text=status&user_id=U0SRE0001';

function check(overrides: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) {
  const timestamp = String(NOW);
  return verifySlackSignature({
    signingSecret: SECRET,
    timestamp,
    signature: signSlackRequest(SECRET, NOW, BODY),
    rawBody: BODY,
    nowSeconds: NOW,
    ...overrides,
  });
}

describe('verifySlackSignature', () => {
  it('accepts a correctly signed, current request', () => {
    expect(check()).toEqual({ ok: true });
  });

  it('refuses a forged signature and a tampered body', () => {
    expect(check({ signature: signSlackRequest('another-secret', NOW, BODY) })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
    expect(check({ rawBody: BODY.replace('U0SRE0001', 'U0ADMIN01') })).toEqual({
      ok: false,
      reason: 'signature does not match',
    });
  });

  it('refuses stale and future-dated timestamps, both beyond five minutes', () => {
    const stale = NOW - MAX_CLOCK_SKEW_SECONDS - 1;
    const future = NOW + MAX_CLOCK_SKEW_SECONDS + 1;
    expect(check({ timestamp: String(stale), signature: signSlackRequest(SECRET, stale, BODY) })).toEqual({
      ok: false,
      reason: `stale request: timestamp is ${MAX_CLOCK_SKEW_SECONDS + 1} s old`,
    });
    expect(check({ timestamp: String(future), signature: signSlackRequest(SECRET, future, BODY) })).toEqual({
      ok: false,
      reason: `future-dated request: timestamp is ${MAX_CLOCK_SKEW_SECONDS + 1} s ahead`,
    });
    const edge = NOW + MAX_CLOCK_SKEW_SECONDS;
    expect(check({ timestamp: String(edge), signature: signSlackRequest(SECRET, edge, BODY) })).toEqual({
      ok: true,
    });
  });

  it('refuses missing or malformed headers with a reason', () => {
    expect(check({ timestamp: undefined })).toEqual({
      ok: false,
      reason: 'missing or malformed X-Slack-Request-Timestamp',
    });
    expect(check({ timestamp: '12abc' })).toEqual({
      ok: false,
      reason: 'missing or malformed X-Slack-Request-Timestamp',
    });
    expect(check({ signature: undefined })).toEqual({
      ok: false,
      reason: 'missing or malformed X-Slack-Signature',
    });
    expect(check({ signature: 'v1=abc' })).toEqual({
      ok: false,
      reason: 'missing or malformed X-Slack-Signature',
    });
  });
});
