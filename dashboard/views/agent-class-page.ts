import type { AgentClassPage } from '../data/dashboard-data';
import { html, jsonForScript, type SafeHtml } from '../html';
import { criteriaItems, page, utc } from './layout';

/**
 * One agent in one task class: a chart per metric with the next rung's threshold, the rung as a step
 * line, each rung change with its cause, and the criteria for the next rung as they stand. The
 * charts' data travel as JSON in a non-executable script block; /static/charts.js draws them.
 */
export function agentClassPage(data: AgentClassPage): SafeHtml {
  const v = data.view;
  const charts = v.charts.map(
    (c) =>
      html`<figure class="chart" data-metric="${c.key}">
        <figcaption>
          ${c.label}${
            c.threshold
              ? html` <span class="threshold" data-threshold="${c.threshold.value}"
                  >— ${c.threshold.kind === 'min' ? 'at least' : 'at most'}
                  ${c.unit === 'rate' ? `${(c.threshold.value * 100).toFixed(1)}%` : c.threshold.value} for
                  rung ${c.threshold.forRung}</span
                >`
              : html` <span class="threshold none"
                  >— no threshold ${v.rung >= 5 ? '(top rung)' : 'in the policy for the next rung'}</span
                >`
          }
        </figcaption>
        <div class="plot" id="plot-${c.key}"></div>
        <table class="values">
          <tr>
            ${v.dayLabels.map((d, i) => html`<td title="${d}">${format(c.values[i], c.unit)}</td>`)}
          </tr>
        </table>
      </figure>`,
  );
  const changes = v.changes.map(
    (h) =>
      html`<tr>
        <td>${h.at}</td>
        <td>${h.from} → ${h.to}</td>
        <td class="cause">${h.cause}</td>
        <td>${h.by ?? 'automatic'}</td>
        <td>${h.evidence}</td>
      </tr>`,
  );
  const verdict = data.verdict;
  return page(
    `${v.agentId} · ${v.taskClass}`,
    html`<p class="meta">
        Rung now <strong id="rung-now">${v.rung}</strong> · ${v.days.length} day(s) with evidence · figures
        read ${utc(data.readAtMs)}
      </p>
      <section id="next-rung">
        <h2>${verdict?.to != null ? `Towards rung ${verdict.to}` : 'Next rung'}</h2>
        ${
          verdict
            ? html`<ul>
                ${criteriaItems(verdict.criteria)}
              </ul>`
            : html`<p class="empty">No evidence in this class yet.</p>`
        }
      </section>
      <section id="charts">
        <h2>Metrics per day</h2>
        ${v.days.length === 0 ? html`<p class="empty">No daily records yet.</p>` : ''} ${charts}
        <figure class="chart" data-metric="rung">
          <figcaption>Rung over time</figcaption>
          <div class="plot" id="plot-rung"></div>
        </figure>
      </section>
      <section id="rung-history">
        <h2>Rung changes (${v.changes.length})</h2>
        ${
          changes.length > 0
            ? html`<table id="changes">
                <thead>
                  <tr>
                    <th>when</th>
                    <th>rung</th>
                    <th>cause</th>
                    <th>by</th>
                    <th>evidence then</th>
                  </tr>
                </thead>
                <tbody>
                  ${changes}
                </tbody>
              </table>`
            : html`<p class="empty" id="changes">No rung change in this class yet.</p>`
        }
      </section>
      <script type="application/json" id="chart-data">
        ${jsonForScript({
          days: v.days.map((d) => d * 86_400),
          charts: v.charts,
          rungSteps: v.rungSteps,
        })}
      </script>`,
    { charts: true },
  );
}

function format(value: number | null, unit: 'rate' | 'seconds'): string {
  if (value === null) return '–';
  return unit === 'rate' ? `${(value * 100).toFixed(1)}%` : `${value.toFixed(1)} s`;
}
