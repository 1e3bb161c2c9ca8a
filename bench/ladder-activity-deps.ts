// What a bench's worker gives Ladder's activities when it runs outside the run command: no real
// outcome store, the bench's own folders and notifier. Shared by the baseline worker and
// bench:announce-burst.
import type { Client } from '@temporalio/client';
import { createActionRegistry, type ActionRegistry } from '../activities/actions/registry';
import type { Notifier } from '../activities/notify/notifier';
import { RecordingOutcomes } from '../activities/outcomes';
import type { Logger } from '../config/logger';
import type { LoadedPolicy } from '../policy/loader';
import type { LadderWorkerOptions } from '../worker/create-worker';

/** A bench worker's folders: where steps write, the sandbox, and the effects' state. */
export interface BenchDirs {
  workspaceRoot: string;
  sandboxDir: string;
  stateDir: string;
}

/**
 * Ladder's activity dependencies for a bench worker, with the action registry they hold (for
 * activities of the bench's own that run the same actions). Outcomes are recorded in memory.
 */
export function benchActivityDeps(options: {
  policy: LoadedPolicy;
  client: Client;
  taskQueue: string;
  dirs: BenchDirs;
  notifier: Notifier;
  log?: Logger;
}): { registry: ActionRegistry; activityDeps: LadderWorkerOptions['activityDeps'] } {
  const registry = createActionRegistry();
  const { policy, client, taskQueue, dirs, notifier } = options;
  return {
    registry,
    activityDeps: {
      policy: () => policy,
      registry,
      client,
      taskQueue,
      ...dirs,
      notifier,
      outcomes: new RecordingOutcomes(options.log?.child({ component: 'outcomes' })),
    },
  };
}
