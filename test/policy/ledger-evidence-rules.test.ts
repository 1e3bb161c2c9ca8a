import { countersFor, newLedger, SEEN_MAX, SEEN_WINDOW_MS, type LedgerState } from '../../policy/ledger';
import { reduceLedger, type IdentifiedEvent } from '../../policy/ledger-reducer';
import type { LoadedPolicy } from '../../policy/loader';
import { executedEvent as executed, ledgerContext, policyWithAudit } from '../helpers/ledger-context';
import { stableFingerprint } from '../../policy/stable-hash';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

function run(p: LoadedPolicy, events: IdentifiedEvent[], nowMs: number, state?: LedgerState) {
  return reduceLedger(state ?? newLedger('ops-agent'), events, ledgerContext(p, nowMs));
}

describe('the evidence rules of the trust ledger', () => {
  it('counts the person’s time at rung 0 too, so friction can justify the first promotion', () => {
    expect(countersFor('suggestion-done', 0)).toContain('approvalsAsked');
    expect(countersFor('suggestion-dismissed', 0)).toContain('approvalsAsked');
    expect(countersFor('approved', 2)).toContain('approvalsAsked');
    // Autonomous outcomes asked nobody.
    expect(countersFor('executed', 3)).not.toContain('approvalsAsked');
  });

  it('counts a retried signal once for the whole window, and forgets it a window after its last retry', () => {
    const p = policyWithAudit('{ sampleRate: 0 }');
    const first = run(p, [executed(1)], NOW);
    const retriedAt = NOW + SEEN_WINDOW_MS - MINUTE;
    const retried = run(p, [executed(1)], retriedAt, first.state);
    expect(retried.state.classes['config-change'].lifetime.executed).toBe(1);
    expect(retried.state.seen).toEqual([[stableFingerprint('task/ops-agent/t1/executed'), retriedAt]]);
    const later = run(p, [executed(2)], retriedAt + SEEN_WINDOW_MS + MINUTE, retried.state);
    expect(later.state.seen.map(([id]) => id)).toEqual([stableFingerprint('task/ops-agent/t2/executed')]);
  });

  it('counts once a signal an activity keeps sending for an hour (its Slack call failing)', () => {
    const p = policyWithAudit('{ sampleRate: 0 }');
    let state = run(p, [executed(1)], NOW).state;
    for (let at = NOW + 30_000; at <= NOW + 60 * MINUTE; at += 30_000) {
      state = run(p, [executed(1), executed(2)], at, state).state;
    }
    expect(state.classes['config-change'].lifetime.executed).toBe(2);
  });

  it('keeps at most SEEN_MAX ids however fast events come', () => {
    const p = policyWithAudit('{ sampleRate: 0 }');
    const burst = Array.from({ length: SEEN_MAX + 50 }, (_, i) => executed(i));
    const r = run(p, burst, NOW);
    expect(r.state.seen).toHaveLength(SEEN_MAX);
    expect(r.state.classes['config-change'].lifetime.executed).toBe(SEEN_MAX + 50);
  });

  it('counts an audit verdict in the current window only when the audit was opened in it', () => {
    const p = policyWithAudit('{ sampleRate: 1, expireAfter: 2d }');
    const opened = run(p, [executed(1)], NOW);
    expect(opened.state.audits?.[0].status).toBe('open');
    // A defect demotes the class: a fresh evidence window starts after the audit was opened.
    const demoted = run(
      p,
      [
        {
          id: 'defect-1',
          event: {
            kind: 'defect',
            workflowId: 'task/ops-agent/t9',
            taskClass: 'config-change',
            by: 'U0SRE0001',
            text: 'broke it',
          },
        },
      ],
      NOW + MINUTE,
      opened.state,
    );
    const windowStart = demoted.state.classes['config-change'].evidence.sinceMs;
    expect(windowStart).toBeGreaterThan(NOW);
    const verdict = run(
      p,
      [
        {
          id: 'audit-1',
          event: {
            kind: 'audit',
            workflowId: 'task/ops-agent/t1',
            taskClass: 'config-change',
            by: 'U0SRE0001',
            agree: false,
          },
        },
      ],
      NOW + 2 * MINUTE,
      demoted.state,
    );
    const c = verdict.state.classes['config-change'];
    expect([c.evidence.auditSampled, c.evidence.auditDisagreed]).toEqual([0, 0]);
    expect([c.lifetime.auditSampled, c.lifetime.auditDisagreed]).toEqual([1, 1]);
    expect(verdict.state.audits?.[0].status).toBe('disagreed');
  });
});
