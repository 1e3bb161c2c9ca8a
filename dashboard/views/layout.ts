import type { Criterion } from '../../policy/trust-rules';
import { html, type SafeHtml } from '../html';
import { humanDuration } from '../model/pending';

/** Links out of the dashboard: to the Temporal UI and to the Slack message a task posted. */
export interface LinkTargets {
  /** The Temporal UI page of a workflow. */
  workflow: (workflowId: string) => string;
  /** The Slack message of a ref (`<channel>/<ts>`), or null when there is no link to make. */
  slackMessage: (ref: string) => string | null;
}

/** A whole page: the shell, the stylesheet, and scripts from this server only (the CSP allows nothing else). */
export function page(title: string, body: SafeHtml, options: { charts?: boolean } = {}): SafeHtml {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Ladder</title>
        <link rel="stylesheet" href="/static/dashboard.css" />
        ${options.charts ? html`<link rel="stylesheet" href="/static/uplot.min.css" />` : ''}
      </head>
      <body>
        <header><a class="home" href="/">Ladder</a> <span class="subtitle">${title}</span></header>
        <main>${body}</main>
        ${
          options.charts
            ? html`<script src="/static/uplot.min.js"></script>
                <script src="/static/charts.js"></script>`
            : ''
        }
      </body>
    </html>`;
}

/** `2026-11-26 14:05:09 UTC` from epoch ms. */
export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A time with how long ago (or how far ahead) it is, e.g. `14:05:09 UTC (in 12 min)`. */
export function when(ms: number, nowMs: number): SafeHtml {
  const delta = ms - nowMs;
  const rel = delta >= 0 ? `in ${humanDuration(delta)}` : `${humanDuration(-delta)} ago`;
  return html`<time datetime="${new Date(ms).toISOString()}">${utc(ms)}</time>
    <span class="rel">(${rel})</span>`;
}

/** The link to a task's page on this dashboard. */
export const taskHref = (workflowId: string): string => `/task?id=${encodeURIComponent(workflowId)}`;

/** The link to an agent × class page. */
export const agentClassHref = (agentId: string, taskClass: string): string =>
  `/agent/${encodeURIComponent(agentId)}/${encodeURIComponent(taskClass)}`;

/** A promotion's criteria as list items, each marked met (✓) or missing (✗) with its numbers. */
export function criteriaItems(criteria: readonly Criterion[]): SafeHtml[] {
  return criteria.map(
    (c) => html`<li class="${c.ok ? 'ok' : 'missing'}">${c.ok ? '✓' : '✗'} ${c.criterion}: ${c.detail}</li>`,
  );
}
