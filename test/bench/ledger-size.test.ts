import {
  agentStateFrom,
  continueAsNewInput,
  examplePolicy,
  LEDGER_SIZE_SCENARIOS,
  ledgerSizeMarkdown,
  ledgerSizes,
  measureLedgerSize,
  simulateAgentLife,
  VIEW_TARGET_BYTES,
  type AgentLifeOptions,
  type LedgerSizeResult,
} from '../../bench/ledger-size';
import { controlAuthorityOf } from '../../activities/authority-activities';
import { DECIDED_AUDITS_KEPT, HISTORY_KEPT, ledgerViewOf, type LedgerView } from '../../policy/ledger';
import type { KillSwitchState } from '../../workflows/messages';

const policy = examplePolicy();

const life = (over: Partial<AgentLifeOptions> = {}): ReturnType<typeof simulateAgentLife> =>
  simulateAgentLife(policy, {
    agentId: 'ops-agent',
    classes: ['config-change', 'deploy', 'db-migration'],
    tasks: 3_000,
    days: 60,
    judgeEveryMs: 3_600_000,
    errorRate: 0.003,
    auditsAnswered: 0.3,
    promotionsApproved: 0.85,
    incidentEvery: 1_000,
    startMs: Date.UTC(2026, 0, 5),
    seed: 3,
    ...over,
  });

describe('the agent state decideTask builds, from a ledger view and the kill switch', () => {
  const view: LedgerView = {
    agentId: 'ops-agent',
    model: 'claude-sonnet-4-5',
    promptVersion: 'ops-v7',
    changes: 2,
    rungs: { 'config-change': 3, deploy: 4 },
  };
  const at = '2026-01-01T00:00:00.000Z';

  it("overlays the policy's declared rungs with the ledger's, and adds no caps when nothing is frozen", () => {
    expect(agentStateFrom(policy, 'ops-agent', view, { all: null, agents: {}, classes: {} })).toEqual({
      earnedRungs: { 'config-change': 3, deploy: 4, 'db-migration': 2 },
    });
    expect(agentStateFrom(policy, 'ops-agent', null, null)).toEqual({
      earnedRungs: { 'config-change': 5, deploy: 3, 'db-migration': 2 },
    });
  });

  it('takes the lowest freeze for the agent and every class cap', () => {
    const killSwitch: KillSwitchState = {
      all: { cap: 3, by: 'U0ADMIN01', reason: 'all', at },
      agents: { 'ops-agent': { agentId: 'ops-agent', cap: 1, by: 'U0ADMIN01', reason: 'one', at } },
      classes: { deploy: { taskClass: 'deploy', cap: 2, by: 'ledger:x', reason: 'audits', at } },
    };
    expect(agentStateFrom(policy, 'ops-agent', view, killSwitch)).toEqual({
      earnedRungs: { 'config-change': 3, deploy: 4, 'db-migration': 2 },
      killSwitchCap: 1,
      classCaps: { deploy: 2 },
    });
    expect(agentStateFrom(policy, 'release-agent', null, killSwitch).killSwitchCap).toBe(3);
  });

  it("caps every class at the environment-change rung when the task runs another model than the ledger's", () => {
    const running = { model: 'claude-opus-5', promptVersion: 'ops-v7' };
    expect(agentStateFrom(policy, 'ops-agent', view, null, running).earnedRungs).toEqual({
      'config-change': 2,
      deploy: 2,
      'db-migration': 2,
    });
    const same = { model: view.model!, promptVersion: view.promptVersion! };
    expect(agentStateFrom(policy, 'ops-agent', view, null, same).earnedRungs['config-change']).toBe(3);
  });
});

describe("an agent's simulated working life through the real ledger code", () => {
  const first = life();

  it('is the same for the same seed, and another for another seed', () => {
    expect(life().state).toEqual(first.state);
    expect(life({ seed: 4 }).state).not.toEqual(first.state);
  });

  it('opens audits as the policy samples them; some are answered, the rest expire; people demote it', () => {
    const c = first.counts;
    expect(c.tasks).toBe(3_000);
    expect(c.auditsRequested).toBeGreaterThan(20);
    expect(c.auditsAnswered).toBeGreaterThan(0);
    expect(c.auditsExpired).toBeGreaterThan(c.auditsAnswered);
    expect(c.incidents).toBe(2);
    expect(c.demotions).toBeGreaterThanOrEqual(c.incidents);
    expect(c.byRung[3] + c.byRung[4] + c.byRung[5]).toBeGreaterThan(0);
    // Every audit the ledger keeps carries the Slack message it was posted as, as in the workflow.
    expect(first.state.audits?.every((a) => a.messageRef?.startsWith('C0BENCH01/'))).toBe(true);
    expect((first.state.audits ?? []).filter((a) => a.status === 'open').length).toBeLessThanOrEqual(
      policy.audit.maxOpen,
    );
  });

  it('records a model change as the ledger does: every class re-evaluated from rung 2', () => {
    const changed = life({ modelChangeAt: 2_000, incidentEvery: undefined });
    expect(changed.model).toBe('claude-sonnet-4-5-next');
    expect(changed.state.model).toBe('claude-sonnet-4-5-next');
    expect(changed.state.history.some((h) => h.cause.startsWith('new model'))).toBe(true);
  });

  it('refuses an agent or class the policy does not declare, naming it', () => {
    expect(() => life({ agentId: 'nobody' })).toThrow(/agent "nobody" is not in policy/);
    expect(() => life({ classes: ['billing'] })).toThrow(/task class "billing" is not in policy/);
  });
});

