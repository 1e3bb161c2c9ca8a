import { join } from 'node:path';
import { agentClassViewOf, dailyMedians } from '../../dashboard/model/agent-class';
import { gridOf, type LedgerRead } from '../../dashboard/model/grid';
import { humanDuration, pendingOf, type WaitingTaskRead } from '../../dashboard/model/pending';
import { emptyEvidence, newLedger, type LedgerState } from '../../policy/ledger';
import { epochDay, type DailySeries } from '../../policy/ledger-series';
import { loadPolicyFile } from '../../policy/loader';
import type { Decision } from '../../policy/decide';
import type { KillSwitchState, TaskStatus } from '../../workflows/messages';

const policy = loadPolicyFile(join(__dirname, 'dashboard-policy.yaml')).policy;
const NOW = Date.parse('2026-11-26T14:00:00Z');
const NO_SWITCH: KillSwitchState = { all: null, agents: {}, classes: {} };

function ledger(agentId: string, rung: 0 | 1 | 2 | 3 | 4 | 5, extra: Partial<LedgerState> = {}): LedgerState {
  const state = newLedger(agentId);
  const { sinceMs: _s, ...zero } = emptyEvidence(0);
  state.classes.ops = { rung, evidence: emptyEvidence(NOW - 86_400_000), lifetime: zero };
  return { ...state, ...extra };
}

describe('the grid', () => {
  const cellOf = (grid: ReturnType<typeof gridOf>, agent: string, taskClass: string) =>
    grid.rows.find((r) => r.agentId === agent)!.cells.find((c) => c.taskClass === taskClass)!;

  it("shows the policy's declared rungs before any evidence, held at the class cap", () => {
    const grid = gridOf(policy, new Map(), NO_SWITCH, null);
    expect(grid.columns.map((c) => [c.taskClass, c.cap])).toEqual([
      ['ops', 5],
      ['deploy', 2],
    ]);
    expect(cellOf(grid, 'climber', 'ops')).toMatchObject({ earned: 2, effective: 2, declared: true });
    const capped = cellOf(grid, 'climber', 'deploy');
    expect(capped).toMatchObject({ earned: 3, effective: 2 });
    // The class declares no bounds either: above rung 2 it would need them.
    expect(capped.reasons.map((r) => r.rule)).toEqual(['class-cap', 'no-bounds']);
  });

  it("uses the ledger's rung and its open proposal", () => {
    const climber = ledger('climber', 3, {
      proposals: [
        {
          id: 'p1',
          taskClass: 'ops',
          from: 3,
          to: 4,
          at: '2026-11-26T13:00:00Z',
          criteria: [],
          approvers: ['U0APPR001'],
          status: 'open',
          decidedBy: null,
          messageRef: null,
        },
      ],
    });
    const grid = gridOf(
      policy,
      new Map<string, LedgerRead>([
        ['climber', climber],
        ['steady', 'error'],
      ]),
      NO_SWITCH,
      null,
    );
    expect(cellOf(grid, 'climber', 'ops')).toMatchObject({
      earned: 3,
      effective: 3,
      declared: false,
      proposal: { id: 'p1', to: 4 },
    });
    expect(grid.rows.find((r) => r.agentId === 'steady')!.ledgerUnreadable).toBe(true);
  });

  it('applies freezes and class rollback caps, and marks canary agents', () => {
    const killSwitch: KillSwitchState = {
      all: null,
      agents: {
        frozen: { agentId: 'frozen', cap: 1, by: 'U0ADMIN01', reason: 'look', at: '2026-11-26T13:00:00Z' },
      },
      classes: {
        ops: { taskClass: 'ops', cap: 2, by: 'ledger:x', reason: 'defects', at: '2026-11-26T13:00:00Z' },
      },
    };
    const canary = {
      nextVersionId: 'v2',
      currentVersionId: 'v1',
      agents: ['steady'],
      status: 'running' as const,
      startedAt: '2026-11-26T13:00:00Z',
      windowMs: 60_000,
      detail: null,
    };
    const grid = gridOf(policy, new Map(), killSwitch, canary as never);
    expect(cellOf(grid, 'frozen', 'ops')).toMatchObject({ earned: 3, effective: 1 });
    expect(cellOf(grid, 'steady', 'ops')).toMatchObject({ earned: 3, effective: 2 });
    expect(cellOf(grid, 'steady', 'ops').reasons.map((r) => r.rule)).toEqual(['class-rollback']);
    expect(grid.rows.find((r) => r.agentId === 'frozen')!.freeze).toMatchObject({ cap: 1, scope: 'agent' });
    expect(grid.rows.find((r) => r.agentId === 'steady')!.inCanary).toBe(true);
    expect(grid.rows.find((r) => r.agentId === 'frozen')!.inCanary).toBe(false);
    expect(grid.columns.find((c) => c.taskClass === 'ops')!.runtimeCap).toMatchObject({ cap: 2 });
  });
});

