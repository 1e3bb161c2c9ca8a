import { createRateLimiter } from '../../api/rate-limit';

// The agent API's per-agent budget, with the clock given: what passes, and when a refused agent may try again.
describe('per-agent rate limit', () => {
  it('lets no burst pass twice the budget across a window edge', () => {
    const limiter = createRateLimiter();
    const passed = (atMs: number, n: number) =>
      Array.from({ length: n }, () => limiter.take('a2', 60, atMs)).filter((r) => r === null).length;
    // One at the start, 59 just before the window ends, then 60 just after it: the last minute holds
    // 60 already, so fixed windows let 120 through in about a second; this lets almost none.
    expect(passed(0, 1)).toBe(1);
    expect(passed(59_300, 59)).toBe(59);
    expect(passed(60_100, 60)).toBeLessThanOrEqual(1);
    // As the last window slides out, room comes back: halfway through, about half the budget.
    const half = passed(90_000, 60);
    expect(half).toBeGreaterThanOrEqual(28);
    expect(half).toBeLessThanOrEqual(31);
  });

  it('says when to try again, and keeps agents apart', () => {
    const limiter = createRateLimiter();
    for (let i = 0; i < 3; i++) expect(limiter.take('a2', 3, 1_000)).toBeNull();
    expect(limiter.take('a2', 3, 1_000)).toBe(60);
    expect(limiter.take('a3', 3, 1_000)).toBeNull();
    // Next window: the three of the last one still weigh in; once a third of it has slid out, one fits.
    expect(limiter.take('a2', 3, 61_000)).toBe(20);
    expect(limiter.take('a2', 3, 82_000)).toBeNull();
    // A batch counts as a whole: all or none.
    expect(limiter.take('a3', 3, 1_000, 3)).toBe(60);
    expect(limiter.take('a3', 3, 1_000, 2)).toBeNull();
  });
});
