import { join } from 'node:path';
import { DEFAULTS, falsePromotions, formatSimulation, simulate } from '../../scripts/simulate';
import { loadPolicyFile } from '../../policy/loader';

// A small run of the calibration simulation (npm run simulate runs the full one): the ledger's
// rules promote a flawless agent and never one that is wrong a quarter of the time.
describe('calibration simulation', () => {
  it('promotes good agents, never bad ones, and prints its table', () => {
    const result = simulate({ ...DEFAULTS, agentsPerRate: 2, days: 40, errorRates: [0, 0.25] });
    const good = result.agents.filter((a) => a.trueError === 0);
    const bad = result.agents.filter((a) => a.trueError === 0.25);
    expect(good.every((a) => a.promotions.some((p) => p.from === 2 && p.to === 3))).toBe(true);
    expect(bad.every((a) => a.promotions.length === 0)).toBe(true);
    expect(falsePromotions(result)).toEqual([]);
    const table = formatSimulation(result);
    expect(table).toContain('False promotions: 0.');
    expect(table).toMatch(/\n\s+0\.0%\s+2\s+2\s/);
  });

  it("with a rubber-stamping approver, promotes agents falsely without the policy's watch and never with it", () => {
    const watch = loadPolicyFile(join(__dirname, '..', '..', 'examples', 'policy.yaml')).policy.approverWatch;
    expect(watch).toBeDefined();
    const stamped = {
      ...DEFAULTS,
      agentsPerRate: 5,
      seed: 7,
      errorRates: [0, 0.06, 0.08],
      rubberStampShare: 0.8,
      defectReported: 0.3,
    };
    // The rubber-stamper answers 80% of the questions and approves all; few defects are noticed.
    const unguarded = simulate({ ...stamped, approverWatch: null });
    expect(falsePromotions(unguarded).length).toBeGreaterThan(0);
    const guarded = simulate({ ...stamped, approverWatch: watch! });
    expect(falsePromotions(guarded)).toEqual([]);
    // The watch does not stall good agents: the flawless ones still reach rung 3.
    const good = guarded.agents.filter((a) => a.trueError === 0);
    expect(good.every((a) => a.promotions.some((p) => p.to === 3))).toBe(true);
    expect(formatSimulation(guarded)).toMatch(/Rubber-stamp watch: on \(the policy's approverWatch/);
  });
});
