import { auditQuery, inOrder } from '../../cli/audit-export';

// The export's bounded memory rests on these: the visibility query it pages through, and reading
// at most N histories at once, listing no further ahead than that, in the order listed.

describe('auditQuery', () => {
  it('asks visibility for delegated tasks started in the window, optionally on one task queue', () => {
    const window = {
      sinceMs: Date.parse('2025-01-01T00:00:00Z'),
      untilMs: Date.parse('2025-01-08T12:30:00Z'),
    };
    expect(auditQuery(window)).toBe(
      "WorkflowType = 'delegatedTask' AND StartTime >= '2025-01-01T00:00:00.000Z' AND StartTime < '2025-01-08T12:30:00.000Z'",
    );
    expect(auditQuery({ ...window, taskQueue: 'ladder-prod' })).toMatch(/ AND TaskQueue = 'ladder-prod'$/);
    expect(() => auditQuery({ ...window, taskQueue: "q' OR WorkflowType != '" })).toThrow(
      /^--task-queue: expected letters, digits/,
    );
  });
});

describe('inOrder', () => {
  it('keeps at most `limit` calls in flight, lists no further ahead, and yields in source order', async () => {
    let listed = 0;
    let running = 0;
    let most = 0;
    async function* source(): AsyncGenerator<number> {
      for (let i = 0; i < 50; i++) {
        listed += 1;
        yield i;
      }
    }
    const seen: number[] = [];
    for await (const value of inOrder(source(), 4, async (i) => {
      running += 1;
      most = Math.max(most, running);
      // Later items finish first: order must still be the source's.
      await new Promise((r) => setTimeout(r, (50 - i) % 7));
      running -= 1;
      return i * 10;
    })) {
      seen.push(value);
      expect(listed - seen.length).toBeLessThanOrEqual(4);
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i * 10));
    expect(most).toBe(4);
  });

  it('rejects when a call fails, in its turn, without an unhandled rejection before it', async () => {
    async function* source(): AsyncGenerator<number> {
      yield* [1, 2, 3];
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const v of inOrder(source(), 3, async (i) => {
          if (i === 2) throw new Error('history 2 unreadable');
          await new Promise((r) => setTimeout(r, 5));
          return i;
        }))
          seen.push(v);
      })(),
    ).rejects.toThrow('history 2 unreadable');
    expect(seen).toEqual([1]);
  });
});
