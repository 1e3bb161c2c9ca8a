import { MAX_USED_ANSWERS, UsedAnswers } from '../../workflows/used-answers';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-29T12:00:00.000Z');
/** An answer with a proof signed at `signedAtMs`; the signature is only an identifier here. */
const answer = (signature: string, signedAtMs = T0) => ({
  proof: { keyId: 'k', signedAt: new Date(signedAtMs).toISOString(), signature },
});

describe('UsedAnswers', () => {
  it('takes a signature once, refusing it after, in the validator and in the handler', () => {
    const used = new UsedAnswers();
    used.refuseTaken(answer('s1'));
    used.take(answer('s1'), 15 * MINUTE, T0);
    expect(() => used.refuseTaken(answer('s1'))).toThrow(
      'this signed answer (signed at 2026-11-29T12:00:00.000Z) was already taken: a signature counts once, so nothing changed; answer again to sign a new one',
    );
    // Two copies that passed their validators together: the second handler's take refuses it.
    expect(() => used.take(answer('s1'), 15 * MINUTE, T0)).toThrow(/already taken/);
    used.take(answer('s2'), 15 * MINUTE, T0);
    // Unproven answers (claimed identities under the demo switch) carry nothing to remember.
    used.take({}, 15 * MINUTE, T0);
    used.take({}, 15 * MINUTE, T0);
    expect(used.carried().taken.map((u) => u.signature)).toEqual(['s1', 's2']);
  });

  it('forgets answers past their TTL, and refuses anything signed no later than the newest forgotten', () => {
    const used = new UsedAnswers();
    used.take(answer('old', T0), 15 * MINUTE, T0);
    used.take(answer('new', T0 + 10 * MINUTE), 15 * MINUTE, T0 + 10 * MINUTE);
    used.take(answer('later', T0 + 16 * MINUTE), 15 * MINUTE, T0 + 16 * MINUTE);
    expect(used.carried()).toEqual({
      taken: [
        { signature: 'new', signedAtMs: T0 + 10 * MINUTE },
        { signature: 'later', signedAtMs: T0 + 16 * MINUTE },
      ],
      forgottenUpToMs: T0,
    });
    // Were the TTL lengthened, `old` would verify again: it is refused as forgotten instead.
    expect(() => used.refuseTaken(answer('old', T0))).toThrow(
      'this signed answer (signed at 2026-11-29T12:00:00.000Z) is older than answers this entity no longer remembers (up to 2026-11-29T12:00:00.000Z), so it cannot tell whether it was taken; answer again to sign a new one',
    );
    used.refuseTaken(answer('fresh', T0 + 1));
  });

  it(`keeps at most ${MAX_USED_ANSWERS}, forgetting the oldest taken first`, () => {
    const used = new UsedAnswers();
    for (let i = 0; i <= MAX_USED_ANSWERS; i++) used.take(answer(`s${i}`, T0 + i), 15 * MINUTE, T0 + i);
    const { taken, forgottenUpToMs } = used.carried();
    expect(taken).toHaveLength(MAX_USED_ANSWERS);
    expect(taken[0].signature).toBe('s1');
    expect(forgottenUpToMs).toBe(T0);
    expect(() => used.refuseTaken(answer('s0', T0))).toThrow(/no longer remembers/);
  });

  it('carries what it took over continue-as-new, as JSON', () => {
    const used = new UsedAnswers();
    used.take(answer('s1'), 15 * MINUTE, T0);
    const next = new UsedAnswers(JSON.parse(JSON.stringify(used.carried())));
    expect(() => next.refuseTaken(answer('s1'))).toThrow(/already taken/);
    expect(new UsedAnswers(undefined).carried()).toEqual({ taken: [], forgottenUpToMs: 0 });
  });
});
