import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { canaryAgents, type CanaryState } from '../policy/canary';
import type { LoadedPolicy } from '../policy/loader';
import { canaryQuery, canaryTriggerSignal, canaryWorkflowId } from '../workflows/messages';
import { policyCanary } from '../workflows/policy-canary';
import { entityStartOptions } from './entity-start';

/** How activities, the CLI and Slack reach a policy canary. */
export interface CanaryLink {
  /**
   * The policy that applies to an agent now: the next version while a canary runs for it (or
   * after the canary was promoted), else the current one. Starts the canary on first use.
   */
  policyFor(agentId: string): Promise<LoadedPolicy>;
  /** A rollback trigger fired for an agent: a running canary it is part of is reverted. */
  trigger(agentId: string, cause: string): Promise<void>;
  /** The canary's state, or null when the policy declares none. */
  state(): Promise<CanaryState | null>;
}

/**
 * A {@link CanaryLink} over a Temporal client and the policies in force: `current()` (the file's)
 * and `next()` (the version its `canary.policy` names, or null).
 */
export function createCanaryLink(options: {
  client: Client;
  taskQueue: string;
  current: () => LoadedPolicy;
  next: () => LoadedPolicy | null;
}): CanaryLink {
  const { client, taskQueue } = options;
  const read = async (current: LoadedPolicy, next: LoadedPolicy): Promise<CanaryState> => {
    const workflowId = canaryWorkflowId(taskQueue, next.versionId);
    try {
      return await client.workflow.getHandle(workflowId).query(canaryQuery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    // First use of this next version: start its canary (a concurrent start gets the same one).
    await client.workflow.start(policyCanary, {
      workflowId,
      ...entityStartOptions(taskQueue),
      args: [
        {
          nextVersionId: next.versionId,
          currentVersionId: current.versionId,
          agents: canaryAgents(current),
          windowMs: current.canary!.window,
        },
      ],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `canary of policy ${next.versionId}`,
    });
    return client.workflow.getHandle(workflowId).query(canaryQuery);
  };
  return {
    async policyFor(agentId) {
      const current = options.current();
      const next = options.next();
      if (!next || !current.canary) return current;
      const state = await read(current, next);
      if (state.status === 'promoted') return next;
      if (state.status === 'running' && state.agents.includes(agentId)) return next;
      return current;
    },
    async trigger(agentId, cause) {
      const current = options.current();
      const next = options.next();
      if (!next || !current.canary) return;
      const state = await read(current, next);
      if (state.status !== 'running' || !state.agents.includes(agentId)) return;
      await client.workflow
        .getHandle(canaryWorkflowId(taskQueue, next.versionId))
        .signal(canaryTriggerSignal, {
          agentId,
          cause,
        });
    },
    async state() {
      const current = options.current();
      const next = options.next();
      if (!next || !current.canary) return null;
      return read(current, next);
    },
  };
}
