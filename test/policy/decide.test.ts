import { hostListed } from '../../policy/hosts';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  decide as decideNamed,
  type AgentState,
  type Decision,
  type DecisionInput,
  type Usage,
} from '../../policy/decide';
import { stepRequests } from '../../policy/request-bounds';
import { createActionRegistry } from '../../activities/actions/registry';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import { policySchema, type Rung } from '../../policy/schema';
import { taskRequestSchema, type TaskRequest } from '../../policy/task';

const ROOT = join(__dirname, '..', '..');
const registry = createActionRegistry();

/** `decide()` as the worker calls it: with the requests the steps send, named by the action handlers. */
const decide = (
  policy: LoadedPolicy,
  state: AgentState | null,
  task: DecisionInput,
  usage: Usage,
): Decision =>
  decideNamed(
    policy,
    state,
    { ...task, requests: task.requests ?? stepRequests(registry, task.steps) },
    usage,
  );
const NO_USAGE: Usage = { countToday: 0, costTodayUsd: 0 };

function examplePolicy(edit?: (text: string) => string): LoadedPolicy {
  const text = readFileSync(join(ROOT, 'examples', 'policy.yaml'), 'utf8');
  const result = parsePolicy(edit ? edit(text) : text, 'examples/policy.yaml');
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

function exampleTask(name: string): TaskRequest {
  return taskRequestSchema.parse(
    JSON.parse(readFileSync(join(ROOT, 'examples', 'tasks', `${name}.json`), 'utf8')),
  );
}

const rules = (d: Decision): string[] => d.reasons.map((r) => r.rule);

describe('decide on the example policy and tasks', () => {
  const policy = examplePolicy();

  it.each([
    ['rung0-suggest', 0, []],
    ['rung1-draft', 1, []],
    ['rung2-confirm', 2, []],
    ['rung3-bounded', 3, []],
    ['rung4-rollback', 4, []],
    ['rung5-report', 5, []],
    ['fallback-out-of-bounds', 2, ['bounds']],
    ['pinned-production-deploy', 2, ['pin:production-deploys']],
    ['self-calibration-lower', 2, ['requested-lower']],
    ['rollback-bad-config', 4, ['requested-lower']],
  ])('%s runs at rung %i with reasons %j', (name, rung, expectedRules) => {
    const decision = decide(policy, null, exampleTask(name), NO_USAGE);
    expect(decision.refused).toBeNull();
    expect(decision.effectiveRung).toBe(rung);
    expect(rules(decision)).toEqual(expectedRules);
    expect(decision.policyVersion).toBe(policy.versionId);
  });

  it('covers every example task file with a row above', () => {
    const files = readdirSync(join(ROOT, 'examples', 'tasks')).map((f) => f.replace(/\.json$/, ''));
    expect(files.sort()).toEqual(
      [
        'fallback-out-of-bounds',
        'pinned-production-deploy',
        'rung0-suggest',
        'rung1-draft',
        'rung2-confirm',
        'rung3-bounded',
        'rung4-rollback',
        'rollback-bad-config',
        'rung5-report',
        'self-calibration-lower',
      ].sort(),
    );
  });

  it('carries what the workflow needs: approvers, two-person rule, typed confirmation, timers', () => {
    const decision = decide(policy, null, exampleTask('rung2-confirm'), NO_USAGE);
    expect(decision).toMatchObject({
      approvers: ['U0DBA0001', 'U0DBA0002'],
      twoPersonRule: true,
      typedConfirmation: { required: true, expected: 'orders-db' },
      channel: '#db',
      approval: { remindAfterMs: 30 * 60_000, expireAfterMs: 8 * 3_600_000 },
      rollback: null,
      report: null,
    });
    const report = decide(policy, null, exampleTask('rung5-report'), NO_USAGE);
    expect(report.report).toEqual({
      mode: 'each',
      periodMs: null,
      readSlaMs: 4 * 3_600_000,
      channel: '#ops',
    });
    expect(report.escalation.map((e) => e.notify)).toEqual(['owner', 'channel', 'U0SRE0001']);
  });

  it('falls back to confirmation when the daily count or cost would be exceeded, naming the bound', () => {
    const task = exampleTask('rung5-report'); // costs $0.50; bounds allow 20 tasks and $10 a day
    const byCount = decide(policy, null, task, { countToday: 20, costTodayUsd: 0 });
    expect(byCount.effectiveRung).toBe(2);
    expect(byCount.bounds.violations).toEqual([
      { bound: 'perDay.count', message: '20 of 20 autonomous tasks already used today' },
    ]);
    const byCost = decide(policy, null, task, { countToday: 0, costTodayUsd: 9.75 });
    expect(byCost.effectiveRung).toBe(2);
    expect(byCost.bounds.violations.map((v) => v.bound)).toEqual(['perDay.costUsd']);
    expect(decide(policy, null, task, { countToday: 19, costTodayUsd: 9.5 }).effectiveRung).toBe(5);
  });

  it("charges each step at least its action's price, so declaring no cost does not beat the budget", () => {
    const task = exampleTask('rung5-report'); // config.set is priced $0.25 in bounds.stepCostUsd
    delete task.steps[0].costUsd;
    const over = decide(policy, null, task, { countToday: 0, costTodayUsd: 9.8 });
    expect(over.effectiveRung).toBe(2);
    expect(over.bounds.violations).toEqual([
      {
        bound: 'perDay.costUsd',
        message:
          'cost $0.25 (declared $0; each step is charged at least its price in bounds.stepCostUsd) on top of $9.8 today exceeds $10 per day',
      },
    ]);
    expect(decide(policy, null, task, { countToday: 0, costTodayUsd: 9.75 }).effectiveRung).toBe(5);
    // Declaring more than the price is charged what is declared.
    task.steps[0].costUsd = 1;
    expect(
      decide(policy, null, task, { countToday: 0, costTodayUsd: 9.1 }).bounds.violations[0].message,
    ).toBe('cost $1 on top of $9.1 today exceeds $10 per day');
  });

  it('falls back when a step targets a host outside the bounds', () => {
    const task = exampleTask('rung3-bounded');
    task.steps[0].params.url = 'http://evil.example:8080/deploys';
    const decision = decide(policy, null, task, NO_USAGE);
    expect(decision.effectiveRung).toBe(2);
    expect(decision.bounds.violations).toEqual([
      { bound: 'hosts', message: 'host "evil.example:8080" is not in bounds (127.0.0.1:4100)' },
      {
        bound: 'requests',
        message:
          'steps[0].params.url: POST http://evil.example:8080/deploys is not in bounds (POST http://127.0.0.1:4100/deploys, GET http://127.0.0.1:4100/health, GET http://127.0.0.1:4100/services/)',
      },
    ]);
  });

  it('falls back when any request a step sends, its undo included, is not in bounds.requests', () => {
    const task = exampleTask('rung4-rollback');
    expect(decide(policy, null, task, NO_USAGE).effectiveRung).toBe(4);
    // The rollback would send the undo on its own: a DELETE "undo" of a deploy is asked about first.
    task.steps[0].params.undo = { method: 'DELETE', url: 'http://127.0.0.1:4100/services/payments' };
    const decision = decide(policy, null, task, NO_USAGE);
    expect(decision.effectiveRung).toBe(2);
    expect(decision.bounds.violations).toEqual([
      {
        bound: 'requests',
        message:
          'steps[0].params.undo.url: DELETE http://127.0.0.1:4100/services/payments is not in bounds (POST http://127.0.0.1:4100/deploys, GET http://127.0.0.1:4100/health, GET http://127.0.0.1:4100/services/)',
      },
    ]);
    // Without the requests named (a caller that did not ask the handlers), the bound cannot hold: rung 2.
    expect(decideNamed(policy, null, exampleTask('rung3-bounded'), NO_USAGE).bounds.violations).toEqual([
      {
        bound: 'requests',
        message:
          'the requests its steps send were not named to the decision, so bounds.requests cannot be checked',
      },
    ]);
  });

  it('takes a host bound that spells out the default port as the run does', () => {
    const task = exampleTask('rung3-bounded');
    const withPorts = structuredClone(policy);
    const cls = withPorts.taskClasses[task.taskClass];
    cls.bounds = { ...cls.bounds!, hosts: ['deploy.example:443', 'plain.example:80'], requests: undefined };
    const at = (url: string) => {
      task.steps[0].params.url = url;
      const d = decide(withPorts, null, task, NO_USAGE);
      expect(hostListed(new URL(url), cls.bounds!.hosts!)).toBe(d.bounds.violations.length === 0);
      return d.bounds.violations.map((v) => v.message);
    };
    expect(at('https://deploy.example/deploys')).toEqual([]);
    expect(at('https://deploy.example:443/deploys')).toEqual([]);
    expect(at('http://plain.example/x')).toEqual([]);
    // The other scheme's default port is another port.
    expect(at('http://deploy.example/deploys')).toEqual([
      'host "deploy.example" is not in bounds (deploy.example:443, plain.example:80)',
    ]);
    expect(at('https://plain.example/x')).toEqual([
      'host "plain.example" is not in bounds (deploy.example:443, plain.example:80)',
    ]);
  });

  it('reads a host in any IPv4 spelling, or with a trailing dot, as the run reads it', () => {
    const task = exampleTask('rung3-bounded');
    const hosts = policy.taskClasses[task.taskClass].bounds!.hosts!;
    for (const url of [
      'http://127.1:4100/deploys',
      'http://0x7f.1:4100/deploys',
      'http://2130706433:4100/deploys',
      'http://0177.0.0.1:4100/deploys',
      'http://127.0.0.1.:4100/deploys',
      'http://127.0.0.1:4100/deploys',
    ]) {
      task.steps[0].params.url = url;
      expect(hostListed(new URL(url), hosts)).toBe(true);
      expect(
        decide(policy, null, task, NO_USAGE).bounds.violations.filter((v) => v.bound === 'hosts'),
      ).toEqual([]);
    }
  });

  it('uses the trust ledger state over the declared rungs once it exists', () => {
    const ledger: AgentState = { earnedRungs: { 'config-change': 3 } };
    const decision = decide(policy, ledger, exampleTask('rung5-report'), NO_USAGE);
    expect(decision).toMatchObject({ earnedRung: 3, effectiveRung: 3, reasons: [] });
    expect(decide(policy, { earnedRungs: {} }, exampleTask('rung5-report'), NO_USAGE).effectiveRung).toBe(0);
  });

  it('applies the policy kill switch and a run-time one', () => {
    const frozen = examplePolicy((t) =>
      t.replace(
        'killSwitch: { engaged: false, cap: 0 }',
        'killSwitch: { engaged: true, cap: 1, agents: [ops-agent] }',
      ),
    );
    const decision = decide(frozen, null, exampleTask('rung5-report'), NO_USAGE);
    expect(decision.effectiveRung).toBe(1);
    expect(rules(decision)).toEqual(['kill-switch']);
    expect(decide(frozen, null, exampleTask('rung4-rollback'), NO_USAGE).effectiveRung).toBe(4); // release-agent not in scope
    const runtime = decide(
      policy,
      { earnedRungs: { 'config-change': 5 }, killSwitchCap: 0 },
      exampleTask('rung5-report'),
      NO_USAGE,
    );
    expect(runtime.effectiveRung).toBe(0);
    expect(rules(runtime)).toEqual(['kill-switch-runtime']);
  });

  it.each([
    [
      'an unknown agent',
      (t: TaskRequest) => void (t.agent.id = 'ghost-agent'),
      'unknown-agent',
      /agent "ghost-agent" is not declared/,
    ],
    [
      'an unknown task class',
      (t: TaskRequest) => void (t.taskClass = 'payroll'),
      'unknown-task-class',
      /task class "payroll" is not declared/,
    ],
    [
      'an action the class does not allow',
      (t: TaskRequest) => void (t.steps[0].action = 'shell.exec'),
      'unknown-action',
      /action "shell.exec" is not allowed for task class "config-change"/,
    ],
  ])('fails closed for %s', (_what, edit, rule, message) => {
    const task = exampleTask('rung5-report');
    edit(task);
    const decision = decide(policy, null, task, NO_USAGE);
    expect(decision.refused).toEqual({ rule, message: expect.stringMatching(message) });
    expect(decision.effectiveRung).toBe(0);
  });
});

// ---- properties over generated policies, agents and tasks ----

const ACTIONS = ['config.set', 'http.request', 'shell.exec', 'file.write'];
const ENVS = ['dev', 'staging', 'production'];
const CLASSES = ['alpha', 'beta', 'gamma'];
const AGENTS = ['a1', 'a2'];

const rungArb = fc.integer({ min: 0, max: 5 }) as fc.Arbitrary<Rung>;
const subsetArb = (items: string[]) => fc.subarray(items, { minLength: 1 });

const taskClassArb = fc.record({
  cap: rungArb,
  actions: subsetArb(ACTIONS),
  withBounds: fc.boolean(),
  boundsEnvs: subsetArb(ENVS),
  perDay: fc.record({ count: fc.integer({ min: 0, max: 5 }), costUsd: fc.integer({ min: 0, max: 10 }) }),
  withRollback: fc.boolean(),
  withReport: fc.boolean(),
  pin: fc.option(fc.record({ maxRung: fc.integer({ min: 0, max: 2 }), env: fc.constantFrom(...ENVS) }), {
    nil: undefined,
  }),
});

const policyArb = fc
  .record({
    classes: fc.tuple(taskClassArb, taskClassArb, taskClassArb),
    agentRungs: fc.tuple(fc.tuple(rungArb, rungArb, rungArb), fc.tuple(rungArb, rungArb, rungArb)),
    killSwitch: fc.option(fc.record({ cap: rungArb, onlyA1: fc.boolean() }), { nil: undefined }),
  })
  .map(({ classes, agentRungs, killSwitch }) => {
    const doc = policySchema.parse({
      version: 'prop',
      admins: ['U0ADMIN01'],
      taskClasses: Object.fromEntries(
        classes.map((c, i) => [
          CLASSES[i],
          {
            cap: c.cap,
            actions: c.actions,
            channel: '#ops',
            approvers: { users: ['U0APPR001'] },
            bounds: c.withBounds
              ? { actions: c.actions.slice(0, 1), environments: c.boundsEnvs, perDay: c.perDay }
              : undefined,
            pins: c.pin
              ? [{ id: 'pin', maxRung: c.pin.maxRung, when: { environments: [c.pin.env] }, reason: 'pinned' }]
              : [],
            approval: { remindAfter: '1m', expireAfter: '1h' },
            rollback: c.withRollback ? { healthWindow: '1m', healthInterval: '5s' } : undefined,
            report: c.withReport ? { mode: 'each', readSla: '1h', channel: '#ops' } : undefined,
          },
        ]),
      ),
      agents: Object.fromEntries(
        AGENTS.map((a, i) => [
          a,
          {
            owner: 'U0OWNER01',
            model: 'm',
            promptVersion: 'p',
            rungs: Object.fromEntries(CLASSES.map((c, j) => [c, agentRungs[i][j]])),
          },
        ]),
      ),
      promotion: {},
      audit: { sampleRate: 0.1 },
      killSwitch: killSwitch
        ? { engaged: true, cap: killSwitch.cap, agents: killSwitch.onlyA1 ? ['a1'] : undefined }
        : undefined,
    });
    const policy: LoadedPolicy = {
      ...doc,
      versionId: 'prop+000000000000',
      contentHash: '0',
      source: 'generated',
      approversByClass: Object.fromEntries(CLASSES.map((c) => [c, ['U0APPR001']])),
      answerTrust: { keys: [], revoked: [], ttlMs: 60_000, allowClaimedIdentities: false },
    };
    return policy;
  });

const taskArb: fc.Arbitrary<DecisionInput> = fc.record({
  agent: fc.record({
    id: fc.constantFrom(...AGENTS),
    model: fc.constant('m'),
    promptVersion: fc.constant('p'),
  }),
  taskClass: fc.constantFrom(...CLASSES),
  environment: fc.constantFrom(...ENVS),
  title: fc.constant('t'),
  resource: fc.constant(undefined),
  steps: fc.array(
    fc.record({
      action: fc.constantFrom(...ACTIONS),
      params: fc.constant({}),
      costUsd: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  requestedRung: fc.option(fc.record({ rung: rungArb, reason: fc.constant('unsure') }), { nil: undefined }),
});

const usageArb: fc.Arbitrary<Usage> = fc.record({
  countToday: fc.integer({ min: 0, max: 6 }),
  costTodayUsd: fc.integer({ min: 0, max: 12 }),
});
const stateArb: fc.Arbitrary<AgentState | null> = fc.option(
  fc.record({
    earnedRungs: fc.record({ alpha: rungArb, beta: rungArb, gamma: rungArb }, { requiredKeys: [] }),
    killSwitchCap: fc.option(rungArb, { nil: undefined }),
  }),
  { nil: null },
);

const inputsArb = fc.tuple(policyArb, stateArb, taskArb, usageArb);
const RUNS = { numRuns: 2000 };

describe('decide properties', () => {
  it('is never above the earned rung, the class cap or an engaged kill switch', () => {
    fc.assert(
      fc.property(inputsArb, ([policy, state, task, usage]) => {
        const d = decide(policy, state, task, usage);
        if (d.refused) return d.effectiveRung === 0;
        const tc = policy.taskClasses[task.taskClass];
        const ks = policy.killSwitch;
        const ksApplies = ks.engaged && (ks.agents === undefined || ks.agents.includes(task.agent.id));
        return (
          d.effectiveRung <= d.earnedRung &&
          d.effectiveRung <= tc.cap &&
          (!ksApplies || d.effectiveRung <= ks.cap) &&
          (state?.killSwitchCap === undefined || d.effectiveRung <= state.killSwitchCap)
        );
      }),
      RUNS,
    );
  });

  it('holds a pinned task at or below its pin (≤ 2) for every agent', () => {
    fc.assert(
      fc.property(inputsArb, ([policy, state, task, usage]) => {
        const d = decide(policy, state, task, usage);
        const pin = policy.taskClasses[task.taskClass].pins.find((p) =>
          p.when.environments?.includes(task.environment),
        );
        return (
          d.refused !== null || pin === undefined || (d.effectiveRung <= pin.maxRung && d.effectiveRung <= 2)
        );
      }),
      RUNS,
    );
  });

  it('gives rung 2 with the violation named whenever a bound is violated at rung ≥ 3', () => {
    fc.assert(
      fc.property(inputsArb, ([policy, state, task, usage]) => {
        const d = decide(policy, state, { ...task, requestedRung: undefined }, usage);
        if (d.refused || !d.bounds.applied || d.bounds.violations.length === 0) return true;
        const reason = d.reasons.find((r) => r.rule === 'bounds');
        return (
          d.effectiveRung === 2 &&
          reason !== undefined &&
          d.bounds.violations.every((v) => reason.message.includes(v.message))
        );
      }),
      RUNS,
    );
  });

  it('never executes autonomously (rung ≥ 3) outside bounds', () => {
    fc.assert(
      fc.property(inputsArb, ([policy, state, task, usage]) => {
        const d = decide(policy, state, task, usage);
        return d.effectiveRung < 3 || d.bounds.violations.length === 0;
      }),
      RUNS,
    );
  });

  it('grants a lower requested rung', () => {
    fc.assert(
      fc.property(inputsArb, ([policy, state, task, usage]) => {
        const d = decide(policy, state, task, usage);
        const asked = task.requestedRung?.rung;
        return d.refused !== null || asked === undefined || d.effectiveRung <= asked;
      }),
      RUNS,
    );
  });

  it('is deterministic: the same inputs give the same decision', () => {
    fc.assert(
      fc.property(inputsArb, ([policy, state, task, usage]) => {
        expect(decide(policy, state, task, usage)).toEqual(
          decide(structuredClone(policy), structuredClone(state), structuredClone(task), { ...usage }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('explains every decision below the earned rung with at least one reason whose ceiling is the result', () => {
    fc.assert(
      fc.property(inputsArb, ([policy, state, task, usage]) => {
        const d = decide(policy, state, task, usage);
        if (d.refused || d.effectiveRung >= d.earnedRung) return true;
        return d.reasons.length > 0 && Math.min(...d.reasons.map((r) => r.ceiling)) === d.effectiveRung;
      }),
      RUNS,
    );
  });
});
