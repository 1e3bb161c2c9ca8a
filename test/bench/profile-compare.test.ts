import { profileComparisonRows, profileComparisonTable } from '../../bench/tasks/profile-compare';
import type { ProfileSummary } from '../../bench/tasks/profile-summary';

function summary(
  busyByThread: ProfileSummary['busyByThread'],
  categories: [string, number][],
): ProfileSummary {
  const busyMs = busyByThread.reduce((s, t) => s + t.busyMs, 0);
  return {
    threads: busyByThread.length,
    busyByThread,
    sampledMs: busyMs * 10,
    idleMs: busyMs * 9,
    busyMs,
    top: [],
    categories: categories.map(([category, selfMs]) => ({ category, selfMs, pct: (100 * selfMs) / busyMs })),
  };
}

describe('Ladder and bare profiles side by side', () => {
  const ladder = summary(
    [
      { thread: 'main thread', busyMs: 600 },
      { thread: 'worker thread 1 (workflows)', busyMs: 300 },
      { thread: 'worker thread 2 (workflows)', busyMs: 300 },
    ],
    [
      ['(native)', 500],
      ['@temporalio/worker', 300],
      ['ladder activities/', 250],
      ['(garbage collector)', 150],
    ],
  );
  const bare = summary(
    [
      { thread: 'main thread', busyMs: 150 },
      { thread: 'worker thread 1 (workflows)', busyMs: 150 },
    ],
    [
      ['(native)', 200],
      ['@temporalio/worker', 50],
      ['zod', 50],
    ],
  );

  it('gives busy time per task by thread kind, then categories by how much more Ladder spends', () => {
    // Ladder's batch had 100 tasks, the bare one 50: figures are per task of each.
    const rows = profileComparisonRows(ladder, 100, bare, 50, 3);
    expect(rows.map((r) => [r.what, r.ladderMs, r.bareMs])).toEqual([
      ['busy: all threads', 12, 6],
      ['busy: main thread', 6, 3],
      ['busy: workflow threads', 6, 3],
      // (native) 5 vs 4 (+1), @temporalio/worker 3 vs 1 (+2), ladder activities/ 2.5 vs 0 (+2.5),
      // GC 1.5 vs 0 (+1.5), zod 0 vs 1 (−1): the three largest differences.
      ['self: ladder activities/', 2.5, 0],
      ['self: @temporalio/worker', 3, 1],
      ['self: (garbage collector)', 1.5, 0],
    ]);
  });

  it('prints the rows as a markdown table with the difference', () => {
    const table = profileComparisonTable(profileComparisonRows(ladder, 100, bare, 50, 1));
    expect(table.split('\n')).toEqual([
      '| profiled batch, ms per task (busy: not idle; self: by where the code comes from) | Ladder | bare | Ladder − bare |',
      '| --- | --- | --- | --- |',
      '| busy: all threads | 12.00 | 6.00 | 6.00 |',
      '| busy: main thread | 6.00 | 3.00 | 3.00 |',
      '| busy: workflow threads | 6.00 | 3.00 | 3.00 |',
      '| self: ladder activities/ | 2.50 | 0.00 | 2.50 |',
    ]);
  });

  it('refuses a task count that is not a positive whole number, naming it', () => {
    expect(() => profileComparisonRows(ladder, 0, bare, 50)).toThrow(
      'ladderTasks must be a positive whole number of tasks, got 0',
    );
    expect(() => profileComparisonRows(ladder, 10, bare, 2.5)).toThrow(
      'bareTasks must be a positive whole number of tasks, got 2.5',
    );
  });
});
