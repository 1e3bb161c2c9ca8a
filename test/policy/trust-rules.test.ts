import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import {
  demotionFor,
  promotionVerdict,
  wilsonBounds,
  type ClassEvidence,
  type ClassInfrastructure,
} from '../../policy/trust-rules';
import { examplePolicyText } from '../helpers/example-policy';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;
const text = examplePolicyText();
function policy(edit: (t: string) => string = (t) => t): LoadedPolicy {
  const r = parsePolicy(edit(text));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}
const example = policy();

// 300 clean approvals over 15 days at rung 2 in config-change (to3: 14d, 40 samples, ≥ 95%, ≤ 2%
// defects). Rates are judged at 99% confidence, so this is about what a ≤ 2% defect rate takes.
const clean: ClassEvidence = {
  sinceMs: NOW - 15 * DAY,
  decided: 300,
  approved: 300,
  edited: 0,
  actions: 300,
  interventions: 0,
  executed: 300,
  defects: 0,
  auditSampled: 0,
  auditDisagreed: 0,
  approvalsAsked: 300,
};
const ready: ClassInfrastructure = {
  boundsDefined: true,
  compensationForEveryAction: true,
  rollbackDrillPassed: true,
  reportWithReadSla: true,
};
const failed = (v: ReturnType<typeof promotionVerdict>): string[] =>
  v.criteria.filter((c) => !c.ok).map((c) => c.criterion);
const detail = (v: ReturnType<typeof promotionVerdict>, criterion: string): string | undefined =>
  v.criteria.find((c) => c.criterion === criterion)?.detail;

describe('wilsonBounds', () => {
  it('brackets the observed rate and narrows as samples grow', () => {
    expect(wilsonBounds(0, 0)).toEqual({ lower: 0, upper: 1 });
    const small = wilsonBounds(40, 40);
    const large = wilsonBounds(400, 400);
    expect(small.lower).toBeCloseTo(0.8808, 3);
    expect(large.lower).toBeCloseTo(0.9866, 3);
    expect(large.upper).toBeCloseTo(1, 9);
    const mid = wilsonBounds(90, 100);
    expect(mid.lower).toBeLessThan(0.9);
    expect(mid.upper).toBeGreaterThan(0.9);
  });
});

