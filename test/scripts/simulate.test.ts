import { DEFAULTS, falsePromotions, formatSimulation, simulate } from '../../scripts/simulate';

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
});
