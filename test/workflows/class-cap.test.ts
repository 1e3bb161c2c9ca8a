import { isClassCap } from '../../workflows/messages';

describe('isClassCap (the unproven capClass signal)', () => {
  const good = { taskClass: 'config-change', cap: 1, by: 'ledger:ops-agent', reason: 'rollback rate' };

  it('takes a class rollback trigger as the ledger judge sends it', () => {
    expect(isClassCap(good)).toBe(true);
    expect(isClassCap({ ...good, cap: 0 })).toBe(true);
  });

  it('drops a cap that is not a rung: stored, it would keep every real trigger from landing', () => {
    for (const cap of [undefined, '1', 1.5, -1, 6, Number.NaN, null])
      expect(isClassCap({ ...good, cap })).toBe(false);
  });

  it('drops a class name no policy can declare, __proto__ included, and a missing sender or reason', () => {
    for (const taskClass of ['__proto__', 'constructor ', 'Config', '', 42])
      expect(isClassCap({ ...good, taskClass })).toBe(false);
    expect(isClassCap({ taskClass: 'ops', cap: 1 })).toBe(false);
    expect(isClassCap(null)).toBe(false);
    expect(isClassCap('ops')).toBe(false);
  });
});