describe('what waits on people', () => {
  const decision = {
    agentId: 'reporter',
    taskClass: 'ops',
    approval: { remindAfterMs: 1_800_000, expireAfterMs: 3_600_000 },
    report: { mode: 'each', periodMs: null, readSlaMs: 3_600_000, channel: '#ops-reports' },
    escalation: [
      { afterMs: 1_800_000, notify: 'owner' },
      { afterMs: 2_700_000, notify: 'channel' },
    ],
  } as unknown as Decision;
  const waiting = (
    phase: TaskStatus['phase'],
    postedAtMs: number | null,
    id = 'task/reporter/t1',
  ): WaitingTaskRead => ({
    workflowId: id,
    startedAtMs: NOW - 600_000,
    title: '<b>title</b>',
    status: {
      workflowId: id,
      phase,
      rung: 5,
      decision,
      waitingOn: 'a reader',
      currentStep: 0,
      stepsTotal: 1,
      outcome: null,
      approvedBy: null,
      events: [],
      stepsHash: 'h',
    },
    postedAtMs,
    messageRef: 'C1/1.2',
  });

  it('gives a report its SLA and the next contact still to be pinged', () => {
    const view = pendingOf([waiting('awaiting-report-read', NOW - 2_000_000)], [], NOW);
    expect(view.reports).toEqual([
      expect.objectContaining({
        postedAtMs: NOW - 2_000_000,
        slaDueMs: NOW - 2_000_000 + 3_600_000,
        nextEscalation: { atMs: NOW - 2_000_000 + 2_700_000, notify: 'channel' },
      }),
    ]);
    const late = pendingOf([waiting('awaiting-report-read', NOW - 3_000_000)], [], NOW);
    expect(late.reports[0].nextEscalation).toBeNull();
  });

  it('gives a question its age and expiry, from when it was asked (else from the start)', () => {
    const view = pendingOf(
      [waiting('awaiting-human', NOW - 60_000), waiting('awaiting-human', null, 'task/x/t2')],
      [],
      NOW,
    );
    expect(view.questions[0]).toMatchObject({
      workflowId: 'task/x/t2',
      ageMs: 600_000,
      expiresAtMs: NOW - 600_000 + 3_600_000,
    });
    expect(view.questions[1]).toMatchObject({
      ageMs: 60_000,
      expiresAtMs: NOW - 60_000 + 3_600_000,
      title: '<b>title</b>',
    });
    expect(pendingOf([waiting('executing', null)], [], NOW).questions).toEqual([]);
  });

  it('lists open proposals only', () => {
    const base = {
      taskClass: 'ops',
      from: 2 as const,
      to: 3 as const,
      criteria: [{ criterion: 'samples' as const, ok: true, detail: '3 samples' }],
      approvers: ['U0APPR001'],
      decidedBy: null,
      messageRef: null,
    };
    const l = ledger('climber', 2, {
      proposals: [
        { ...base, id: 'p1', at: '2026-11-26T12:00:00Z', status: 'declined' as const },
        { ...base, id: 'p2', at: '2026-11-26T13:00:00Z', status: 'open' as const },
      ],
    });
    expect(pendingOf([], [l], NOW).proposals.map((p) => p.id)).toEqual(['p2']);
  });

  it('says durations as people do', () => {
    expect(humanDuration(45_000)).toBe('45 s');
    expect(humanDuration(12 * 60_000)).toBe('12 min');
    expect(humanDuration(185 * 60_000)).toBe('3 h 5 min');
    expect(humanDuration(52 * 3_600_000)).toBe('2 d 4 h');
    expect(humanDuration(-120_000)).toBe('overdue 2 min');
  });
});

describe('one agent in one class over time', () => {
  const today = epochDay(NOW);
  const series: DailySeries = {
    ops: [
      [today - 1, 2, 0, 4, 3, 0, 4, 1, 3, 0, 0, 0],
      [today, 2, 0, 2, 2, 0, 2, 0, 2, 0, 0, 0],
    ],
  };

  it("draws the next rung's thresholds and the day's rates", () => {
    const view = agentClassViewOf(policy, 'climber', 'ops', ledger('climber', 2), series, [], NOW);
    const approval = view.charts.find((c) => c.key === 'approvalRate')!;
    expect(approval.values).toEqual([0.75, 1]);
    expect(approval.threshold).toEqual({ value: 0.1, kind: 'min', forRung: 3 });
    expect(view.charts.find((c) => c.key === 'interventionRate')!.threshold).toEqual({
      value: 0.9,
      kind: 'max',
      forRung: 3,
    });
    expect(view.charts.find((c) => c.key === 'autonomousShare')!.threshold).toBeNull();
    expect(view.dayLabels).toEqual(['2026-11-25', '2026-11-26']);
  });

  it('has no threshold where the policy sets none for the next rung', () => {
    const view = agentClassViewOf(policy, 'steady', 'ops', ledger('steady', 3), series, [], NOW);
    expect(view.charts.every((c) => c.threshold === null)).toBe(true);
  });

  it("steps the rung through each change, ending at today's", () => {
    const history = [
      {
        at: '2026-11-26T12:00:00.000Z',
        taskClass: 'ops',
        from: 3 as const,
        to: 2 as const,
        cause: 'incident',
        by: 'U0ADMIN01',
        evidence: '',
      },
    ];
    const view = agentClassViewOf(policy, 'steady', 'ops', ledger('steady', 2, { history }), null, [], NOW);
    expect(view.rungSteps).toEqual([
      { t: Date.parse(history[0].at) / 1000, rung: 3 },
      { t: Date.parse(history[0].at) / 1000, rung: 2 },
      { t: NOW / 1000, rung: 2 },
    ]);
    expect(view.changes).toHaveLength(1);
  });

  it('takes the median turn duration per closing day', () => {
    const at = (d: number) => d * 86_400_000 + 1000;
    expect(
      dailyMedians([
        { closedAtMs: at(today), seconds: 3 },
        { closedAtMs: at(today), seconds: 1 },
        { closedAtMs: at(today), seconds: 10 },
        { closedAtMs: at(today - 1), seconds: 4 },
        { closedAtMs: at(today - 1), seconds: 6 },
      ]),
    ).toEqual([
      { day: today - 1, medianSeconds: 5, tasks: 2 },
      { day: today, medianSeconds: 3, tasks: 3 },
    ]);
  });
});
