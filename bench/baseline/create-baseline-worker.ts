// The baseline's worker as both its process (worker-main.ts) and the tests build it.
import type { Client } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import type { Notifier } from '../../activities/notify/notifier';
import type { WorkerTuning } from '../../config/env';
import type { Logger } from '../../config/logger';
import type { LoadedPolicy } from '../../policy/loader';
import { createLadderWorker, type LadderWorker } from '../../worker/create-worker';
import { benchActivityDeps, type BenchDirs } from '../ladder-activity-deps';
import { createBaselineActivities } from './activities';

/**
 * Builds the bare workflows' worker with Ladder's own `createLadderWorker`, so whatever worker
 * options Ladder's worker gets (cache size, concurrency, pollers) the baseline gets too; only its
 * workflows and activities are its own (its activities are spread last), and it polls no entity
 * queue: it has no entities. Not started.
 *
 * @param options.workflows - the baseline's workflow bundle, as a file or as code.
 * @param options.policy - only to satisfy Ladder's activity dependencies; the bare workflows read none.
 */
export async function createBaselineWorker(options: {
  connection: NativeConnection;
  client: Client;
  taskQueue: string;
  workflows: { bundlePath: string } | { bundleCode: string };
  notifier: Notifier;
  dirs: BenchDirs;
  policy: LoadedPolicy;
  tuning?: WorkerTuning;
  log?: Logger;
  /** How long a stopping worker lets activities finish (the SDK's default unless given). */
  shutdownGraceTime?: Duration;
}): Promise<LadderWorker> {
  const { client, taskQueue, notifier, dirs } = options;
  const { registry, activityDeps } = benchActivityDeps(options);
  return createLadderWorker({
    connection: options.connection,
    namespace: 'default',
    taskQueue,
    workflows: options.workflows,
    ...(options.tuning ? { tuning: options.tuning } : {}),
    activityDeps,
    workerOptions: {
      activities: createBaselineActivities({ registry, notifier, client, ...dirs }),
      ...(options.shutdownGraceTime ? { shutdownGraceTime: options.shutdownGraceTime } : {}),
    },
    entities: false,
  });
}
