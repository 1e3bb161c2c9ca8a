import { ledgerViewOf, newLedger, nextAuditExpiryMs, type LedgerState } from '../../policy/ledger';
import { reduceLedger, type IdentifiedEvent } from '../../policy/ledger-reducer';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import { examplePolicyText } from '../helpers/example-policy';
import { executedEvent as executed, ledgerContext, policyWithAudit } from '../helpers/ledger-context';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

function run(policy: LoadedPolicy, events: IdentifiedEvent[], nowMs: number, state?: LedgerState) {
  return reduceLedger(state ?? newLedger('ops-agent'), events, ledgerContext(policy, nowMs));
}

describe('audits expire and stay bounded', () => {
  it('rejects an unknown unanswered rule, naming the field', () => {
    const r = parsePolicy(
      examplePolicyText().replace(/^audit: .*$/m, 'audit: { sampleRate: 1, unanswered: maybe }'),
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n')).toMatch(
        /audit\.unanswered: expected agree, disagree or not-counted/,
      );
  });

  it('closes an unanswered audit after the policy term and counts it as the policy says', () => {
    for (const [rule, sampled, disagreed] of [
      ['disagree', 1, 1],
      ['agree', 1, 0],
      ['not-counted', 0, 0],
    ] as const) {
      const policy = policyWithAudit(`{ sampleRate: 1, expireAfter: 2d, unanswered: ${rule} }`);
      const opened = run(policy, [executed(1)], NOW);
      expect(opened.effects.map((e) => e.kind)).toContain('audit-requested');
      expect(nextAuditExpiryMs(opened.state)).toBe(NOW + 2 * DAY);

      const early = run(policy, [], NOW + 2 * DAY - 1, opened.state);
      expect(early.state.audits?.[0].status).toBe('open');
      expect(early.effects).toEqual([]);

      const due = run(policy, [], NOW + 2 * DAY, opened.state);
      expect(due.state.audits?.[0]).toMatchObject({ status: 'expired' });
      expect(due.state.audits?.[0].reason).toContain(`nobody reviewed it within 2d; counted as ${rule}`);
      expect(due.effects.map((e) => e.kind)).toEqual(['audit-expired']);
      const evidence = due.state.classes['config-change'].evidence;
      expect([evidence.auditSampled, evidence.auditDisagreed]).toEqual([sampled, disagreed]);
      expect(nextAuditExpiryMs(due.state)).toBeUndefined();
    }
  });

  it('keeps at most maxOpen open audits and a few decided ones, however many tasks run', () => {
    const policy = policyWithAudit('{ sampleRate: 1, maxOpen: 5 }');
    let state = newLedger('ops-agent');
    for (let batch = 0; batch < 100; batch++) {
      const events = Array.from({ length: 100 }, (_, i) => executed(batch * 100 + i));
      // A day apart: older audits expire while new ones open.
      state = run(policy, events, NOW + batch * DAY, state).state;
    }
    const audits = state.audits ?? [];
    expect(audits.filter((a) => a.status === 'open').length).toBeLessThanOrEqual(5);
    expect(audits.length).toBeLessThanOrEqual(25);
    // The view a decision reads stays small after 10,000 tasks.
    expect(Buffer.byteLength(JSON.stringify(ledgerViewOf(state)))).toBeLessThan(16 * 1024);
    expect(Buffer.byteLength(JSON.stringify(state))).toBeLessThan(200 * 1024);
  });
});
