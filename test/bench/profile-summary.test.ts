import {
  bundleMap,
  categoryOf,
  moduleAt,
  formatProfileSummary,
  summarizeProfiles,
  type CpuProfile,
} from '../../bench/tasks/profile-summary';

/** root → a → b → a (recursion), and root → (idle); samples last until the next one. */
function profile(): CpuProfile {
  const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 3] },
      { id: 2, callFrame: frame('a', 'file:///w/node_modules/pkg/index.js', 9), children: [4] },
      { id: 3, callFrame: frame('(idle)', '') },
      { id: 4, callFrame: frame('b', 'file:///w/dist/workflows/x.js'), children: [5] },
      { id: 5, callFrame: frame('a', 'file:///w/node_modules/pkg/index.js', 9) },
    ],
    startTime: 0,
    endTime: 100_000,
    samples: [2, 4, 5, 3, 3],
    timeDeltas: [0, 10_000, 20_000, 30_000, 40_000],
  };
}

describe('CPU profile summary', () => {
  it('gives self time, total time counting recursion once, and shares of busy time', () => {
    const summary = summarizeProfiles([profile()], 10, ['main thread']);
    expect(summary).toMatchObject({ threads: 1, sampledMs: 100, idleMs: 40, busyMs: 60 });
    expect(summary.busyByThread).toEqual([{ thread: 'main thread', busyMs: 60 }]);
    expect(summary.top.map((f) => [f.name, f.selfMs, f.totalMs])).toEqual([
      ['a', 40, 60],
      ['b', 20, 50],
    ]);
    expect(summary.top[0]).toMatchObject({ where: 'pkg/index.js:10', category: 'pkg' });
    expect(summary.top[0].selfPct).toBeCloseTo(66.67, 1);
    expect(summary.top[0].totalPct).toBeCloseTo(100, 5);
    expect(summary.categories).toEqual([
      { category: 'pkg', selfMs: 40, pct: expect.closeTo(66.67, 1) },
      { category: 'ladder workflows/', selfMs: 20, pct: expect.closeTo(33.33, 1) },
    ]);
  });

  it('adds threads together and keeps the top N', () => {
    const summary = summarizeProfiles([profile(), profile()], 1);
    expect(summary.busyMs).toBe(120);
    expect(summary.top).toHaveLength(1);
    expect(summary.top[0]).toMatchObject({ name: 'a', selfMs: 80, totalMs: 120 });
    expect(summary.busyByThread.map((t) => t.thread)).toEqual(['thread 0', 'thread 1']);
  });

  it('names where code comes from', () => {
    expect(categoryOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(categoryOf('', 'runInContext')).toBe('(native)');
    expect(categoryOf('node:internal/streams/duplex', 'Duplex')).toBe('node internals');
    expect(categoryOf('file:///w/node_modules/@temporalio/worker/lib/worker.js', 'f')).toBe(
      '@temporalio/worker',
    );
    expect(categoryOf('/w/dist/activities/task-activities.js', 'f')).toBe('ladder activities/');
    expect(categoryOf('/tmp/run/ladder-workflow-bundle.js', 'f')).toBe('workflow bundle');
  });

  it('formats the busiest functions and the categories as text', () => {
    const text = formatProfileSummary(summarizeProfiles([profile()], 10, ['main thread']), 'A title');
    expect(text.split('\n').slice(0, 3)).toEqual([
      'A title',
      '1 thread(s), 100 ms sampled, 60 ms busy (shares below are of busy time: samples not idle in the event loop, so a thread blocked inside a call counts as busy; not CPU time)',
      'busy by thread: main thread 60 ms',
    ]);
    expect(text).toContain('   40 ms  66.7%    60 ms 100.0%  a  (pkg/index.js:10; pkg)');
    expect(text).toContain('   20 ms  33.3%  ladder workflows/');
  });

  it('groups workflow code by the bundled module its line falls in', () => {
    const text = [
      '(function() {',
      '/***/ "./dist/workflows/delegated-task.js"',
      'function run() {}',
      '/***/ "./node_modules/@noble/curves/abstract/modular.js"',
      'function mod() {}',
    ].join('\n');
    const map = bundleMap('ladder-workflow-bundle.js', text);
    expect(map.modules).toEqual([
      { line: 2, path: './dist/workflows/delegated-task.js' },
      { line: 4, path: './node_modules/@noble/curves/abstract/modular.js' },
    ]);
    expect([1, 2, 3, 5].map((line) => moduleAt(map, line))).toEqual([
      undefined,
      './dist/workflows/delegated-task.js',
      './dist/workflows/delegated-task.js',
      './node_modules/@noble/curves/abstract/modular.js',
    ]);
    const p = profile();
    p.nodes[1].callFrame = { functionName: 'mod', url: '/tmp/run/ladder-workflow-bundle.js', lineNumber: 4 };
    p.nodes[4].callFrame = p.nodes[1].callFrame;
    p.nodes[3].callFrame = { functionName: 'run', url: '/tmp/run/ladder-workflow-bundle.js', lineNumber: 2 };
    const summary = summarizeProfiles([p], 10, ['workflows'], map);
    expect(summary.top.map((f) => [f.name, f.category, f.where])).toEqual([
      ['mod', '@noble/curves (in workflows)', '@noble/curves/abstract/modular.js (bundle line 5)'],
      ['run', 'ladder workflows/ (in workflows)', 'workflows/delegated-task.js (bundle line 3)'],
    ]);
  });
});
