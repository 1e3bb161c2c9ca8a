import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { LadderActivities, WorkerDescription } from '../activities';
import { ActivityProfiles } from './activity-profiles';
import { pinToStartingVersion } from './worker-versioning';

const { describeWorker } = proxyActivities<LadderActivities>(ActivityProfiles.quick);

/** Result of {@link selfCheck}: which workflow ran and which worker answered its activity. */
export interface SelfCheckResult {
  workflowId: string;
  taskQueue: string;
  worker: WorkerDescription;
}

/**
 * Runs one activity through the worker so start-up (and tests) can prove the whole path works:
 * server → workflow task → activity task → result.
 */
export async function selfCheck(): Promise<SelfCheckResult> {
  const info = workflowInfo();
  const worker = await describeWorker();
  return { workflowId: info.workflowId, taskQueue: info.taskQueue, worker };
}

// Worker versioning: a task finishes on the code it started with (workflows/worker-versioning.ts).
pinToStartingVersion(selfCheck);
