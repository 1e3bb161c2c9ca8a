import { emptyEvidence, newLedger, type LedgerState } from '../../policy/ledger';
import type { IdentifiedEvent } from '../../policy/ledger-reducer';
import {
  autonomousByClass,
  dayFields,
  dayRates,
  epochDay,
  noteDay,
  SERIES_DAYS,
  type DailySeries,
} from '../../policy/ledger-series';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-26T10:00:00Z');

/** A ledger with class `ops` at `rung` and these lifetime counts. */
function ledgerWith(
  rung: 0 | 1 | 2 | 3 | 4 | 5,
  lifetime: Partial<LedgerState['classes'][string]['lifetime']>,
): LedgerState {
  const state = newLedger('a1');
  const { sinceMs: _since, ...zero } = emptyEvidence(0);
  state.classes.ops = { rung, evidence: emptyEvidence(0), lifetime: { ...zero, ...lifetime } };
  return state;
}

describe("the ledger's daily series", () => {
  it("adds the growth of each counter to the day's record, with the rung the class ends at", () => {
    const series: DailySeries = {};
    noteDay(series, newLedger('a1'), ledgerWith(2, { decided: 2, approved: 2, actions: 2 }), {}, T0);
    noteDay(
      series,
      ledgerWith(2, { decided: 2, approved: 2, actions: 2 }),
      ledgerWith(2, { decided: 3, approved: 2, actions: 3, interventions: 1 }),
      {},
      T0 + 1000,
    );
    expect(series.ops).toHaveLength(1);
    const day = dayFields(series.ops[0]);
    expect(day).toMatchObject({ day: epochDay(T0), rung: 2, autonomous: 0 });
    expect(day.counts).toMatchObject({ decided: 3, approved: 2, actions: 3, interventions: 1 });
    expect(dayRates(series.ops[0])).toEqual({
      approvalRate: 2 / 3,
      interventionRate: 1 / 3,
      defectEscape: null,
      auditDisagreement: null,
      autonomousShare: 0,
    });
  });

  it('starts a new record on a new UTC day and records a rung change with no counts', () => {
    const series: DailySeries = {};
    const a = ledgerWith(3, { executed: 1, actions: 1 });
    noteDay(series, newLedger('a1'), a, { ops: 1 }, T0);
    noteDay(series, a, ledgerWith(2, { executed: 1, actions: 1 }), {}, T0 + DAY);
    expect(series.ops.map((r) => dayFields(r).rung)).toEqual([3, 2]);
    expect(dayRates(series.ops[0]).autonomousShare).toBe(1);
    // Nothing changed: no record.
    noteDay(series, a, a, {}, T0 + 2 * DAY);
    expect(series.ops).toHaveLength(2);
  });

  it(`keeps ${SERIES_DAYS} days at most, whatever the ledger lives through`, () => {
    const series: DailySeries = {};
    let before = newLedger('a1');
    for (let d = 0; d < SERIES_DAYS * 2; d++) {
      const after = ledgerWith(3, { executed: d + 1, actions: d + 1 });
      noteDay(series, before, after, { ops: 1 }, T0 + d * DAY);
      before = after;
    }
    expect(series.ops).toHaveLength(SERIES_DAYS);
    expect(dayFields(series.ops[0]).day).toBe(epochDay(T0) + SERIES_DAYS);
    expect(JSON.stringify(series).length).toBeLessThan(SERIES_DAYS * 60);
  });

  it('counts autonomous executions: executed outcomes at rung 3 and above only', () => {
    const outcome = (outcome: 'executed' | 'approved', rung: number, taskClass = 'ops'): IdentifiedEvent => ({
      id: `${outcome}-${rung}-${taskClass}`,
      event: { kind: 'outcome', outcome, workflowId: 'w', taskClass, rung },
    });
    expect(
      autonomousByClass([
        outcome('executed', 3),
        outcome('executed', 5),
        outcome('executed', 2),
        outcome('approved', 3),
        outcome('executed', 4, 'db'),
      ]),
    ).toEqual({ ops: 2, db: 1 });
  });

  it('reads a record written with fewer counters as zeros', () => {
    expect(dayFields([epochDay(T0), 2]).counts.decided).toBe(0);
    expect(dayRates([epochDay(T0), 2])).toEqual({
      approvalRate: null,
      interventionRate: null,
      defectEscape: null,
      auditDisagreement: null,
      autonomousShare: null,
    });
  });
});
