import { ExpositionError, parsePrometheusText, sampleValue } from '../helpers/prometheus-text';

// The test helper that reads /metrics must refuse what Prometheus would, or the scrape tests prove little.
describe('the strict exposition-format reader the tests scrape with', () => {
  it('reads families, escaped label values, special values and timestamps', () => {
    const families = parsePrometheusText(
      [
        '# HELP x_total Things, with a \\\\ backslash.',
        '# TYPE x_total counter',
        'x_total{a="1",b="say \\"hi\\"\\n"} 3',
        'x_total{a="2"} 1.5e3 1700000000000',
        '',
        '# a comment',
        '# TYPE g gauge',
        'g +Inf',
        'g2 Nan',
        '# TYPE h histogram',
        'h_bucket{le="1"} 1',
        'h_bucket{le="+Inf"} 2',
        'h_sum 3.5',
        'h_count 2',
      ].join('\n'),
    );
    expect(families.get('x_total')).toMatchObject({ type: 'counter', help: 'Things, with a \\ backslash.' });
    expect(sampleValue(families, 'x_total', { a: '1', b: 'say "hi"\n' })).toBe(3);
    expect(sampleValue(families, 'x_total', { a: '2' })).toBe(1500);
    expect(sampleValue(families, 'g')).toBe(Infinity);
    expect(sampleValue(families, 'g2')).toBeNaN();
    expect(sampleValue(families, 'h_bucket', { le: '+Inf' })).toBe(2);
    expect(sampleValue(families, 'x_total', { a: '3' })).toBe(0);
    expect(() => sampleValue(families, 'nope_total')).toThrow('no metric family for nope_total');
  });

  it.each([
    ['a bad metric name', '1x 2', /no metric name/],
    ['a missing value', 'x_total{a="1"}', /expected a value/],
    ['a value that is not a number', 'x 1,5', /bad value/],
    ['a signed NaN', 'x -NaN', /bad value/],
    ['an unterminated label value', 'x{a="1} 2', /unterminated|expected , or }/],
    ['a bad escape', 'x{a="\\t"} 1', /bad escape/],
    ['a bad label name', 'x{1a="1"} 1', /bad label/],
    ['a label twice', 'x{a="1",a="2"} 1', /label a twice/],
    ['a series twice', 'x{a="1"} 1\nx{a="1"} 2', /duplicate series/],
    ['a TYPE after samples', 'x 1\n# TYPE x counter', /TYPE of x after its samples/],
    ['an unknown type', '# TYPE x countr', /unknown type/],
    ['a split family', '# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\nx{a="b"} 2', /family x is split/],
    [
      'buckets that shrink',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1',
      /not cumulative/,
    ],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1', /\+Inf/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parsePrometheusText(text)).toThrow(ExpositionError);
    expect(() => parsePrometheusText(text)).toThrow(message);
  });
});
