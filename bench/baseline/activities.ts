import { Context } from '@temporalio/activity';
import type { ActionRegistry } from '../../activities/actions/registry';
import type { Notification, Notifier } from '../../activities/notify/notifier';

/** What the baseline's activities use: Ladder's own action registry and notifier, and its folders. */
export interface BaselineActivityDeps {
  registry: ActionRegistry;
  notifier: Notifier;
  workspaceRoot: string;
  sandboxDir: string;
  stateDir: string;
}

/**
 * The baseline's two activities: one step through Ladder's action handler (`execute`, with the
 * same idempotency key Ladder gives it), and one message through Ladder's notifier.
 */
export function createBaselineActivities(deps: BaselineActivityDeps) {
  return {
    /** Runs the step's handler once; returns its undo record, as Ladder's executeStep does. */
    async baselineExecute(ref: {
      workflowId: string;
      index: number;
      step: { action: string; params: Record<string, unknown> };
    }): Promise<unknown> {
      const handler = deps.registry.get(ref.step.action);
      return handler.execute(handler.params.parse(ref.step.params), {
        idempotencyKey: `${ref.workflowId}#${ref.index}`,
        workspaceRoot: deps.workspaceRoot,
        sandboxDir: deps.sandboxDir,
        stateDir: deps.stateDir,
        signal: Context.current().cancellationSignal,
      });
    },

    /** Posts one message once per key; returns its ref. */
    async baselinePost(args: { key: string; notification: Notification }): Promise<string> {
      const { ref } = await deps.notifier.post(args.key, args.notification, Context.current().info.attempt);
      return ref;
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
