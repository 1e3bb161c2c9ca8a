import {
  retryDelayMs,
  SUBMIT_ATTEMPTS,
  TransientRefusal,
  withRetries,
  type RetryLog,
} from '../../bench/tasks/submitters';

describe('bench submissions retried as an agent would', () => {
  it("waits the server's Retry-After (at most 10 s), else 0.5 s doubling", () => {
    expect(retryDelayMs(1, 5_000)).toBe(5_000);
    expect(retryDelayMs(1, 60_000)).toBe(10_000);
    expect([1, 2, 3, 6].map((n) => retryDelayMs(n))).toEqual([500, 1_000, 2_000, 10_000]);
  });

  it('tries again after a refusal that may pass, and counts it by reason', async () => {
    const log: RetryLog = { count: 0, reasons: {} };
    let calls = 0;
    await withRetries(async () => {
      calls++;
      if (calls < 3) throw new TransientRefusal('503 Temporal did not answer', 1);
    }, log);
    expect(calls).toBe(3);
    expect(log).toEqual({ count: 2, reasons: { '503 Temporal did not answer': 2 } });
  });

  it('fails at once on any other error, and after the last attempt on a lasting refusal', async () => {
    const log: RetryLog = { count: 0, reasons: {} };
    await expect(
      withRetries(async () => {
        throw new Error('400 bad request');
      }, log),
    ).rejects.toThrow('400 bad request');
    expect(log.count).toBe(0);
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls++;
        throw new TransientRefusal('429 slow down', 1);
      }, log),
    ).rejects.toThrow('429 slow down');
    expect(calls).toBe(SUBMIT_ATTEMPTS);
    expect(log.count).toBe(SUBMIT_ATTEMPTS - 1);
  });

  it('starts no attempt later than its time budget after the first', async () => {
    const log: RetryLog = { count: 0, reasons: {} };
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new TransientRefusal('503 slow', 30);
        },
        log,
        50,
      ),
    ).rejects.toThrow('503 slow');
    // 0 ms: first; 30 ms: second; a third would start at 60 ms, past the 50 ms budget.
    expect(calls).toBe(2);
    expect(log.count).toBe(1);
  });
});
