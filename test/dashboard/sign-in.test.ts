import { generateAnswerKey, createAnswerSigner, publicAnswerKey } from '../../client/answer-signer';
import type { AnswerTrust } from '../../policy/answer-proof';
import { cookieValue, createSignIns, createSignInToken, SignInError } from '../../dashboard/sign-in';

const alice = generateAnswerKey('operator-U0ALICE01', 'operator', 'U0ALICE01');
const bob = generateAnswerKey('operator-U0BOB0001', 'operator', 'U0BOB0001');
const frontend = generateAnswerKey('slack-app', 'frontend');
const trust: AnswerTrust = {
  keys: [publicAnswerKey(alice), publicAnswerKey(bob), publicAnswerKey(frontend)],
  revoked: [],
  ttlMs: 15 * 60_000,
  allowClaimedIdentities: false,
};
const NOW = Date.parse('2026-11-26T14:00:00Z');
const link = (ttlMs = 10 * 60_000, key = alice, person = 'U0ALICE01') =>
  createSignInToken(createAnswerSigner(key), person, ttlMs, NOW);
const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    if (err instanceof SignInError) return err.message;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('dashboard sign-in links', () => {
  it('exchanges a fresh link once for a session that lasts its time', () => {
    const signIns = createSignIns(3_600_000);
    const token = link();
    const session = signIns.exchange(token, trust, NOW + 1000);
    expect(session.person).toBe('U0ALICE01');
    expect(session.sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(signIns.person(session.sessionId, NOW + 2000)).toBe('U0ALICE01');
    expect(signIns.person(session.sessionId, NOW + 1000 + 3_600_000)).toBeNull();
    expect(signIns.person('x'.repeat(43), NOW)).toBeNull();
    expect(signIns.person(undefined, NOW)).toBeNull();
    expect(refusal(() => signIns.exchange(token, trust, NOW + 3000))).toMatch(/used already/);
  });

  it('refuses an expired link', () => {
    expect(refusal(() => createSignIns(60_000).exchange(link(60_000), trust, NOW + 61_000))).toMatch(
      /expired/,
    );
  });

  it('refuses a link whose content was changed after signing', () => {
    const decoded = JSON.parse(Buffer.from(link(), 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...decoded, by: 'U0BOB0001' })).toString('base64url');
    expect(refusal(() => createSignIns(60_000).exchange(forged, trust, NOW))).toMatch(
      /belongs to U0ALICE01 and cannot answer as U0BOB0001/,
    );
    const stretched = Buffer.from(
      JSON.stringify({ ...decoded, expiresAt: '2026-11-26T14:30:00.000Z' }),
    ).toString('base64url');
    expect(refusal(() => createSignIns(60_000).exchange(stretched, trust, NOW))).toMatch(/does not match/);
  });

  it('refuses a link signed by a key the policy does not know, or revoked', () => {
    const stranger = generateAnswerKey('operator-U0ALICE01-old', 'operator', 'U0ALICE01');
    expect(refusal(() => createSignIns(60_000).exchange(link(60_000, stranger), trust, NOW))).toMatch(
      /unknown key/,
    );
    const revoked = { ...trust, revoked: [alice.id] };
    expect(refusal(() => createSignIns(60_000).exchange(link(), revoked, NOW))).toMatch(/revoked key/);
  });

  it('refuses a frontend key, which may not stand for a person here', () => {
    // Forged by hand: createSignInToken itself only signs with a person's own key.
    const signed = createAnswerSigner(frontend).sign(
      'ladder-dashboard',
      'dashboardSignIn',
      {
        by: 'U0ALICE01',
        nonce: 'n'.repeat(24),
        expiresAt: new Date(NOW + 60_000).toISOString(),
      },
      new Date(NOW),
    );
    const token = Buffer.from(JSON.stringify(signed)).toString('base64url');
    expect(refusal(() => createSignIns(60_000).exchange(token, trust, NOW))).toMatch(/own operator key/);
    expect(refusal(() => link(60_000, frontend, 'U0ALICE01'))).toMatch(/own operator key/);
    expect(refusal(() => link(60_000, bob, 'U0ALICE01'))).toMatch(/own operator key/);
  });

  it('refuses an unsigned link even where the policy trusts claimed identities for answers', () => {
    const token = Buffer.from(
      JSON.stringify({
        by: 'U0ALICE01',
        nonce: 'n'.repeat(24),
        expiresAt: new Date(NOW + 60_000).toISOString(),
      }),
    ).toString('base64url');
    expect(
      refusal(() => createSignIns(60_000).exchange(token, { ...trust, allowClaimedIdentities: true }, NOW)),
    ).toMatch(/malformed/);
  });

  it.each(['', 'not-base64!', Buffer.from('{"by":1}').toString('base64url'), 'x'.repeat(5000)])(
    'refuses a malformed link %#',
    (token) => {
      expect(refusal(() => createSignIns(60_000).exchange(token, trust, NOW))).toMatch(/malformed/);
    },
  );

  it('refuses to make a link that lasts longer than an hour', () => {
    expect(refusal(() => link(61 * 60_000))).toMatch(/lasts from/);
  });

  it('reads one cookie from a Cookie header', () => {
    expect(cookieValue('a=1; ladder_session=abc=; b=2', 'ladder_session')).toBe('abc=');
    expect(cookieValue(undefined, 'ladder_session')).toBeUndefined();
  });
});
