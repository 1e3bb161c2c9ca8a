import { CommanderError } from 'commander';
import { approvalCount, parseTaskBenchOptions } from '../../bench/tasks/options';
import { BENCH_PARTS, overallExitCode, planParts } from '../../bench/run-all';
import { inPool } from '../../bench/tasks/pool';

describe('bench:tasks options', () => {
  it('runs the closing figures by default and a small preset with --quick', () => {
    const full = parseTaskBenchOptions([]);
    expect(full).toMatchObject({
      quick: false,
      sizes: [300, 1000],
      rounds: 3,
      out: 'bench/results/tasks.json',
    });
    const quick = parseTaskBenchOptions(['--quick']);
    expect(quick).toMatchObject({ quick: true, sizes: [100, 300], rounds: 2, approvalsSequential: 20 });
    expect(quick.out).toBe('bench/results/tasks-quick.json');
  });

  it('lets an explicit option override the preset', () => {
    expect(parseTaskBenchOptions(['--quick', '--sizes', '50,75', '--rounds', '2'])).toMatchObject({
      sizes: [50, 75],
      rounds: 2,
      approvalsSequential: 20,
    });
  });

  it('runs the click burst in the full run only, and counts each phase from its own option', () => {
    const full = parseTaskBenchOptions([]);
    expect(full).toMatchObject({ clicksConcurrent: 100, clicksBurst: 100 });
    expect(parseTaskBenchOptions(['--quick']).clicksBurst).toBe(0);
    const o = parseTaskBenchOptions([
      '--approvals-concurrent',
      '7',
      '--clicks-concurrent',
      '8',
      '--clicks-burst',
      '9',
    ]);
    expect(approvalCount(o, 'ladder-client', 'concurrent')).toBe(7);
    expect(approvalCount(o, 'baseline', 'concurrent')).toBe(7);
    expect(approvalCount(o, 'ladder-click', 'concurrent')).toBe(8);
    expect(approvalCount(o, 'ladder-click', 'burst')).toBe(9);
    // An update's answer is its result: there is no burst of updates.
    expect(approvalCount(o, 'ladder-client', 'burst')).toBe(0);
    expect(approvalCount(o, 'baseline', 'burst')).toBe(0);
    expect(approvalCount(o, 'ladder-click', 'sequential')).toBe(full.clicksSequential);
  });

  it('refuses a bad value, naming what was expected', () => {
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => parseTaskBenchOptions(['--sizes', '300,x'])).toThrow(CommanderError);
      expect(() => parseTaskBenchOptions(['--rounds', '0'])).toThrow(CommanderError);
      expect(String(write.mock.calls.map((c) => c[0]).join(''))).toContain(
        'expected a whole number ≥ 1, got "0"',
      );
    } finally {
      write.mockRestore();
    }
  });
});

describe('npm run bench', () => {
  it('passes the quick form each part understands, and runs only the parts asked for', () => {
    expect(planParts(BENCH_PARTS, true).map((p) => [p.part.name, p.args.join(' ')])).toEqual([
      ['decide', '--quick'],
      ['slack-ack', '--cycles 2 --idle-seconds 3'],
      ['tasks', '--quick'],
      ['floor', '--quick'],
      ['timers', '--quick'],
      ['waiting', '--quick'],
      ['announce-burst', '--quick'],
      ['dashboard', '--quick'],
      ['cluster', '--quick'],
    ]);
    expect(planParts(BENCH_PARTS, false, ['tasks']).map((p) => [p.part.name, p.args])).toEqual([
      ['tasks', []],
    ]);
    expect(() => planParts(BENCH_PARTS, false, ['nope'])).toThrow(
      'unknown benchmark nope (known: decide, slack-ack, tasks, floor, timers, waiting, announce-burst, dashboard, cluster)',
    );
  });

  it('exits 0 when all passed, 1 when a target was missed, 2 when a part failed to run', () => {
    expect(overallExitCode([0, 0])).toBe(0);
    expect(overallExitCode([0, 1])).toBe(1);
    expect(overallExitCode([1, 2])).toBe(2);
  });
});

describe('inPool', () => {
  it('keeps at most the given number running and returns results in item order', async () => {
    let running = 0;
    let most = 0;
    const results = await inPool([5, 1, 4, 2, 3], 2, async (ms, i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return i * 10;
    });
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(most).toBe(2);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    await expect(
      inPool([0, 1, 2, 3], 1, async (i) => {
        started.push(i);
        if (i === 1) throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(started).toEqual([0, 1]);
  });
});
