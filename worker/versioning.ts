import type { WorkerDeploymentOptions } from '@temporalio/worker';
import type { WorkerDeploymentConfig } from '../config/env';

/**
 * The worker options of a versioned worker (Temporal worker deployment versioning, server 1.29+).
 *
 * Workflows default to AUTO_UPGRADE: the long-lived entity workflows (ledgers, kill switch, quota,
 * digests, feeds, token registry, policy history, canaries) move to the current version at their
 * next workflow task, so each run after their next continue-as-new starts there and an old version
 * never waits on workflows that do not end. Task workflows (delegatedTask, rollbackDrill,
 * selfCheck) declare PINNED in their own files (workflows/worker-versioning.ts): each finishes on
 * the code it started with, and the old version's workers stay until its last one closes (the
 * version drains). Server 1.29.1 has no upgrade-on-continue-as-new for pinned workflows, so
 * AUTO_UPGRADE is how entities move; a change to entity code still needs `patched()`.
 *
 * Why the default is AUTO_UPGRADE and not PINNED: the server refuses a per-workflow behavior from
 * an unversioned worker, so only the versioned case may carry one; with AUTO_UPGRADE as the
 * default the entities need no declaration at all, and an entity started before versioning was
 * turned on moves like any other.
 *
 * @param deployment - the deployment name and build id (`LADDER_WORKER_DEPLOYMENT`, `LADDER_WORKER_BUILD_ID`).
 * @returns the options for `Worker.create({ workerDeploymentOptions })`.
 */
export function versionedWorkerOptions(deployment: WorkerDeploymentConfig): WorkerDeploymentOptions {
  return {
    version: { deploymentName: deployment.deploymentName, buildId: deployment.buildId },
    useWorkerVersioning: true,
    defaultVersioningBehavior: 'AUTO_UPGRADE',
  };
}
