import { readFileSync } from 'node:fs';

// What the pages load besides themselves, all from this server (the CSP allows nothing else, and
// the page works without a network): uPlot from its npm package, the charts script and the styles.

/** The page's stylesheet. */
export const DASHBOARD_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { background: #1f2a44; color: #fff; padding: 8px 16px; }
header a.home { color: #fff; font-weight: 600; text-decoration: none; margin-right: 12px; }
main { padding: 12px 16px; }
table { border-collapse: collapse; margin: 8px 0; background: #fff; }
th, td { border: 1px solid #ddd; padding: 4px 6px; vertical-align: top; text-align: left; }
td.cell a { text-decoration: none; color: inherit; display: block; }
td.cell .effective { font-weight: 600; display: block; }
td.cell .earned, .owner, .cap, .id, .rel, .meta { color: #666; font-size: 12px; }
td.reduced { background: #fff4d6; }
.alert { color: #b00020; font-weight: 600; }
.canary { color: #6a1b9a; }
.proposal { color: #1565c0; display: block; font-size: 12px; }
li.ok { color: #2e7d32; } li.missing { color: #b00020; }
.empty { color: #666; font-style: italic; }
figure.chart { display: inline-block; margin: 8px; padding: 8px; background: #fff; border: 1px solid #ddd; vertical-align: top; }
figure.chart table.values { display: none; }
pre { white-space: pre-wrap; margin: 2px 0; }
`;

/**
 * Draws every chart of an agent × class page with uPlot from the JSON block #chart-data: each metric
 * with its threshold as a dashed line, and the rung as a step line. Plain browser JS, no eval.
 */
export const CHARTS_JS = `'use strict';
(function () {
  var block = document.getElementById('chart-data');
  if (!block || typeof uPlot === 'undefined') return;
  var data = JSON.parse(block.textContent);
  var size = { width: 420, height: 200 };
  var DAY = 86400;
  // A day before the first and after the last: a single day still shows as a point between two
  // edges, and the threshold runs across the whole chart.
  var xs = data.days.length === 0 ? [] : [data.days[0] - DAY].concat(data.days, [data.days[data.days.length - 1] + DAY]);
  data.charts.forEach(function (c) {
    var el = document.getElementById('plot-' + c.key);
    if (!el || data.days.length === 0) return;
    var scale = c.unit === 'rate' ? 100 : 1;
    var ys = [null].concat(c.values.map(function (v) { return v === null ? null : v * scale; }), [null]);
    var series = [{}, { label: c.label, stroke: '#1565c0', width: 2, points: { show: true, size: 7 } }];
    var cols = [xs, ys];
    if (c.threshold) {
      series.push({ label: (c.threshold.kind === 'min' ? 'min ' : 'max ') + 'for rung ' + c.threshold.forRung, stroke: '#b00020', dash: [6, 4], width: 1.5, points: { show: false } });
      cols.push(xs.map(function () { return c.threshold.value * scale; }));
    }
    var opts = { width: size.width, height: size.height, series: series,
      scales: c.unit === 'rate' ? { x: { time: true }, y: { range: [0, 100] } } : { x: { time: true } },
      axes: [{}, { values: function (u, vals) { return vals.map(function (v) { return c.unit === 'rate' ? v + '%' : v + ' s'; }); } }] };
    new uPlot(opts, cols, el);
    el.setAttribute('data-drawn', 'true');
  });
  var rungEl = document.getElementById('plot-rung');
  if (rungEl && data.rungSteps.length > 0) {
    var ts = data.rungSteps.map(function (p) { return p.t; });
    var rs = data.rungSteps.map(function (p) { return p.rung; });
    new uPlot({ width: size.width, height: size.height,
      series: [{}, { label: 'rung', stroke: '#2e7d32', width: 2, paths: uPlot.paths.stepped({ align: 1 }) }],
      scales: { y: { range: [0, 5] } }, axes: [{}, { splits: function () { return [0, 1, 2, 3, 4, 5]; } }] }, [ts, rs], rungEl);
    rungEl.setAttribute('data-drawn', 'true');
  }
})();
`;

/** uPlot's browser build and stylesheet, read once from the installed package. */
export function uplotAssets(): { js: string; css: string } {
  return {
    js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}
