import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import type { DrillResult } from '../activities/drill-activities';
import { ActivityProfiles } from './activity-profiles';
import type { DrillInput } from './messages';
import { pinToStartingVersion } from './worker-versioning';

const acting = proxyActivities<LadderActivities>(ActivityProfiles.action);

/**
 * A rollback drill (`ladder drill <agent> <class>`): executes every action type of the class in a
 * safe scope and deliberately compensates it, then reports to the agent's ledger. A passed drill is
 * the infrastructure evidence promotion into rung 4 requires.
 */
export async function rollbackDrill(input: DrillInput): Promise<DrillResult> {
  return acting.rollbackDrill({
    agentId: input.agentId,
    taskClass: input.taskClass,
    drillId: workflowInfo().workflowId.split('/').at(-1)!,
    by: input.by,
  });
}

// Worker versioning: a task finishes on the code it started with (workflows/worker-versioning.ts).
pinToStartingVersion(rollbackDrill);
