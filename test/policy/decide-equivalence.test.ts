import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { decideBenchInputs, TASKS_PER_AGENT, type DecideCase } from '../../bench/decide';
import { decide, type AgentState, type DecisionInput, type Usage } from '../../policy/decide';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import type { Rung } from '../../policy/schema';
import { examplePolicyText } from '../helpers/example-policy';
import { decide as decideBefore } from './decide-reference';

// decide() was optimised for `npm run bench:decide` (per-class reasons built once, an index of
// agents and classes, a hand-written URL host scan): it must give exactly the decisions it gave
// before, kept in ./decide-reference.ts, on the bench's own inputs and on generated ones.

/** The cases where the two disagree, with both answers (the first few). */
function disagreements(cases: readonly DecideCase[]): unknown[] {
  const out: unknown[] = [];
  for (const c of cases) {
    const now = decide(c.policy, c.state, c.task, c.usage);
    const before = decideBefore(c.policy, c.state, c.task, c.usage);
    if (!isDeepStrictEqual(now, before)) out.push({ task: c.task, now, before });
    if (out.length >= 3) break;
  }
  return out;
}

describe('decide() gives the same decisions as before its optimisation', () => {
  it("on the quick bench's inputs, without and with real agent state", () => {
    const inputs = decideBenchInputs(TASKS_PER_AGENT.quick);
    // The state case exercises what the optimisation touched: caps, pins, freezes, class caps, bounds.
    const rules = new Set(
      inputs.stateCases.flatMap((c) => decide(c.policy, c.state, c.task, c.usage).reasons.map((r) => r.rule)),
    );
    for (const rule of ['class-cap', 'bounds', 'kill-switch-runtime', 'class-rollback', 'requested-lower'])
      expect(rules).toContain(rule);
    expect([...rules].some((r) => r.startsWith('pin:'))).toBe(true);
    expect(disagreements(inputs.noStateCases)).toEqual([]);
    expect(disagreements(inputs.stateCases)).toEqual([]);
  });

  const policy = ((): LoadedPolicy => {
    const r = parsePolicy(examplePolicyText(), 'examples/policy.yaml');
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    return r.policy;
  })();
  const frozenPolicy: LoadedPolicy = {
    ...policy,
    killSwitch: { engaged: true, cap: 1, agents: ['ops-agent'] },
  };
  const rung = fc.integer({ min: 0, max: 5 }).map((r) => r as Rung);
  const names = ['config-change', 'deploy', 'customer-email', 'db-migration', 'constructor', '__proto__'];
  const url = fc.oneof(
    fc.webUrl({ withQueryParameters: true, withFragments: true }),
    fc.constantFrom(
      'http://127.0.0.1:4100/reload',
      'HTTP://Deploy.Internal:0080/x',
      'https://API.internal:443',
      'https://api.internal:8443?x',
      'http://api.internal:80#top',
      'http://user@127.0.0.1:4100/',
      'http://[::1]:4100/',
      'http://x:',
      'http://x:8a/',
      'http://x_y/',
      'ftp://127.0.0.1:4100/',
      'http:/127.0.0.1',
      'not a url',
      '',
    ),
    fc.string(),
  );
  const task: fc.Arbitrary<DecisionInput> = fc.record({
    agent: fc.record({
      id: fc.constantFrom('ops-agent', 'release-agent', 'support-agent', 'toString'),
      model: fc.constant('m'),
      promptVersion: fc.constant('p'),
    }),
    taskClass: fc.constantFrom(...names),
    environment: fc.constantFrom('dev', 'staging', 'production'),
    title: fc.constant('a task'),
    resource: fc.option(fc.constant('orders-db'), { nil: undefined }),
    steps: fc.array(
      fc.record({
        action: fc.constantFrom('config.set', 'file.write', 'http.request', 'shell.exec', 'k8s.scale'),
        params: fc.record({ url: fc.option(url, { nil: undefined }) }),
        costUsd: fc.option(fc.double({ min: 0, max: 8, noNaN: true }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    requestedRung: fc.option(fc.record({ rung, reason: fc.constant('unsure') }), { nil: undefined }),
    requests: fc.option(
      fc.array(
        fc.record({
          step: fc.nat(2),
          field: fc.constantFrom('params.url', 'params.undo.url', 'params.healthUrl', 'params.reloadUrl'),
          method: fc.constantFrom('GET', 'POST', 'DELETE'),
          url: fc.oneof(
            url,
            fc.constantFrom(
              'http://127.0.0.1:4100/deploys',
              'http://127.0.0.1:4100/deploys/7',
              'http://127.0.0.1:4100/health',
              'http://127.0.0.1:4100/reload',
              'http://127.0.0.1:4100/Deploys',
              'http://127.0.0.1:4100/deploys/..%2Fadmin',
            ),
          ),
        }),
        { maxLength: 4 },
      ),
      { nil: undefined },
    ),
  });
  const state: fc.Arbitrary<AgentState | null> = fc.option(
    fc.record(
      {
        earnedRungs: fc.dictionary(fc.constantFrom(...names), rung),
        killSwitchCap: rung,
        classCaps: fc.dictionary(fc.constantFrom(...names), rung),
      },
      { requiredKeys: ['earnedRungs'] },
    ),
    { nil: null },
  );
  const usage: fc.Arbitrary<Usage> = fc.record({
    countToday: fc.integer({ min: 0, max: 25 }),
    costTodayUsd: fc.double({ min: 0, max: 15, noNaN: true }),
  });

  it('on generated tasks, agent states and URLs of the example policy (with and without a kill switch)', () => {
    fc.assert(
      fc.property(fc.boolean(), state, task, usage, (frozen, s, t, u) => {
        const p = frozen ? frozenPolicy : policy;
        expect(decide(p, s, t, u)).toStrictEqual(decideBefore(p, s, t, u));
      }),
      { numRuns: 5_000 },
    );
  });

  it('finds agents and classes of a copied policy, and names a class shared under two names by each', () => {
    const agents = { ...policy.agents, 'new-agent': { ...policy.agents['support-agent'] } };
    const taskClasses = { ...policy.taskClasses, 'email-copy': policy.taskClasses['customer-email'] };
    const copy: LoadedPolicy = { ...policy, agents, taskClasses };
    const earned: AgentState = { earnedRungs: { 'customer-email': 5, 'email-copy': 5 } };
    const noUsage = { countToday: 0, costTodayUsd: 0 };
    const t = (taskClass: string): DecisionInput => ({
      agent: { id: 'new-agent', model: 'm', promptVersion: 'p' },
      taskClass,
      environment: 'dev',
      title: 't',
      steps: [{ action: 'http.request', params: { url: 'https://mail.internal/send' } }],
    });
    expect(decide(policy, earned, t('customer-email'), noUsage).refused?.rule).toBe('unknown-agent');
    for (const cls of ['customer-email', 'email-copy', 'customer-email']) {
      const now = decide(copy, earned, t(cls), noUsage);
      expect(now).toStrictEqual(decideBefore(copy, earned, t(cls), noUsage));
      // The class cap (1) and the missing bounds, rollback and report each name the class asked for.
      expect(now.reasons.map((r) => r.rule)).toEqual(['class-cap', 'no-bounds', 'no-rollback', 'no-report']);
      for (const r of now.reasons) expect(r.message).toContain(`task class "${cls}"`);
    }
  });
});
