import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LoadedPolicy } from '../policy/loader';
import { killSwitch } from '../workflows/kill-switch';
import {
  freezeSignal,
  killSwitchQuery,
  uncapClassSignal,
  killSwitchWorkflowId,
  unfreezeSignal,
  type KillSwitchState,
} from '../workflows/messages';

/** Raised when the caller may not flip the kill switch or names something the policy does not know. */
export class KillSwitchError extends Error {}

function checkAuthority(policy: LoadedPolicy, by: string, agentId: string | undefined): void {
  if (!policy.admins.includes(by)) {
    throw new KillSwitchError(
      `${by} is not an admin in policy ${policy.versionId} (admins: ${policy.admins.join(', ')})`,
    );
  }
  if (agentId !== undefined && !policy.agents[agentId]) {
    throw new KillSwitchError(
      `unknown agent "${agentId}" (declared: ${Object.keys(policy.agents).join(', ')})`,
    );
  }
}

/**
 * Engages the run-time kill switch: every agent (no `agentId`) or one agent is capped at `cap` at
 * once. Tasks decide with it, and autonomous tasks that have not executed a step yet fall back to
 * confirmation before that step. Only the policy's admins may do it.
 *
 * @throws {KillSwitchError} for a non-admin, an unknown agent or a cap outside 0-5.
 */
export async function engageKillSwitch(
  client: Client,
  options: { taskQueue: string; policy: LoadedPolicy },
  freeze: { agentId?: string; cap: number; by: string; reason: string },
): Promise<void> {
  checkAuthority(options.policy, freeze.by, freeze.agentId);
  if (!Number.isInteger(freeze.cap) || freeze.cap < 0 || freeze.cap > 5) {
    throw new KillSwitchError(`cap must be a whole number from 0 to 5, got ${freeze.cap}`);
  }
  if (!freeze.reason.trim()) throw new KillSwitchError('a kill switch needs a reason');
  await client.workflow.signalWithStart(killSwitch, {
    workflowId: killSwitchWorkflowId(options.taskQueue),
    taskQueue: options.taskQueue,
    args: [],
    signal: freezeSignal,
    signalArgs: [freeze],
  });
}

/** Releases the freeze on every agent (no `agentId`) or on one agent. Admins only. */
export async function releaseKillSwitch(
  client: Client,
  options: { taskQueue: string; policy: LoadedPolicy },
  release: { agentId?: string; by: string },
): Promise<void> {
  checkAuthority(options.policy, release.by, release.agentId);
  await client.workflow.signalWithStart(killSwitch, {
    workflowId: killSwitchWorkflowId(options.taskQueue),
    taskQueue: options.taskQueue,
    args: [],
    signal: unfreezeSignal,
    signalArgs: [release],
  });
}

/** The kill switch as it stands (nothing engaged when it was never used). */
export async function readKillSwitch(client: Client, taskQueue: string): Promise<KillSwitchState> {
  try {
    return await client.workflow.getHandle(killSwitchWorkflowId(taskQueue)).query(killSwitchQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { all: null, agents: {} };
    throw err;
  }
}

/** Releases a task class whose scope a rollback trigger reduced for every agent. Admins only. */
export async function releaseClassCap(
  client: Client,
  options: { taskQueue: string; policy: LoadedPolicy },
  release: { taskClass: string; by: string },
): Promise<void> {
  checkAuthority(options.policy, release.by, undefined);
  if (!options.policy.taskClasses[release.taskClass]) {
    throw new KillSwitchError(
      `unknown task class "${release.taskClass}" (declared: ${Object.keys(options.policy.taskClasses).join(', ')})`,
    );
  }
  await client.workflow.signalWithStart(killSwitch, {
    workflowId: killSwitchWorkflowId(options.taskQueue),
    taskQueue: options.taskQueue,
    args: [],
    signal: uncapClassSignal,
    signalArgs: [release],
  });
}
