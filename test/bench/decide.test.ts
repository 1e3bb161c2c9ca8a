import {
  decideBenchInputs,
  decideMarkdown,
  decideTargets,
  decisionProfile,
  measureCases,
  type CaseFigures,
} from '../../bench/decide';
import type { LedgerSizeResult } from '../../bench/ledger-size';
import { canaryAgents } from '../../policy/canary';

describe("the decide bench's inputs with real agent state", () => {
  // Fewer tasks per agent than the bench runs: the same code, a faster test.
  const inputs = decideBenchInputs(300, 2_000);
  const { agents, current, next } = inputs;

  it('are the same on every run', () => {
    const again = decideBenchInputs(300, 2_000);
    expect(again.agents.states).toEqual(agents.states);
    expect(again.stateCases.map((c) => c.task)).toEqual(inputs.stateCases.map((c) => c.task));
  });

  it("come from the agents' ledgers: many rungs moved from the declared ones", () => {
    expect(agents.summary.events).toBeGreaterThan(120 * 300);
    expect(agents.summary.movedFromDeclared).toBeGreaterThan(50);
    expect(agents.summary.demotions).toBeGreaterThan(0);
    const differs = Object.entries(agents.states).filter(([id, s]) =>
      Object.entries(s.earnedRungs).some(([c, r]) => current.agents[id].rungs[c] !== r),
    );
    expect(differs.length).toBeGreaterThan(20);
  });

  it('carry the freezes, and decide canary agents with the next policy version', () => {
    expect(agents.states['agent-7'].killSwitchCap).toBe(1);
    expect(agents.states['agent-8'].killSwitchCap).toBeUndefined();
    expect(agents.canary).toEqual(canaryAgents(current));
    expect(agents.canary.length).toBeGreaterThan(10);
    for (const id of Object.keys(agents.states))
      expect(agents.policyOf[id].versionId).toBe(
        agents.canary.includes(id) ? next.versionId : current.versionId,
      );
    expect(next.versionId).not.toBe(current.versionId);
  });

  it("put today's usage in the last slots of the class's daily bounds", () => {
    for (const c of inputs.stateCases) {
      const perDay = c.policy.taskClasses[c.task.taskClass].bounds!.perDay;
      expect(c.usage.countToday).toBeGreaterThanOrEqual(perDay.count - 5);
      expect(c.usage.countToday).toBeLessThanOrEqual(perDay.count);
      expect(c.usage.costTodayUsd).toBeGreaterThanOrEqual(perDay.costUsd * 0.6);
    }
  });

  it('make the state show in the decisions: freezes and bounds bite, the rungs differ from no state', () => {
    const withState = decisionProfile(inputs.stateCases);
    expect(withState.rules['kill-switch-runtime']).toBeGreaterThan(0);
    expect(withState.rules.bounds).toBeGreaterThan(0);
    expect(withState.rungs.reduce((a, b) => a + b, 0)).toBe(inputs.stateCases.length);
    expect(withState.rungs).not.toEqual(decisionProfile(inputs.noStateCases).rungs);
  });

  it('measure throughput and latency of every round, for each set of cases', () => {
    const [none, f] = measureCases([inputs.noStateCases, inputs.stateCases], {
      warmupCalls: 1_000,
      throughputCalls: 5_000,
      latencyCalls: 1_000,
      rounds: 3,
    });
    expect(none.rungs).toEqual(decisionProfile(inputs.noStateCases).rungs);
    expect(f.rounds).toHaveLength(3);
    expect(f.decisionsPerSecond).toBeGreaterThan(0);
    expect(f.p99Us).toBeGreaterThanOrEqual(f.p50Us);
    expect([...f.rounds.map((r) => r.decisionsPerSecond)].sort((a, b) => a - b)[1]).toBe(
      f.decisionsPerSecond,
    );
  });
});

describe('the decide targets and table', () => {
  const figures = (decisionsPerSecond: number, p99Us: number): CaseFigures => ({
    decisionsPerSecond,
    decisionsPerCpuSecond: 2 * decisionsPerSecond,
    p50Us: 0.3,
    p99Us,
    rounds: [],
    rungs: [1, 0, 0, 0, 0, 0],
    rules: {},
  });
  const ledger = (viewBytes: number): LedgerSizeResult =>
    ({
      scenario: '10,000 tasks',
      sizes: { viewBytes },
      viewTargetBytes: 16_384,
      viewMet: viewBytes <= 16_384,
    }) as LedgerSizeResult;

  it('meets the issue 11 targets only at ≥ 2 M decisions/s and p99 ≤ 5 µs with state', () => {
    const met = decideTargets(figures(2_400_000, 2), figures(2_000_000, 5), [ledger(150)]);
    expect(met.every((t) => t.met)).toBe(true);
    const missed = decideTargets(figures(190_000, 2), figures(1_999_999, 5.1), [ledger(16_385)]);
    expect(missed.filter((t) => !t.met).map((t) => t.name)).toEqual([
      'no state: decisions/s',
      'real state: decisions/s',
      'real state: p99 µs',
      'ledgerView bytes, 10,000 tasks',
    ]);
  });

  it('prints both cases with the ratio to no state and met or MISSED', () => {
    const table = decideMarkdown(figures(2_000_000, 2), figures(1_000_000, 3));
    expect(table).toContain(
      '| no agent state (declared rungs) | 2,000,000 | 1.00 | 4,000,000 | 0.30 µs | 2.00 µs |',
    );
    expect(table).toContain(
      '| real agent state | 1,000,000 | 0.50 | 2,000,000 | 0.30 µs | 3.00 µs | ≥ 2,000,000/s, p99 ≤ 5 µs | MISSED |',
    );
  });
});
