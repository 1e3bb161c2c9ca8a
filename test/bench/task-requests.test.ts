import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionRegistry } from '../../activities/actions/registry';
import { stepsHash } from '../../client/submit-task';
import { decide } from '../../policy/decide';
import { validateTaskRequest } from '../../policy/validate-task';
import { BENCH, reportEscalationAfterMs, writeBenchPolicy } from '../../bench/tasks/policy';
import {
  agentOf,
  baselineApprovalInput,
  baselineReportInput,
  clientTaskRequest,
  fileStep,
  type TaskKind,
} from '../../bench/tasks/requests';

describe('bench task requests against the bench policy', () => {
  let dir: string;
  let policy: ReturnType<typeof writeBenchPolicy>['policy'];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-requests-'));
    policy = writeBenchPolicy(dir, join(dir, 'keys')).policy;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The decision the bench policy makes for a fresh agent's task of `kind`. */
  function decisionOf(kind: TaskKind) {
    const checked = validateTaskRequest(
      clientTaskRequest(`t-${kind}`, `x/${kind}.txt`, kind),
      policy,
      createActionRegistry(),
    );
    if (!checked.ok) throw new Error(checked.errors.join('; '));
    return decide(policy, null, checked.task, { countToday: 0, costTodayUsd: 0 });
  }

  it('runs each kind at its rung: autonomous 3, confirm 2, report 5', () => {
    expect((['autonomous', 'confirm', 'report'] as const).map((k) => decisionOf(k).effectiveRung)).toEqual([
      3, 2, 5,
    ]);
    expect(agentOf('report')).toBe(BENCH.reportAgent);
  });

  it('gives a report task a per-task report whose first escalation comes due within the run', () => {
    const d = decisionOf('report');
    expect(d.report).toMatchObject({ mode: 'each', channel: BENCH.reportChannel, readSlaMs: 30 * 60_000 });
    expect(d.escalation[0]).toEqual({ afterMs: 10_000, notify: 'owner' });
    // Nothing breaches its read SLA while a run measures: a breach would demote the agent.
    expect(d.report!.readSlaMs).toBeGreaterThanOrEqual(d.escalation[d.escalation.length - 1].afterMs);
    expect(d.rollback).toEqual({ healthWindowMs: 1_000, healthIntervalMs: 1_000 });
  });
});

describe('the bench policy’s escalation delay', () => {
  it('escalates unread reports when the run says, and refuses a delay that is not whole ms > 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-escalation-'));
    try {
      const { policy } = writeBenchPolicy(dir, join(dir, 'keys'), 90_000);
      expect(reportEscalationAfterMs(policy)).toBe(90_000);
      expect(() => writeBenchPolicy(dir, join(dir, 'keys'), 0)).toThrow(
        'reportEscalationAfterMs: expected whole milliseconds > 0, got 0',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the bare workflows’ inputs', () => {
  it('asks for an approval bound to the same steps’ hash Ladder’s request carries', () => {
    const input = baselineApprovalInput('baseline/w-1', 'w/1.txt', 'v1');
    expect(input.step).toEqual(fileStep('w/1.txt'));
    expect(input.request).toMatchObject({
      kind: 'approval-request',
      channel: BENCH.baselineChannel,
      actions: ['approve', 'reject'],
      fields: { stepsHash: stepsHash([fileStep('w/1.txt')]), approvers: BENCH.approver, policy: 'v1' },
    });
    expect(input.notification.kind).toBe('executed');
  });

  it('reports, then pings the owner after the given delay', () => {
    const input = baselineReportInput('baseline/t-1', 't/1.txt', 'v1', 10_000);
    expect(input.escalateAfterMs).toBe(10_000);
    expect(input.notification).toMatchObject({ kind: 'report', actions: ['mark-read'] });
    expect(input.escalation).toMatchObject({ kind: 'report-escalation', to: BENCH.owner });
  });
});
