import { stableFingerprint, stableShare } from '../../policy/stable-hash';

describe('stable hashes', () => {
  it('places an id in [0, 1) the same way every time (FNV-1a 32)', () => {
    // FNV-1a 32 of "a" is 0xe40c292c.
    expect(stableShare('a')).toBe(0xe40c292c / 0x100000000);
    expect(stableShare('')).toBe(0x811c9dc5 / 0x100000000);
  });

  it('fingerprints an id as a safe integer that keeps FNV-1a 32 in its low bits', () => {
    const f = stableFingerprint('task/ops-agent/t1/executed');
    expect(Number.isSafeInteger(f)).toBe(true);
    expect(f % 0x100000000).toBe(stableShare('task/ops-agent/t1/executed') * 0x100000000);
    expect(stableFingerprint('task/ops-agent/t1/executed')).toBe(f);
  });

  it('gives 20,000 ids that differ in one character 20,000 fingerprints', () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => `outcome/task/ladder/bench-${i}/executed`);
    const fingerprints = new Set(ids.map(stableFingerprint));
    expect(fingerprints.size).toBe(ids.length);
    // And the high bits are in use: not a 32-bit hash in disguise.
    expect([...fingerprints].some((f) => f >= 0x100000000)).toBe(true);
  });
});
