import { inCanarySubset } from '../../policy/canary';
import { inAuditSample } from '../../policy/ledger';
import { stableShare } from '../../policy/stable-hash';

describe('stable shares for canary subsets and audit samples', () => {
  it('puts an id in the same place every time, within [0, 1)', () => {
    expect(stableShare('ops-agent')).toBe(stableShare('ops-agent'));
    for (const id of ['', 'a', 'task/ops-agent/t-1']) {
      expect(stableShare(id)).toBeGreaterThanOrEqual(0);
      expect(stableShare(id)).toBeLessThan(1);
    }
  });

  it('selects close to the asked share of many ids', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `agent-${i}`);
    const chosen = ids.filter((id) => inCanarySubset({ share: 0.3 }, id)).length / ids.length;
    expect(chosen).toBeGreaterThan(0.28);
    expect(chosen).toBeLessThan(0.32);
    const sampled = ids.filter((id) => inAuditSample(`task/${id}`, 0.2)).length / ids.length;
    expect(sampled).toBeGreaterThan(0.18);
    expect(sampled).toBeLessThan(0.22);
  });

  it('takes named agents whatever the share, and nobody at share 0', () => {
    expect(inCanarySubset({ agents: ['ops-agent'] }, 'ops-agent')).toBe(true);
    expect(inCanarySubset({ agents: ['ops-agent'] }, 'release-agent')).toBe(false);
    expect(inCanarySubset({ share: 0 }, 'ops-agent')).toBe(false);
    expect(inAuditSample('task/x/y', 0)).toBe(false);
    expect(inAuditSample('task/x/y', 1)).toBe(true);
  });
});
