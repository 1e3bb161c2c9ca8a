import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { createFreshReads } from '../../client/fresh-reads';
import type { ActionRegistry } from '../../activities/actions/registry';
import type { Notification, Notifier } from '../../activities/notify/notifier';

/** What the baseline's activities use: Ladder's own action registry and notifier, and its folders. */
export interface BaselineActivityDeps {
  registry: ActionRegistry;
  notifier: Notifier;
  workspaceRoot: string;
  sandboxDir: string;
  stateDir: string;
  /** Reads the state the guarded workflow's decision and re-check read (by describe). */
  client: Client;
}

/**
 * Reads a workflow's state the cheapest way Temporal offers, as Ladder reads its entities' memo:
 * one describe; a workflow that does not exist (a kill switch never engaged) reads as nothing.
 */
async function describeOnce(client: Client, workflowId: string): Promise<void> {
  try {
    await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/**
 * The baseline's two activities: one step through Ladder's action handler (`execute`, with the
 * same idempotency key Ladder gives it), and one message through Ladder's notifier.
 */
export function createBaselineActivities(deps: BaselineActivityDeps) {
  // Coalesced as Ladder's entity reads are: one in flight per workflow, each caller served by a
  // read that began after it asked.
  const reads = createFreshReads((workflowId) => describeOnce(deps.client, workflowId));
  return {
    /**
     * Runs the step's handler once; returns its undo record, as Ladder's executeStep does. With
     * `recheckWorkflowId` (the guarded workflow), reads that workflow's state first.
     */
    async baselineExecute(ref: {
      workflowId: string;
      index: number;
      step: { action: string; params: Record<string, unknown> };
      recheckWorkflowId?: string;
    }): Promise<unknown> {
      if (ref.recheckWorkflowId !== undefined) await reads.read(ref.recheckWorkflowId);
      const handler = deps.registry.get(ref.step.action);
      return handler.execute(handler.params.parse(ref.step.params), {
        idempotencyKey: `${ref.workflowId}#${ref.index}`,
        workspaceRoot: deps.workspaceRoot,
        sandboxDir: deps.sandboxDir,
        stateDir: deps.stateDir,
        signal: Context.current().cancellationSignal,
      });
    },

    /**
     * The guarded workflow's decision (a local activity): reads every workflow of `readWorkflowIds`
     * (Ladder's kill switch and the agent's ledger) at once and returns rung 3 with `bytes` of
     * reasons, the size of Ladder's decision.
     */
    async baselineDecide(args: {
      readWorkflowIds: string[];
      bytes: number;
    }): Promise<{ rung: number; reasons: string }> {
      await Promise.all(args.readWorkflowIds.map((id) => reads.read(id)));
      return { rung: 3, reasons: 'r'.repeat(Math.max(0, args.bytes)) };
    },

    /** Posts one message once per key; returns its ref. */
    async baselinePost(args: { key: string; notification: Notification }): Promise<string> {
      const { ref } = await deps.notifier.post(args.key, args.notification, Context.current().info.attempt);
      return ref;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