describe('promotionVerdict', () => {
  it('proposes rung 3 after enough clean operation, with the numbers behind each criterion', () => {
    const v = promotionVerdict(example, 'config-change', 2, clean, ready, NOW);
    expect(failed(v)).toEqual([]);
    expect(v).toMatchObject({ eligible: true, from: 2, to: 3 });
    expect(detail(v, 'approval-rate')).toBe(
      '100.0% clean approvals (300 of 300; at least 98.2% at 99% confidence), needs ≥ 95.0%',
    );
    expect(detail(v, 'defect-escape')).toBe(
      '0.0% defects escaped (0 of 300; at most 1.8% at 99% confidence), allows ≤ 2.0%',
    );
    expect(detail(v, 'audit-disagreement')).toBe('no audits sampled yet');
    expect(detail(v, 'cost')).toBe(
      'being wrong at rung 3 ≈ $1062.89 (1.8% × 300 × $200) vs friction now $3000.00 (300 approvals × 5 min × $2)',
    );
  });

  it('does not promote on 40 clean approvals alone: they do not show a 2% defect rate with confidence', () => {
    const forty = { ...clean, decided: 40, approved: 40, actions: 40, executed: 40, approvalsAsked: 40 };
    expect(failed(promotionVerdict(example, 'config-change', 2, forty, ready, NOW))).toEqual([
      'approval-rate',
      'intervention-rate',
      'defect-escape',
      'cost',
    ]);
  });

  it.each([
    ['enough samples in too short a period', { sinceMs: NOW - 3 * DAY }, ['clean-period']],
    [
      'a long period with too few samples',
      { actions: 30, decided: 30, approved: 30, executed: 30, approvalsAsked: 30 },
      ['samples', 'approval-rate', 'intervention-rate', 'defect-escape', 'cost'],
    ],
    ['edited approvals (not clean)', { edited: 15 }, ['approval-rate', 'cost']],
    ['interventions above the threshold', { interventions: 15 }, ['intervention-rate']],
    ['defects escaping', { defects: 6 }, ['defect-escape']],
    ['audit disagreement above 5%', { auditSampled: 100, auditDisagreed: 6 }, ['audit-disagreement', 'cost']],
  ])('refuses %s', (_what, change, expected) => {
    expect(
      failed(promotionVerdict(example, 'config-change', 2, { ...clean, ...change }, ready, NOW)),
    ).toEqual(expected);
  });

  it('judges autonomous rungs by defects and audits, and requires the infrastructure of the next rung', () => {
    const autonomous: ClassEvidence = {
      ...clean,
      sinceMs: NOW - 30 * DAY,
      decided: 0,
      approved: 0,
      approvalsAsked: 0,
      actions: 600,
      executed: 600,
      auditSampled: 150,
    };
    const v = promotionVerdict(
      example,
      'config-change',
      3,
      autonomous,
      { ...ready, rollbackDrillPassed: false },
      NOW,
    );
    expect(failed(v)).toEqual(['infrastructure']);
    expect(detail(v, 'infrastructure')).toBe('rung 4 needs a passed rollback drill');
    expect(detail(v, 'approval-rate')).toBe(
      'no approvals asked at rung 3 (autonomous): judged by defects, audits and interventions',
    );
    expect(detail(v, 'cost')).toBe(
      'not applicable into rung 4: it adds safety (rollback, reports), it removes no approvals',
    );
    expect(promotionVerdict(example, 'config-change', 3, autonomous, ready, NOW).eligible).toBe(true);
  });

  it('marks a criterion passed only where its words say it is met', () => {
    // At rung 3, fallbacks people answered still show their rate, but it is not a condition.
    const fallbacks: ClassEvidence = { ...clean, decided: 10, approved: 5, actions: 600, executed: 600 };
    const v = promotionVerdict(example, 'config-change', 3, fallbacks, ready, NOW);
    const approval = v.criteria.find((c) => c.criterion === 'approval-rate')!;
    expect(approval.ok).toBe(true);
    expect(approval.detail).toMatch(
      /^not a condition from rung 3 .*50\.0% clean approvals of the 10 fallbacks/,
    );
    // Without any action the intervention rate says nothing, and says so.
    const none = promotionVerdict(
      example,
      'config-change',
      2,
      { ...clean, actions: 0, decided: 0 },
      ready,
      NOW,
    );
    expect(detail(none, 'intervention-rate')).toBe('no actions yet at this rung');
    expect(none.criteria.find((c) => c.criterion === 'intervention-rate')!.ok).toBe(true);
  });

  it('never promotes above the class cap', () => {
    expect(failed(promotionVerdict(example, 'db-migration', 2, clean, ready, NOW))).toContain('cap');
  });

  it('says promotion is impossible without thresholds for the next rung', () => {
    const without = policy((t) => t.replace(/\n {2}to3:\n[\s\S]*?costPerMinuteUsd: 2\n/, '\n'));
    const v = promotionVerdict(without, 'config-change', 2, clean, ready, NOW);
    expect(v.eligible).toBe(false);
    expect(v.criteria).toEqual([
      {
        criterion: 'thresholds',
        ok: false,
        detail: expect.stringContaining(
          'sets no thresholds for promotion into rung 3: promotion is impossible',
        ),
      },
    ]);
  });
});

describe('demotionFor', () => {
  it.each([
    [5, { kind: 'incident' } as const, 2],
    [4, { kind: 'defect' } as const, 2],
    [1, { kind: 'incident' } as const, null],
    [5, { kind: 'sla-breach' } as const, 4],
    [4, { kind: 'rollback-failed' } as const, 3],
    [0, { kind: 'bounds-missed' } as const, null],
    [5, { kind: 'environment-change', what: 'model', from: 'm1', to: 'm2' } as const, 2],
  ])('from rung %i, %j demotes to %p', (current, event, to) => {
    const result = demotionFor(example, current as 0 | 1 | 2 | 3 | 4 | 5, event);
    expect(result?.to ?? null).toBe(to);
    if (result) expect(result.cause.length).toBeGreaterThan(0);
  });
});
