import type { TaskRead } from '../data/temporal-reads';
import { html, safeHref, type SafeHtml } from '../html';
import { page, type LinkTargets } from './layout';

/** One task: what was asked, the decision and its reasons, the steps, every answer and how it was asked, the outcome. */
export function taskPage(workflowId: string, read: TaskRead, links: LinkTargets): SafeHtml {
  const r = read.record;
  const t = read.task;
  const d = r.decision;
  const s = read.status;
  const slack = read.messageRef ? links.slackMessage(read.messageRef) : null;
  const steps = (t?.steps ?? []).map(
    (step, i) =>
      html`<li data-step="${i}">
        <code>${step.action}</code>
        <pre>${JSON.stringify(step.params, null, 2)}</pre>
      </li>`,
  );
  const answers = r.answers.map(
    (a) =>
      html`<tr class="answer" data-by="${a.by}">
        <td>${a.answer}</td>
        <td>${a.by}</td>
        <td>${a.at}</td>
        <td>${a.result}${a.refusal ? html`: ${a.refusal}` : ''}</td>
        <td>
          ${a.proof ? html`${a.proof.keyId} (${a.proof.keyKind ?? 'unknown key'}) ${a.proof.verified ? '✓ verified' : html`<span class="alert">✗ ${a.proof.problem}</span>`}` : 'claimed identity (no proof)'}
        </td>
        <td>
          ${
            a.shown
              ? html`<details>
                  <summary>
                    ${a.shown.kind} in ${a.shown.channel}${a.shown.to ? ` to ${a.shown.to}` : ''}, posted
                    ${a.shown.postedAt}, buttons ${a.shown.actions.join(', ') || 'none'}
                  </summary>
                  <p class="shown-title">${a.shown.title}</p>
                  <pre class="shown-text">${a.shown.text}</pre>
                </details>`
              : 'no message found'
          }
        </td>
        <td>${a.sentBy ?? ''}</td>
      </tr>`,
  );
  const outcome = r.outcome;
  return page(
    `Task ${t?.title ?? workflowId}`,
    html`<p class="meta">
        <span class="id">${workflowId}</span> ·
        <a id="temporal-link" href="${safeHref(links.workflow(workflowId))}">Temporal UI</a>${
          slack ? html` · <a id="slack-link" href="${safeHref(slack)}">Slack message</a>` : ''
        }
      </p>
      <section id="request">
        <h2>Request</h2>
        ${
          t
            ? html`<dl>
                  <dt>title</dt>
                  <dd id="task-title">${t.title}</dd>
                  <dt>agent</dt>
                  <dd>${t.agent.id} (model ${t.agent.model}, prompt ${t.agent.promptVersion})</dd>
                  <dt>class</dt>
                  <dd>${t.taskClass}</dd>
                  <dt>environment</dt>
                  <dd>${t.environment}</dd>
                  <dt>requester</dt>
                  <dd>${t.requester ?? ''}</dd>
                  <dt>started</dt>
                  <dd>${r.startedAt ?? ''}</dd>
                </dl>
                <h3>Steps (${steps.length})</h3>
                <ol id="steps">
                  ${steps}
                </ol>`
            : html`<p class="empty">The request was not found in history.</p>`
        }
      </section>
      <section id="decision">
        <h2>Decision</h2>
        ${
          d
            ? html`<p>
                  Rung <strong id="effective-rung">${d.effectiveRung}</strong> (earned
                  ${d.earnedRung}${d.requestedRung !== null ? `, asked for ${d.requestedRung}` : ''}) under
                  policy <code>${d.policyVersion}</code>, decided
                  ${d.decidedAt}${
                    d.refused ? html` — <strong class="alert">refused: ${d.refused.message}</strong>` : ''
                  }
                </p>
                <ul id="reasons">
                  ${d.reasons.map((x) => html`<li><code>${x.rule}</code> (ceiling ${x.ceiling}): ${x.message}</li>`)}
                </ul>
                ${
                  d.bounds.violations.length > 0
                    ? html`<ul>
                        ${d.bounds.violations.map((v) => html`<li>bound ${v.bound}: ${v.message}</li>`)}
                      </ul>`
                    : ''
                }
                <p>
                  Approvers:
                  ${d.approvers.join(', ') || 'none'}${d.twoPersonRule ? ' · two-person rule' : ''}${d.typedConfirmation ? ` · typed confirmation "${d.typedConfirmation}"` : ''}
                </p>`
            : html`<p class="empty">Not decided yet.</p>`
        }
      </section>
      ${
        s
          ? html`<section id="live">
              <h2>Now</h2>
              <p>
                Phase <strong id="phase">${s.phase}</strong>, step
                ${Math.min(s.currentStep + 1, s.stepsTotal)} of
                ${s.stepsTotal}${s.waitingOn ? html`, waiting on ${s.waitingOn}` : ''}
              </p>
              ${
                s.events.length > 0
                  ? html`<ul>
                      ${s.events.map((e) => html`<li>${e}</li>`)}
                    </ul>`
                  : ''
              }
            </section>`
          : ''
      }
      <section id="answers">
        <h2>Answers (${r.answers.length})</h2>
        ${
          answers.length > 0
            ? html`<table>
                <thead>
                  <tr>
                    <th>answer</th>
                    <th>by</th>
                    <th>when</th>
                    <th>result</th>
                    <th>proof</th>
                    <th>as presented</th>
                    <th>sent by</th>
                  </tr>
                </thead>
                <tbody>
                  ${answers}
                </tbody>
              </table>`
            : html`<p class="empty">No answer yet.</p>`
        }
      </section>
      <section id="outcome">
        <h2>Outcome</h2>
        ${
          outcome
            ? html`<p>
                  <strong id="outcome-value">${outcome.outcome}</strong> at rung ${outcome.rung},
                  ${outcome.executedSteps} step(s)
                  executed${outcome.approvedBy ? `, approved by ${outcome.approvedBy} at ${outcome.approvedAt ?? '?'}` : ''}${outcome.reportRead !== null ? `, report ${outcome.reportRead ? 'read' : 'unread'}` : ''}${outcome.error ? html` — ${outcome.error}` : ''}
                </p>
                ${
                  outcome.events.length > 0
                    ? html`<ul>
                        ${outcome.events.map((e) => html`<li>${e}</li>`)}
                      </ul>`
                    : ''
                }`
            : r.failure
              ? html`<p class="alert">${r.status}: ${r.failure.message}</p>`
              : html`<p id="outcome-value">${r.status}</p>`
        }
      </section>`,
  );
}
