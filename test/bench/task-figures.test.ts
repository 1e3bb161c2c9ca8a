import {
  interleavedPlan,
  median,
  pairedRatios,
  perTask,
  perTaskEach,
  ratio,
  spreadSample,
  throughput,
} from '../../bench/tasks/figures';

describe('task benchmark figures', () => {
  it('interleaves rounds, each in the reverse order of the one before, size by size', () => {
    const plan = interleavedPlan([100, 300], 3, ['ladder-api', 'ladder-client', 'baseline']);
    expect(plan.map((b) => `${b.n}/${b.round}/${b.side}`)).toEqual([
      '100/0/ladder-api',
      '100/0/ladder-client',
      '100/0/baseline',
      '100/1/baseline',
      '100/1/ladder-client',
      '100/1/ladder-api',
      '100/2/ladder-api',
      '100/2/ladder-client',
      '100/2/baseline',
      '300/0/ladder-api',
      '300/0/ladder-client',
      '300/0/baseline',
      '300/1/baseline',
      '300/1/ladder-client',
      '300/1/ladder-api',
      '300/2/ladder-api',
      '300/2/ladder-client',
      '300/2/baseline',
    ]);
  });

  it('counts throughput from the first submission to the last completion', () => {
    expect(throughput(300, 1_000, 61_000)).toBe(5);
    expect(throughput(10, 5_000, 5_000)).toBeNaN();
    expect(throughput(10, 5_000, 4_000)).toBeNaN();
  });

  it('takes the median of odd and even counts and ignores NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it('divides only by a real, non-zero baseline', () => {
    expect(ratio(4.5, 30)).toBeCloseTo(0.15);
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(NaN, 3)).toBeNaN();
    expect(ratio(3, Infinity)).toBeNaN();
  });

  it('pairs ratios round by round, skipping rounds where one side is missing', () => {
    expect(pairedRatios([5, 6, NaN], [20, 30, 40])).toEqual({ min: 0.2, median: 0.225, max: 0.25 });
    expect(pairedRatios([5], [])).toEqual({ min: NaN, median: NaN, max: NaN });
  });

  it('spreads a history sample over the whole batch, ends included', () => {
    expect(spreadSample(100, 5)).toEqual([0, 25, 50, 74, 99]);
    expect(spreadSample(3, 10)).toEqual([0, 1, 2]);
    expect(spreadSample(10, 1)).toEqual([5]);
    expect(spreadSample(0, 4)).toEqual([]);
    expect(perTask(90, 3)).toBe(30);
    expect(perTask(90, 0)).toBeNaN();
    expect(perTaskEach({ 'Ladder worker': 900, 'dev server': 300 }, 30)).toEqual({
      'Ladder worker': 30,
      'dev server': 10,
    });
    expect(perTaskEach({ 'dev server': 300 }, 0)['dev server']).toBeNaN();
  });
});
