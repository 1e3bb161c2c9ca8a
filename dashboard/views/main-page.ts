import { RUNG_NAMES } from '../../policy/schema';
import type { Overview } from '../data/dashboard-data';
import { html, safeHref, type SafeHtml } from '../html';
import type { GridView } from '../model/grid';
import { humanDuration, type PendingView } from '../model/pending';
import { agentClassHref, criteriaItems, page, taskHref, utc, when, type LinkTargets } from './layout';

const rungName = (r: number): string => `${r} ${RUNG_NAMES[r] ?? ''}`.trim();

/** The main page: the grid of agents × task classes, then what waits on people. */
export function mainPage(data: Overview, links: LinkTargets): SafeHtml {
  return page(
    'Agents and task classes',
    html`<p class="meta">
        Policy <code>${data.grid.policyVersion}</code> · figures read ${utc(data.readAtMs)}
      </p>
      ${statusBanner(data.grid)} ${gridTable(data.grid)}
      ${pendingSections(data.pending, data.readAtMs, links)}`,
  );
}

function statusBanner(grid: GridView): SafeHtml {
  const ks = grid.policyKillSwitch;
  const canary = grid.canary;
  return html`<section id="controls">
    <p id="policy-kill-switch">
      ${
        ks
          ? html`<strong class="alert">Policy kill switch engaged:</strong> cap rung ${ks.cap} for
              ${ks.agents ? ks.agents.join(', ') : 'every agent'}`
          : 'Policy kill switch: not engaged'
      }
    </p>
    <p id="canary">
      ${
        canary
          ? html`Canary: policy <code>${canary.nextVersionId}</code> <strong>${canary.status}</strong> for
              ${canary.agents.join(', ') || 'no agents'}, window ${humanDuration(canary.windowMs)} from
              ${canary.startedAt}${canary.detail ? html` — ${canary.detail}` : ''}`
          : 'Canary: none running'
      }
    </p>
  </section>`;
}

function gridTable(grid: GridView): SafeHtml {
  const head = grid.columns.map(
    (c) =>
      html`<th scope="col" data-class="${c.taskClass}">
        ${c.taskClass}<br /><span class="cap">cap ${c.cap}</span>${
          c.runtimeCap
            ? html`<br /><span class="alert" title="${c.runtimeCap.reason}"
                  >capped at ${c.runtimeCap.cap} by ${c.runtimeCap.by}</span
                >`
            : ''
        }
      </th>`,
  );
  const rows = grid.rows.map((r) => {
    const cells = r.cells.map((c) => {
      const reduced = c.effective < c.earned;
      const why = c.reasons.map((x) => x.message).join('; ');
      return html`<td
        class="cell${reduced ? ' reduced' : ''}"
        data-agent="${r.agentId}"
        data-class="${c.taskClass}"
        data-earned="${c.earned}"
        data-effective="${c.effective}"
        title="${why}"
      >
        <a href="${agentClassHref(r.agentId, c.taskClass)}"
          ><span class="effective">${rungName(c.effective)}</span>
          <span class="earned">earned ${c.earned}${c.declared ? ' (declared)' : ''}</span></a
        >${
          c.proposal ? html`<span class="proposal">→ ${c.proposal.to} proposed (${c.proposal.id})</span>` : ''
        }
      </td>`;
    });
    return html`<tr data-agent="${r.agentId}">
      <th scope="row">
        ${r.agentId}<br /><span class="owner">owner ${r.owner}</span>${
          r.freeze
            ? html`<br /><span class="alert freeze" title="${r.freeze.reason}"
                  >frozen at ${r.freeze.cap} (${r.freeze.scope === 'all' ? 'every agent' : 'this agent'}) by
                  ${r.freeze.by}</span
                >`
            : ''
        }${r.inCanary ? html`<br /><span class="canary">in canary</span>` : ''}${
          r.ledgerUnreadable ? html`<br /><span class="alert">ledger unreadable</span>` : ''
        }
      </th>
      ${cells}
    </tr>`;
  });
  return html`<section id="grid-section">
    <h2>Rungs: effective (earned)</h2>
    <table id="grid">
      <thead>
        <tr>
          <th scope="col">agent</th>
          ${head}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    <p class="legend">
      Effective: the rung a task of the class runs at now, before its own pins and bounds. Highlighted: held
      below what the agent earned (hover for why).
    </p>
  </section>`;
}

