import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LedgerState } from '../policy/ledger';
import { killSwitch } from '../workflows/kill-switch';
import { capClassSignal, killSwitchWorkflowId } from '../workflows/messages';
import { reduceLedger, type IdentifiedEvent, type LedgerEffect } from '../policy/ledger-reducer';
import type { LoadedPolicy } from '../policy/loader';
import type { ClassInfrastructure } from '../policy/trust-rules';
import type { ActionRegistry } from './actions/registry';
import type { CanaryLink } from '../client/canary-link';
import { entityStartOptions } from '../client/entity-start';
import type { LadderMetrics } from '../observability/ladder-metrics';
import type { ApproverWatchLink } from '../client/approver-watch';
import { ApprovedByKey } from '../workflows/search-attributes';

export interface LedgerActivityDeps {
  policy: () => LoadedPolicy;
  registry: ActionRegistry;
  client: Client;
  taskQueue: string;
  canary?: CanaryLink;
  /** The worker's metrics: rung changes, proposals and class rollbacks are counted when present. */
  metrics?: LadderMetrics;
  /** The rubber-stamp watches: a defect in approved work counts against whoever approved it. */
  approverWatch?: ApproverWatchLink;
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
/** A judged batch, with the channel of each task class its effects are told in. */
export interface JudgedLedgerEvents {
  state: LedgerState;
  effects: LedgerEffect[];
  /** Task class → its channel, for the classes the effects name (absent: the class has none). */
  channels: Record<string, string>;
  /** The agent's owner in the policy, who is told of its rung changes (null: none is named). */
  owner: string | null;
}

/** The channels of the task classes `effects` name, read from `policy` with the judgement. */
function channelsOf(policy: LoadedPolicy, effects: readonly LedgerEffect[]): Record<string, string> {
  const channels: Record<string, string> = {};
  for (const effect of effects) {
    const taskClass =
      effect.kind === 'demoted'
        ? effect.change.taskClass
        : effect.kind === 'proposed'
          ? effect.proposal.taskClass
          : effect.kind === 'class-rollback'
            ? effect.taskClass
            : effect.audit.taskClass;
    const channel = policy.taskClasses[taskClass]?.channel;
    if (channel) channels[taskClass] = channel;
  }
  return channels;
}

export function createLedgerActivities(deps: LedgerActivityDeps) {
  return {
    /** Counts a batch of evidence and decides demotions and proposals with the current policy. */
    async judgeLedgerEvents(args: {
      state: LedgerState;
      events: IdentifiedEvent[];
    }): Promise<JudgedLedgerEvents> {
      const policy = deps.policy();
      const judged = reduceLedger(args.state, args.events, {
        policy,
        infrastructure: (taskClass) => classInfrastructure(policy, deps.registry, taskClass),
        nowMs: Date.now(),
      });
      // A rollback trigger during a canary window reverts the canary if the agent is in it.
      for (const effect of judged.effects) {
        if (effect.kind === 'demoted')
          await deps.canary?.trigger(
            args.state.agentId,
            `${effect.change.taskClass}: ${effect.change.cause}`,
          );
        if (effect.kind === 'class-rollback') await deps.canary?.trigger(args.state.agentId, effect.cause);
      }
      // A defect in work a person approved counts against them in the class's watch (once per task,
      // however often a retry sends it). Who approved it is the task's ApprovedBy.
      if (deps.approverWatch && policy.approverWatch)
        for (const { event } of args.events) {
          if (event.kind !== 'defect') continue;
          const approver = await approverOf(deps.client, event.workflowId);
          if (approver)
            await deps.approverWatch.recordDefect(event.taskClass, {
              approver,
              workflowId: event.workflowId,
            });
        }
      // Counted once the canary is told: a failed trigger retries the activity, which judges again.
      for (const effect of judged.effects) {
        if (effect.kind === 'demoted')
          deps.metrics?.rungChange('demotion', effect.change.taskClass, effect.change.cause);
        if (effect.kind === 'proposed') deps.metrics?.promotionProposal(effect.proposal.taskClass, 'opened');
      }
      // Where the effects are told, read with the same policy: no lookups after the judgement.
      return {
        ...judged,
        channels: channelsOf(policy, judged.effects),
        owner: policy.agents[args.state.agentId]?.owner ?? null,
      };
    },

    /**
     * A person's answer to a promotion proposal has been applied by the ledger: counts the
     * promotion (or the declined proposal) in the worker's metrics. Nothing else; without metrics
     * it does nothing. Promotions are decided in the ledger workflow, where no metric can be kept.
     */
    async countProposalDecision(args: {
      taskClass: string;
      approved: boolean;
      /** The rung change's cause, when approved. */
      cause?: string;
    }): Promise<void> {
      deps.metrics?.promotionProposal(args.taskClass, args.approved ? 'approved' : 'declined');
      if (args.approved) deps.metrics?.rungChange('promotion', args.taskClass, args.cause ?? '');
    },

    /** Where a task class's people read: its channel (audits and class-wide notices go there). */
    async classChannel(args: { taskClass: string }): Promise<string | null> {
      return deps.policy().taskClasses[args.taskClass]?.channel ?? null;
    },

    /**
     * A class rollback trigger fired: cap the task class for every agent through the deployment's
     * kill switch (released by an admin with `ladder unfreeze --class`).
     */
    async capTaskClass(args: { taskClass: string; cap: number; cause: string; by: string }): Promise<void> {
      await deps.client.workflow.signalWithStart(killSwitch, {
        workflowId: killSwitchWorkflowId(deps.taskQueue),
        ...entityStartOptions(deps.taskQueue),
        args: [],
        signal: capClassSignal,
        signalArgs: [{ taskClass: args.taskClass, cap: args.cap, by: args.by, reason: args.cause }],
      });
      deps.metrics?.classRollback(args.taskClass, args.cause);
    },
  };
}

/** Who approved a task (its `ApprovedBy`), or null when nobody did or the task is gone. */
async function approverOf(client: Client, workflowId: string): Promise<string | null> {
  try {
    const described = await client.workflow.getHandle(workflowId).describe();
    return described.typedSearchAttributes.get(ApprovedByKey) ?? null;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
