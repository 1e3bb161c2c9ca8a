import { createAnswerSigner, generateAnswerKey, publicAnswerKey } from '../../client/answer-signer';
import { canonicalJson, verifyAnswer, type AnswerTrust } from '../../policy/answer-proof';

describe('answer proofs', () => {
  const frontendFile = generateAnswerKey('slack-app', 'frontend');
  const frontend = createAnswerSigner(frontendFile);
  const operatorFile = generateAnswerKey('operator-U0REL0001', 'operator', 'U0REL0001');
  const operator = createAnswerSigner(operatorFile);
  const trust: AnswerTrust = {
    keys: [publicAnswerKey(frontendFile), publicAnswerKey(operatorFile)],
    revoked: [],
    ttlMs: 15 * 60_000,
    allowClaimedIdentities: false,
  };
  const at = new Date('2026-11-25T12:00:00Z');
  const now = at.getTime() + 1_000;
  const approve = (
    signer = frontend,
    wf = 'task/ops-agent/t1',
    args = { approver: 'U0REL0001', stepsHash: 'abc' },
  ) => signer.sign(wf, 'approve', args, at);

  it('accepts a signature over exactly this answer, naming the key that vouched', () => {
    expect(verifyAnswer(trust, 'task/ops-agent/t1', 'approve', approve(), 'U0REL0001', now)).toBe(
      'slack-app',
    );
    expect(verifyAnswer(trust, 'task/ops-agent/t1', 'approve', approve(operator), 'U0REL0001', now)).toBe(
      'operator-U0REL0001',
    );
  });

  it.each([
    ['another task', () => verifyAnswer(trust, 'task/ops-agent/t2', 'approve', approve(), 'U0REL0001', now)],
    ['another answer', () => verifyAnswer(trust, 'task/ops-agent/t1', 'reject', approve(), 'U0REL0001', now)],
    [
      'other steps',
      () =>
        verifyAnswer(
          trust,
          'task/ops-agent/t1',
          'approve',
          { ...approve(), stepsHash: 'xyz' },
          'U0REL0001',
          now,
        ),
    ],
    [
      'another person',
      () =>
        verifyAnswer(
          trust,
          'task/ops-agent/t1',
          'approve',
          { ...approve(), approver: 'U0SRE0002' },
          'U0SRE0002',
          now,
        ),
    ],
  ])('refuses a signature replayed for %s', (_what, verify) => {
    expect(verify).toThrow(/signature does not match this answer/);
  });

  it('refuses unsigned, unknown, revoked, borrowed, expired and future-dated answers', () => {
    const wf = 'task/ops-agent/t1';
    expect(() => verifyAnswer(trust, wf, 'approve', { approver: 'U0REL0001' }, 'U0REL0001', now)).toThrow(
      /unsigned answer refused/,
    );
    const stranger = createAnswerSigner(generateAnswerKey('slack-app', 'frontend'));
    expect(() => verifyAnswer(trust, wf, 'approve', approve(stranger), 'U0REL0001', now)).toThrow(
      /signature does not match/,
    );
    const unknown = createAnswerSigner(generateAnswerKey('other', 'frontend'));
    expect(() => verifyAnswer(trust, wf, 'approve', approve(unknown), 'U0REL0001', now)).toThrow(
      /unknown key "other"/,
    );
    expect(() =>
      verifyAnswer({ ...trust, revoked: ['slack-app'] }, wf, 'approve', approve(), 'U0REL0001', now),
    ).toThrow(/revoked key "slack-app"/);
    const borrowed = operator.sign(wf, 'approve', { approver: 'U0SRE0002', stepsHash: 'abc' }, at);
    expect(() => verifyAnswer(trust, wf, 'approve', borrowed, 'U0SRE0002', now)).toThrow(
      /belongs to U0REL0001 and cannot answer as U0SRE0002/,
    );
    expect(() => verifyAnswer(trust, wf, 'approve', approve(), 'U0REL0001', now + 16 * 60_000)).toThrow(
      /signature expired/,
    );
    expect(() =>
      verifyAnswer(trust, wf, 'approve', approve(), 'U0REL0001', at.getTime() - 5 * 60_000),
    ).toThrow(/signed in the future/);
  });

  it('accepts a claimed identity only behind the explicit demo switch', () => {
    const args = { approver: 'U0REL0001', stepsHash: 'abc' };
    expect(() => verifyAnswer(trust, 'w', 'approve', args, 'U0REL0001', now)).toThrow(/unsigned/);
    expect(
      verifyAnswer({ ...trust, allowClaimedIdentities: true }, 'w', 'approve', args, 'U0REL0001', now),
    ).toBe('claimed');
  });

  it('signs canonical JSON: key order and undefined members do not matter', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [2, 'x'] } })).toBe('{"a":{"c":[2,"x"]},"b":1}');
  });
});