function slackLink(ref: string | null, links: LinkTargets): SafeHtml | string {
  const url = ref ? links.slackMessage(ref) : null;
  return url ? html` · <a href="${safeHref(url)}">Slack message</a>` : '';
}

function pendingSections(p: PendingView, nowMs: number, links: LinkTargets): SafeHtml {
  const questions = p.questions.map(
    (q) =>
      html`<tr data-workflow="${q.workflowId}">
        <td>
          <a href="${taskHref(q.workflowId)}">${q.title}</a><br /><span class="id">${q.workflowId}</span>
        </td>
        <td>${q.agentId}</td>
        <td>${q.taskClass}</td>
        <td>${q.rung ?? '?'}</td>
        <td>${q.waitingOn}</td>
        <td class="age">${humanDuration(q.ageMs)}</td>
        <td class="expiry">${q.expiresAtMs !== null ? when(q.expiresAtMs, nowMs) : 'does not expire'}</td>
        <td>
          <a href="${safeHref(links.workflow(q.workflowId))}">Temporal</a>${slackLink(q.messageRef, links)}
        </td>
      </tr>`,
  );
  const reports = p.reports.map(
    (r) =>
      html`<tr data-workflow="${r.workflowId}">
        <td>
          <a href="${taskHref(r.workflowId)}">${r.title}</a><br /><span class="id">${r.workflowId}</span>
        </td>
        <td>${r.agentId}</td>
        <td>${r.taskClass}</td>
        <td>${r.channel}</td>
        <td>${when(r.postedAtMs, nowMs)}</td>
        <td class="sla${r.slaDueMs < nowMs ? ' alert' : ''}">${when(r.slaDueMs, nowMs)}</td>
        <td>
          ${r.nextEscalation ? html`${r.nextEscalation.notify} ${when(r.nextEscalation.atMs, nowMs)}` : 'every contact pinged'}
        </td>
        <td>
          <a href="${safeHref(links.workflow(r.workflowId))}">Temporal</a>${slackLink(r.messageRef, links)}
        </td>
      </tr>`,
  );
  const proposals = p.proposals.map(
    (x) =>
      html`<li class="proposal" data-agent="${x.agentId}" data-class="${x.taskClass}">
        <strong>${x.agentId}</strong> in
        <a href="${agentClassHref(x.agentId, x.taskClass)}">${x.taskClass}</a>: rung ${x.from} → ${x.to}
        (${x.id}), proposed ${when(x.atMs, nowMs)}, approvers ${x.approvers.join(', ')}
        <ul>
          ${criteriaItems(x.criteria)}
        </ul>
      </li>`,
  );
  return html`<section id="pending">
    <h2>Waiting on people</h2>
    <h3>Questions on running tasks (${p.questions.length})</h3>
    ${
      questions.length > 0
        ? html`<table id="questions">
            <thead>
              <tr>
                <th>task</th>
                <th>agent</th>
                <th>class</th>
                <th>rung</th>
                <th>waiting on</th>
                <th>age</th>
                <th>expires</th>
                <th>links</th>
              </tr>
            </thead>
            <tbody>
              ${questions}
            </tbody>
          </table>`
        : html`<p class="empty" id="questions">Nothing is waiting for an answer.</p>`
    }
    <h3>Unread reports (${p.reports.length})</h3>
    ${
      reports.length > 0
        ? html`<table id="reports">
            <thead>
              <tr>
                <th>task</th>
                <th>agent</th>
                <th>class</th>
                <th>channel</th>
                <th>posted</th>
                <th>read SLA due</th>
                <th>next escalation</th>
                <th>links</th>
              </tr>
            </thead>
            <tbody>
              ${reports}
            </tbody>
          </table>`
        : html`<p class="empty" id="reports">No report is waiting to be read.</p>`
    }
    <h3>Open promotion proposals (${p.proposals.length})</h3>
    ${
      proposals.length > 0
        ? html`<ul id="proposals">
            ${proposals}
          </ul>`
        : html`<p class="empty" id="proposals">No proposal is open.</p>`
    }
    ${p.notShown > 0 ? html`<p class="meta">${p.notShown} more running tasks were not read (the newest are listed).</p>` : ''}
  </section>`;
}
