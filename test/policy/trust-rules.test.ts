import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import {
  demotionFor,
  promotionVerdict,
  type ClassEvidence,
  type ClassInfrastructure,
} from '../../policy/trust-rules';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;
const text = readFileSync(join(__dirname, '..', '..', 'examples', 'policy.yaml'), 'utf8');
function policy(edit: (t: string) => string = (t) => t): LoadedPolicy {
  const r = parsePolicy(edit(text));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}
const example = policy();

// 40 clean approvals over 15 days at rung 2 in config-change (to3: 14d, 40 samples, ≥ 95%).
const clean: ClassEvidence = {
  sinceMs: NOW - 15 * DAY,
  decided: 40,
  approved: 40,
  edited: 0,
  actions: 40,
  interventions: 0,
  executed: 40,
  defects: 0,
  auditSampled: 8,
  auditDisagreed: 0,
  approvalsAsked: 40,
};
const ready: ClassInfrastructure = {
  boundsDefined: true,
  compensationForEveryAction: true,
  rollbackDrillPassed: true,
  reportWithReadSla: true,
};
const failed = (v: ReturnType<typeof promotionVerdict>): string[] =>
  v.criteria.filter((c) => !c.ok).map((c) => c.criterion);

describe('promotionVerdict', () => {
  it('proposes rung 3 after enough clean operation, with the numbers behind each criterion', () => {
    const v = promotionVerdict(example, 'config-change', 2, clean, ready, NOW);
    expect(v).toMatchObject({ eligible: true, from: 2, to: 3 });
    expect(v.criteria.find((c) => c.criterion === 'approval-rate')?.detail).toBe(
      '100.0% clean approvals (40 of 40), needs ≥ 95.0%',
    );
    expect(v.criteria.find((c) => c.criterion === 'cost')?.detail).toBe(
      'being wrong at rung 3 ≈ $0.00 (0.0% × 40 × $200) vs friction now $400.00 (40 approvals × 5 min × $2)',
    );
  });

  it.each([
    ['enough samples in too short a period', { sinceMs: NOW - 3 * DAY }, ['clean-period']],
    [
      'a long period with too few samples',
      { actions: 12, decided: 12, approved: 12, executed: 12, approvalsAsked: 12 },
      ['samples'],
    ],
    ['edited approvals (not clean)', { edited: 5 }, ['approval-rate', 'cost']],
    ['interventions above the threshold', { interventions: 4 }, ['intervention-rate']],
    ['defects escaping', { defects: 2 }, ['defect-escape', 'cost']],
    ['audit disagreement above 5%', { auditDisagreed: 1 }, ['audit-disagreement', 'cost']],
  ])('refuses %s', (_what, change, expected) => {
    expect(
      failed(promotionVerdict(example, 'config-change', 2, { ...clean, ...change }, ready, NOW)),
    ).toEqual(expected);
  });

  it('requires the infrastructure of the next rung', () => {
    const v = promotionVerdict(
      example,
      'config-change',
      3,
      {
        ...clean,
        sinceMs: NOW - 30 * DAY,
        actions: 60,
        decided: 60,
        approved: 60,
        executed: 60,
        approvalsAsked: 60,
      },
      { ...ready, rollbackDrillPassed: false },
      NOW,
    );
    expect(failed(v)).toEqual(['infrastructure']);
    expect(v.criteria.find((c) => c.criterion === 'infrastructure')?.detail).toBe(
      'rung 4 needs a passed rollback drill',
    );
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
