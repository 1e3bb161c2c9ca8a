import { formatTable, percentile, summarize } from '../../bench/latency-stats';

describe('benchmark latency statistics', () => {
  it('takes nearest-rank percentiles: p99 of 100 values is the 99th, of 10 values the largest', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred.slice(0, 10), 99)).toBe(10);
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises values in any order without changing them', () => {
    const values = [30, 10, 20, 1000];
    expect(summarize(values)).toEqual({ count: 4, p50: 20, p99: 1000, max: 1000 });
    expect(values).toEqual([30, 10, 20, 1000]);
  });

  it('aligns a table: first column left, the others right', () => {
    expect(
      formatTable([
        ['phase', 'p99'],
        ['no reloads', '9.3 ms'],
        ['reloading', '23.6 ms'],
      ]),
    ).toBe(['phase           p99', 'no reloads   9.3 ms', 'reloading   23.6 ms'].join('\n'));
  });
});
