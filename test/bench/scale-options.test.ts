import { CommanderError } from 'commander';
import { parseTimerBenchOptions, parseWaitingBenchOptions } from '../../bench/tasks/scale-options';

/** Runs `parse` with commander's error output captured; returns what it wrote. */
function stderrOf(parse: () => unknown): string {
  const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(parse).toThrow(CommanderError);
    return write.mock.calls.map((c) => String(c[0])).join('');
  } finally {
    write.mockRestore();
  }
}

describe('bench:timers options', () => {
  it('measures 500 timers over a minute by default and 100 over 20 s with --quick', () => {
    expect(parseTimerBenchOptions([])).toMatchObject({
      quick: false,
      timers: 500,
      spreadSeconds: 60,
      escalateAfterSeconds: 90,
      baseline: true,
      stallSeconds: 90,
      out: 'bench/results/timers.json',
    });
    expect(parseTimerBenchOptions(['--quick'])).toMatchObject({
      quick: true,
      timers: 100,
      spreadSeconds: 20,
      escalateAfterSeconds: 30,
      baseline: false,
      out: 'bench/results/timers-quick.json',
    });
  });

  it('lets an explicit option override the preset', () => {
    expect(
      parseTimerBenchOptions(['--quick', '--timers', '30', '--baseline', '--out', 'x.json']),
    ).toMatchObject({ timers: 30, spreadSeconds: 20, baseline: true, out: 'x.json' });
    expect(parseTimerBenchOptions(['--no-baseline', '--spread-seconds', '4'])).toMatchObject({
      baseline: false,
      spreadSeconds: 4,
      escalateAfterSeconds: 14,
    });
    expect(parseTimerBenchOptions(['--escalate-after-seconds', '45']).escalateAfterSeconds).toBe(45);
  });

  it('refuses a bad value, naming what was expected', () => {
    expect(stderrOf(() => parseTimerBenchOptions(['--spread-seconds', '0']))).toContain(
      'expected a whole number ≥ 1, got "0"',
    );
  });
});

describe('bench:waiting options', () => {
  it('waits 10,000 tasks by default and 1,000 with --quick', () => {
    expect(parseWaitingBenchOptions([])).toMatchObject({
      quick: false,
      tasks: 10_000,
      submitConcurrency: 50,
      answerConcurrency: 50,
      holdSeconds: 15,
      rssSampleMs: 250,
      warmUp: 20,
      out: 'bench/results/waiting.json',
    });
    expect(parseWaitingBenchOptions(['--quick'])).toMatchObject({
      quick: true,
      tasks: 1_000,
      holdSeconds: 5,
      out: 'bench/results/waiting-quick.json',
    });
  });

  it('lets an explicit option override the preset', () => {
    expect(
      parseWaitingBenchOptions([
        '--quick',
        '--tasks',
        '200',
        '--hold-seconds',
        '0',
        '--warm-up',
        '0',
        '--keep',
      ]),
    ).toMatchObject({ tasks: 200, holdSeconds: 0, warmUp: 0, keep: true });
  });

  it('refuses a bad value, naming what was expected', () => {
    expect(stderrOf(() => parseWaitingBenchOptions(['--tasks', 'many']))).toContain(
      'expected a whole number ≥ 1, got "many"',
    );
  });
});
