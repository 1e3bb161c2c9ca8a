import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { killSwitch } from '../workflows/kill-switch';
import {
  freezeUpdate,
  KILL_SWITCH_MEMO,
  killSwitchQuery,
  killSwitchWorkflowId,
  uncapClassUpdate,
  unfreezeUpdate,
  type KillSwitchState,
  type Receipt,
} from '../workflows/messages';
import { answerEntity, type EntityCaller } from './entity-answer';
import { readPublished } from './published-state';

/** Raised when the kill switch refuses an answer (not an admin, no valid proof, unknown agent, bad cap). */
export class KillSwitchError extends Error {}

/** Where the kill switch lives, who vouches for the person flipping it, and how long to try. */
export type KillSwitchCaller = EntityCaller;

/**
 * Sends one signed answer to the deployment's kill switch, starting the switch if it has never run.
 * The workflow checks the proof and the admins of the last good policy the worker holds, so this
 * needs no policy file and works while the live file is invalid.
 */
function answerKillSwitch<A extends object>(
  client: Client,
  caller: KillSwitchCaller,
  update: UpdateDefinition<Receipt, [A]>,
  args: A,
): Promise<Receipt> {
  return answerEntity(
    client,
    {
      ...caller,
      workflowId: killSwitchWorkflowId(caller.taskQueue),
      workflow: killSwitch,
      whereToLook:
        '`/ladder status` in Slack (or `ladder kill-switch`) shows whether the kill switch is engaged',
    },
    update,
    args,
    (reason) => new KillSwitchError(reason),
  );
}

/**
 * Engages the run-time kill switch: every agent (no `agentId`) or one agent is capped at `cap` at
 * once. Tasks decide with it, and autonomous tasks that have not executed a step yet fall back to
 * confirmation before that step. Only the policy's admins may do it, with proof of who they are.
 *
 * @throws {KillSwitchError} for a non-admin, a missing or wrong proof, an unknown agent or a cap outside 0-5.
 */
export async function engageKillSwitch(
  client: Client,
  caller: KillSwitchCaller,
  freeze: { agentId?: string; cap: number; by: string; reason: string },
): Promise<Receipt> {
  if (!Number.isInteger(freeze.cap) || freeze.cap < 0 || freeze.cap > 5) {
    throw new KillSwitchError(`cap must be a whole number from 0 to 5, got ${freeze.cap}`);
  }
  if (!freeze.reason.trim()) throw new KillSwitchError('a kill switch needs a reason');
  return answerKillSwitch(client, caller, freezeUpdate, freeze);
}

/** Releases the freeze on every agent (no `agentId`) or on one agent. Admins only, with proof. */
export async function releaseKillSwitch(
  client: Client,
  caller: KillSwitchCaller,
  release: { agentId?: string; by: string },
): Promise<Receipt> {
  return answerKillSwitch(client, caller, unfreezeUpdate, release);
}

/**
 * The kill switch as it stands (nothing engaged when it was never used): every change committed
 * before the call is in it.
 */
export async function readKillSwitch(client: Client, taskQueue: string): Promise<KillSwitchState> {
  try {
    const handle = client.workflow.getHandle(killSwitchWorkflowId(taskQueue));
    return await readPublished(handle, KILL_SWITCH_MEMO, () => handle.query(killSwitchQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { all: null, agents: {}, classes: {} };
    throw err;
  }
}

/** Releases a task class whose scope a rollback trigger reduced for every agent. Admins only, with proof. */
export async function releaseClassCap(
  client: Client,
  caller: KillSwitchCaller,
  release: { taskClass: string; by: string },
): Promise<Receipt> {
  return answerKillSwitch(client, caller, uncapClassUpdate, release);
}
