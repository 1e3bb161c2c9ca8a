import { agentStateFrom } from '../../policy/agent-state';
import { parsePolicy } from '../../policy/loader';
import { examplePolicyText } from '../helpers/example-policy';

const parsed = parsePolicy(examplePolicyText());
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const policy = parsed.policy;
const noFreeze = { all: null, agents: {}, classes: {} };

describe('agentStateFrom', () => {
  it('adds nothing to the policy when this process keeps no ledgers and nothing is frozen', () => {
    expect(agentStateFrom(policy, 'ops-agent', undefined, noFreeze)).toBeNull();
    expect(agentStateFrom(policy, 'ops-agent', undefined, null)).toBeNull();
  });

  it('still applies a freeze or a class cap without ledgers, on the declared rungs', () => {
    const frozen = {
      ...noFreeze,
      agents: { 'ops-agent': { cap: 1, by: 'U0ADMIN01', reason: 'x', at: 't' } },
    };
    const state = agentStateFrom(policy, 'ops-agent', undefined, frozen)!;
    expect(state.killSwitchCap).toBe(1);
    expect(state.earnedRungs).toEqual(policy.agents['ops-agent'].rungs);
  });

  it('takes earned rungs from the ledger view over the declared ones', () => {
    const view = {
      agentId: 'ops-agent',
      model: null,
      promptVersion: null,
      rungs: { 'config-change': 0 as const },
      changes: 1,
    };
    expect(agentStateFrom(policy, 'ops-agent', view, null)!.earnedRungs['config-change']).toBe(0);
  });
});
