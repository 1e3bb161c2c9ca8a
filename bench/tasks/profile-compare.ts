import type { ProfileSummary } from './profile-summary';
import { markdownTable } from './report';

/** One row of {@link profileComparisonRows}: busy or self time per task on each side, in ms. */
export interface ProfileComparisonRow {
  what: string;
  ladderMs: number;
  bareMs: number;
}

const isWorkflowThread = (thread: string): boolean => thread !== 'main thread';

/**
 * Ladder's profiled batch beside the bare workflow's, per task: busy time on all threads, on the
 * main thread and on the workflow threads, then self time by category (a package, a Ladder folder,
 * V8 itself), the `categories` largest differences first. Both workers run the same SDK, so a
 * category that costs both alike is the SDK's; what only Ladder's side shows is Ladder's.
 *
 * @param ladderTasks - tasks in Ladder's profiled batch; `bareTasks` likewise (both ≥ 1).
 * @param categories - how many category rows to keep (0: none).
 * @throws RangeError when a task count is not a positive integer.
 */
export function profileComparisonRows(
  ladder: ProfileSummary,
  ladderTasks: number,
  bare: ProfileSummary,
  bareTasks: number,
  categories = 10,
): ProfileComparisonRow[] {
  for (const [name, n] of [
    ['ladderTasks', ladderTasks],
    ['bareTasks', bareTasks],
  ] as const) {
    if (!Number.isInteger(n) || n < 1)
      throw new RangeError(`${name} must be a positive whole number of tasks, got ${n}`);
  }
  const busy = (s: ProfileSummary, onWorkflowThreads: boolean): number =>
    s.busyByThread
      .filter((t) => isWorkflowThread(t.thread) === onWorkflowThreads)
      .reduce((sum, t) => sum + t.busyMs, 0);
  const row = (what: string, l: number, b: number): ProfileComparisonRow => ({
    what,
    ladderMs: l / ladderTasks,
    bareMs: b / bareTasks,
  });
  const selfOf = (s: ProfileSummary): Map<string, number> =>
    new Map(s.categories.map((c) => [c.category, c.selfMs]));
  const ladderSelf = selfOf(ladder);
  const bareSelf = selfOf(bare);
  const byCategory = [...new Set([...ladderSelf.keys(), ...bareSelf.keys()])]
    .map((c) => row(`self: ${c}`, ladderSelf.get(c) ?? 0, bareSelf.get(c) ?? 0))
    .sort((x, y) => y.ladderMs - y.bareMs - (x.ladderMs - x.bareMs) || x.what.localeCompare(y.what))
    .slice(0, categories);
  return [
    row('busy: all threads', ladder.busyMs, bare.busyMs),
    row('busy: main thread', busy(ladder, false), busy(bare, false)),
    row('busy: workflow threads', busy(ladder, true), busy(bare, true)),
    ...byCategory,
  ];
}

/** {@link profileComparisonRows} as a markdown table, with the difference per task. */
export function profileComparisonTable(rows: readonly ProfileComparisonRow[]): string {
  return markdownTable([
    [
      'profiled batch, ms per task (busy: not idle; self: by where the code comes from)',
      'Ladder',
      'bare',
      'Ladder − bare',
    ],
    ...rows.map((r) => [
      r.what,
      r.ladderMs.toFixed(2),
      r.bareMs.toFixed(2),
      (r.ladderMs - r.bareMs).toFixed(2),
    ]),
  ]);
}
