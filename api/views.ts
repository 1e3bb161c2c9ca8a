import type { Decision } from '../policy/decide';
import { emptyEvidence, type LedgerState } from '../policy/ledger';
import type { LoadedPolicy } from '../policy/loader';
import type { Rung } from '../policy/schema';
import { promotionVerdict, type ClassInfrastructure } from '../policy/trust-rules';
import type { TaskResult, TaskStatus } from '../workflows/messages';
import type { DecisionView, RungsView, TaskView } from './schemas';

// Pure mappings from workflow state to what an agent sees: compact, and nothing about other agents.

/** The decision as the API shows it. */
export function decisionView(d: Decision): DecisionView {
  return {
    taskClass: d.taskClass,
    effectiveRung: d.effectiveRung,
    earnedRung: d.earnedRung,
    requestedRung: d.requestedRung,
    refused: d.refused ? { rule: d.refused.rule, message: d.refused.message } : null,
    reasons: d.reasons.map((r) => ({ rule: r.rule, ceiling: r.ceiling, message: r.message })),
    approvers: [...d.approvers],
    twoPersonRule: d.twoPersonRule,
    policyVersion: d.policyVersion,
  };
}

/** A task's status (and result, once it finished) as the API shows it. */
export function taskView(taskId: string, s: TaskStatus, result: TaskResult | null): TaskView {
  return {
    taskId,
    phase: s.phase,
    done: s.phase === 'done' && result !== null,
    rung: s.rung,
    decision: s.decision ? decisionView(s.decision) : null,
    waitingOn: s.waitingOn,
    approvedBy: s.approvedBy,
    currentStep: s.currentStep,
    stepsTotal: s.stepsTotal,
    events: [...s.events],
    result: result
      ? {
          outcome: result.outcome,
          rung: result.rung,
          executedSteps: result.executedSteps,
          approvedBy: result.approvedBy,
          approvedAt: result.approvedAt,
          reportRead: result.reportRead,
          error: result.error,
        }
      : null,
  };
}

/**
 * The agent's rung per task class and what the next rung still needs, computed as `ladder status
 * <agent>` does (cli/format-ledger.ts): the ledger's rung, else the policy's declared one. Pure.
 */
export function rungsView(
  policy: LoadedPolicy,
  agentId: string,
  ledger: LedgerState | null,
  infrastructure: (taskClass: string) => ClassInfrastructure,
  nowMs: number,
): RungsView {
  const agent = policy.agents[agentId];
  const classes = Object.entries(policy.taskClasses).map(([taskClass, cls]) => {
    const c = ledger?.classes[taskClass];
    const earned = (c?.rung ?? agent.rungs[taskClass] ?? 0) as Rung;
    const open = ledger?.proposals.find((p) => p.taskClass === taskClass && p.status === 'open');
    const evidence = c?.evidence ?? emptyEvidence(nowMs);
    const infra = infrastructure(taskClass);
    const drilled = { ...infra, rollbackDrillPassed: infra.rollbackDrillPassed || c?.drill?.passed === true };
    const verdict = promotionVerdict(policy, taskClass, earned, evidence, drilled, nowMs);
    const strip = ({ criterion, detail }: { criterion: string; detail: string }) => ({ criterion, detail });
    return {
      taskClass,
      rung: earned,
      declared: c === undefined,
      cap: cls.cap,
      next:
        verdict.to === null
          ? null
          : {
              rung: verdict.to,
              eligible: verdict.eligible,
              proposal: open ? { id: open.id, approvers: [...open.approvers] } : null,
              missing: verdict.criteria.filter((k) => !k.ok).map(strip),
              met: verdict.criteria.filter((k) => k.ok).map(strip),
            },
    };
  });
  return { agentId, owner: agent.owner, policyVersion: policy.versionId, classes };
}