describe('ledger sizes', () => {
  const { state } = life();

  it('are the JSON bytes of the view, the whole state and the continue-as-new input', () => {
    const sizes = ledgerSizes(state, policy);
    expect(sizes.viewBytes).toBe(Buffer.byteLength(JSON.stringify(ledgerViewOf(state))));
    expect(sizes.ledgerBytes).toBe(Buffer.byteLength(JSON.stringify(state)));
    const fields = Object.values(sizes.ledgerByField).reduce((a, b) => a + b, 0);
    expect(fields).toBeLessThan(sizes.ledgerBytes);
    expect(sizes.ledgerByField.seen).toBe(Buffer.byteLength(JSON.stringify(state.seen)));
    expect(sizes.continueAsNewBytes).toBeGreaterThan(sizes.ledgerBytes);
    expect(sizes.held).toMatchObject({ seen: state.seen.length, history: state.history.length, classes: 3 });
  });

  it('carry over a continue-as-new what the trust-ledger workflow passes: state, authority, nothing pending', () => {
    const authority = controlAuthorityOf(policy);
    expect(continueAsNewInput('ops-agent', state, authority)).toEqual({
      agentId: 'ops-agent',
      state,
      pending: [],
      authority,
    });
  });

  it('stay bounded after 10,000 tasks: the view is far under 16 KB and every list is capped', () => {
    const result = measureLedgerSize(policy, LEDGER_SIZE_SCENARIOS[0]);
    expect(result.counts.tasks).toBe(10_000);
    expect(result.viewMet).toBe(true);
    expect(result.sizes.viewBytes).toBeLessThanOrEqual(VIEW_TARGET_BYTES);
    const held = result.sizes.held;
    expect(held.seen).toBeLessThanOrEqual(1_000);
    expect(held.history).toBeLessThanOrEqual(HISTORY_KEPT);
    expect(held.audits).toBeLessThanOrEqual(policy.audit.maxOpen + DECIDED_AUDITS_KEPT);
    // The checkpoints after 1,000 and 10,000 tasks are the same order of size: nothing grows per task.
    const [atThousand] = result.checkpoints;
    expect(atThousand.tasks).toBe(1_000);
    expect(result.sizes.ledgerBytes).toBeLessThan(1.5 * atThousand.ledgerBytes);
  });
});

describe('the ledger size report', () => {
  const result = (viewBytes: number): LedgerSizeResult => ({
    scenario: 'a scenario',
    agentId: 'ops-agent',
    classes: ['deploy'],
    policyVersion: 'v+1',
    audit: policy.audit,
    counts: {
      tasks: 10,
      events: 20,
      judgeCalls: 2,
      byRung: [0, 0, 10, 0, 0, 0],
      fellBack: 0,
      auditsRequested: 0,
      auditsAnswered: 0,
      auditsExpired: 0,
      proposals: 0,
      promotions: 0,
      declined: 0,
      demotions: 0,
      defects: 0,
      incidents: 0,
      classRollbacks: 0,
    },
    sizes: {
      viewBytes,
      ledgerBytes: 70_000,
      ledgerByField: { seen: 60_000 },
      continueAsNewBytes: 72_000,
      held: { seen: 1000, history: 0, proposals: 0, audits: 0, openAudits: 0, classes: 1 },
    },
    checkpoints: [
      { tasks: 5, viewBytes: 140, ledgerBytes: 69_000, continueAsNewBytes: 71_000 },
      { tasks: 10, viewBytes, ledgerBytes: 70_000, continueAsNewBytes: 72_000 },
    ],
    viewTargetBytes: VIEW_TARGET_BYTES,
    viewMet: viewBytes <= VIEW_TARGET_BYTES,
    seconds: 1,
  });

  it('says met or MISSED against 16 KB, with the whole state and its largest field', () => {
    const met = ledgerSizeMarkdown([result(150)]);
    expect(met).toContain('| a scenario | 150 | ≤ 16,384 | met | 70,000 | 72,000 | 140 / 69,000 |');
    expect(met).toContain('seen 60,000');
    expect(ledgerSizeMarkdown([result(20_000)])).toContain('| 20,000 | ≤ 16,384 | MISSED |');
    expect(ledgerSizeMarkdown([])).toBe('');
  });
});
