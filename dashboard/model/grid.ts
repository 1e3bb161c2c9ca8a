import { agentStateFrom } from '../../policy/agent-state';
import type { CanaryState } from '../../policy/canary';
import { decide, type DecisionReason } from '../../policy/decide';
import { ledgerViewOf, openProposal, type LedgerState } from '../../policy/ledger';
import type { LoadedPolicy } from '../../policy/loader';
import type { Rung } from '../../policy/schema';
import type { KillSwitchState } from '../../workflows/messages';

// The main page's grid, agents × task classes, from the policy, the agents' ledgers, the kill switch
// and the canary. Pure: the data layer reads, this shapes. The effective rung is decide()'s own, for
// a task of the class with no steps: what the rung is capped at before a task's pins and bounds.

/** One agent in one task class. */
export interface GridCell {
  taskClass: string;
  /** The rung the agent earned: its ledger's, else the policy's declared one. */
  earned: Rung;
  /** Whether `earned` is the policy's declaration (no evidence in this class yet). */
  declared: boolean;
  /** The rung a task of the class runs at today, before its own pins, bounds and requests. */
  effective: Rung;
  /** Why `effective` is below `earned`: class cap, kill switch, rollback trigger, missing infrastructure. */
  reasons: DecisionReason[];
  /** The open promotion proposal, if any. */
  proposal: { id: string; to: number } | null;
}

/** One agent's row. */
export interface GridRow {
  agentId: string;
  owner: string;
  /** A freeze on this agent (run-time kill switch) or on everyone. */
  freeze: { cap: number; by: string; reason: string; at: string; scope: 'agent' | 'all' } | null;
  /** Whether the running canary rolls the next policy out to this agent. */
  inCanary: boolean;
  /** Whether the agent's ledger could not be read (the cells then show the policy's declaration). */
  ledgerUnreadable: boolean;
  cells: GridCell[];
}

/** A task class's column header. */
export interface GridColumn {
  taskClass: string;
  /** The policy's cap for the class. */
  cap: number;
  /** A scope reduction for every agent (a class rollback trigger), if engaged. */
  runtimeCap: { cap: number; by: string; reason: string; at: string } | null;
}

/** The whole grid. */
export interface GridView {
  policyVersion: string;
  columns: GridColumn[];
  rows: GridRow[];
  /** The policy file's own kill switch, when engaged. */
  policyKillSwitch: { cap: number; agents: string[] | null } | null;
  canary: CanaryState | null;
}

/** A ledger read: the state, `null` before the agent's first evidence, or `'error'` when the query failed. */
export type LedgerRead = LedgerState | null | 'error';

/**
 * Shapes the grid. Pure.
 *
 * @param ledgers - each agent's ledger read; agents missing from the map count as having none.
 */
export function gridOf(
  policy: LoadedPolicy,
  ledgers: ReadonlyMap<string, LedgerRead>,
  killSwitch: KillSwitchState | null,
  canary: CanaryState | null,
): GridView {
  const classes = Object.keys(policy.taskClasses);
  const columns: GridColumn[] = classes.map((taskClass) => ({
    taskClass,
    cap: policy.taskClasses[taskClass].cap,
    runtimeCap: killSwitch?.classes[taskClass] ?? null,
  }));
  const canaryRunning = canary !== null && canary.status === 'running';
  const rows: GridRow[] = Object.entries(policy.agents).map(([agentId, agent]) => {
    const read = ledgers.get(agentId) ?? null;
    const ledger = read === 'error' ? null : read;
    const state = agentStateFrom(policy, agentId, ledger ? ledgerViewOf(ledger) : null, killSwitch);
    const cells = classes.map((taskClass): GridCell => {
      const decision = decide(
        policy,
        state,
        {
          agent: { id: agentId, model: agent.model, promptVersion: agent.promptVersion },
          taskClass,
          environment: policy.taskClasses[taskClass].bounds?.environments?.[0] ?? '',
          steps: [],
          title: '',
        },
        { countToday: 0, costTodayUsd: 0 },
      );
      // A pin or a bound depends on the task's own steps and environment, not on the agent.
      const reasons = decision.reasons.filter((r) => !r.rule.startsWith('pin:') && r.rule !== 'bounds');
      const effective = Math.min(decision.earnedRung, ...reasons.map((r) => r.ceiling)) as Rung;
      const open = ledger ? openProposal(ledger, taskClass) : undefined;
      return {
        taskClass,
        earned: decision.earnedRung,
        declared: !ledger?.classes[taskClass],
        effective,
        reasons,
        proposal: open ? { id: open.id, to: open.to } : null,
      };
    });
    const own = killSwitch?.agents[agentId];
    const all = killSwitch?.all;
    const freeze = own
      ? { cap: own.cap, by: own.by, reason: own.reason, at: own.at, scope: 'agent' as const }
      : all
        ? { cap: all.cap, by: all.by, reason: all.reason, at: all.at, scope: 'all' as const }
        : null;
    return {
      agentId,
      owner: agent.owner,
      freeze,
      inCanary: canaryRunning && canary.agents.includes(agentId),
      ledgerUnreadable: read === 'error',
      cells,
    };
  });
  const ks = policy.killSwitch;
  return {
    policyVersion: policy.versionId,
    columns,
    rows,
    policyKillSwitch: ks.engaged ? { cap: ks.cap, agents: ks.agents ?? null } : null,
    canary,
  };
}
