import type { LedgerState } from '../policy/ledger';
import { reduceLedger, type IdentifiedEvent, type LedgerEffect } from '../policy/ledger-reducer';
import type { LoadedPolicy } from '../policy/loader';
import type { ClassInfrastructure } from '../policy/trust-rules';
import type { ActionRegistry } from './actions/registry';

export interface LedgerActivityDeps {
  policy: () => LoadedPolicy;
  registry: ActionRegistry;
}

/**
 * What a task class has in place for the rungs above 2, from the policy and the action registry.
 * A passed rollback drill is per agent and class; drills are not run yet, so rung 4 cannot be
 * reached by promotion (it can still be declared in the policy).
 */
export function classInfrastructure(
  policy: LoadedPolicy,
  registry: ActionRegistry,
  taskClass: string,
): ClassInfrastructure {
  const cls = policy.taskClasses[taskClass];
  const known = new Set(registry.types());
  return {
    boundsDefined: cls?.bounds !== undefined,
    compensationForEveryAction: cls !== undefined && cls.actions.every((a) => known.has(a)),
    rollbackDrillPassed: false,
    reportWithReadSla: cls?.report !== undefined,
  };
}

/** Activities of the trust ledger workflow: judging evidence with the policy in force. */
export function createLedgerActivities(deps: LedgerActivityDeps) {
  return {
    /** Counts a batch of evidence and decides demotions and proposals with the current policy. */
    async judgeLedgerEvents(args: {
      state: LedgerState;
      events: IdentifiedEvent[];
    }): Promise<{ state: LedgerState; effects: LedgerEffect[] }> {
      const policy = deps.policy();
      return reduceLedger(args.state, args.events, {
        policy,
        infrastructure: (taskClass) => classInfrastructure(policy, deps.registry, taskClass),
        nowMs: Date.now(),
      });
    },

    /** The agent's owner, who hears about proposals and demotions. */
    async ledgerOwner(args: { agentId: string }): Promise<string | null> {
      return deps.policy().agents[args.agentId]?.owner ?? null;
    },
  };
}
