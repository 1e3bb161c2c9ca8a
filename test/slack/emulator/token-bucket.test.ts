import { TokenBucket } from '../../../slack/emulator/token-bucket';

/** Calls `bucket` at `now` as a limiter does: take when free, else report the wait. */
function call(bucket: TokenBucket, now: number): number {
  const wait = bucket.waitMs(now);
  if (wait === 0) bucket.take(now);
  return wait;
}

describe('TokenBucket (fake clock, ms)', () => {
  it('lets a burst through at once, then one call per interval, and names the exact wait', () => {
    const bucket = new TokenBucket({ perMinute: 60, burst: 3 });
    expect([call(bucket, 0), call(bucket, 0), call(bucket, 0)]).toEqual([0, 0, 0]);
    expect(call(bucket, 0)).toBe(1000);
    expect(call(bucket, 400)).toBe(600);
    expect(call(bucket, 1000)).toBe(0); // waiting exactly the announced time is enough
    expect(call(bucket, 1000)).toBe(1000);
  });

  it('sustains exactly its rate: burst plus one call a second over ten seconds of hammering', () => {
    const bucket = new TokenBucket({ perMinute: 60, burst: 3 });
    let allowed = 0;
    for (let t = 0; t <= 10_000; t += 100) if (call(bucket, t) === 0) allowed++;
    expect(allowed).toBe(3 + 10);
  });

  it('refills to its burst and no further after a long quiet spell', () => {
    const bucket = new TokenBucket({ perMinute: 50, burst: 50 });
    for (let i = 0; i < 50; i++) expect(call(bucket, 0)).toBe(0);
    expect(call(bucket, 0)).toBe(1200); // 50 a minute: one token every 1.2 s
    const later = 3_600_000;
    expect(bucket.isFull(later)).toBe(true);
    for (let i = 0; i < 50; i++) expect(call(bucket, later)).toBe(0);
    expect(bucket.isFull(later)).toBe(false);
    expect(call(bucket, later)).toBe(1200);
  });

  it('counts a refusal as nothing spent', () => {
    const bucket = new TokenBucket({ perMinute: 1, burst: 1 });
    expect(call(bucket, 0)).toBe(0);
    for (let t = 0; t < 60_000; t += 5_000) expect(call(bucket, t)).toBe(60_000 - t);
    expect(call(bucket, 60_000)).toBe(0);
  });

  it.each([
    [{ perMinute: 0, burst: 1 }, /perMinute > 0 \(got 0\)/],
    [{ perMinute: Number.NaN, burst: 1 }, /perMinute > 0/],
    [{ perMinute: Number.POSITIVE_INFINITY, burst: 1 }, /perMinute > 0/],
    [{ perMinute: 60, burst: 0 }, /whole burst ≥ 1 \(got 0\)/],
    [{ perMinute: 60, burst: 2.5 }, /whole burst ≥ 1 \(got 2.5\)/],
  ])('refuses the rate %j', (rate, message) => {
    expect(() => new TokenBucket(rate)).toThrow(message);
  });
});
