import type { WorkflowDefinitionOptions } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';

/**
 * PINNED when the worker running this workflow polls as a deployment version, nothing otherwise.
 *
 * Why conditional: server 1.29.1 refuses a workflow task completed with a versioning behavior by a
 * worker that is not versioned ("versioning behavior cannot be specified without deployment options
 * being set with versioned mode"), and an unversioned worker is the default (worker/versioning.ts).
 * Read once per run and worker, at its first activation: a fresh run there sees the worker's own
 * version; a replay sees the version recorded for the run's first workflow task, which for a run
 * pinned to a version is that same version.
 */
function pinnedWhenVersioned(): WorkflowDefinitionOptions {
  return workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {};
}

/**
 * Marks a task workflow to finish on the worker deployment version it started on (a rolling upgrade
 * never replays a half-done task on changed code). Versioned workers default every other workflow
 * (the long-lived entities) to AUTO_UPGRADE. Call once, at the end of the workflow's own file.
 *
 * @param workflow - the exported workflow function.
 */
export function pinToStartingVersion<A extends unknown[], R>(workflow: (...args: A) => Promise<R>): void {
  setWorkflowOptions(pinnedWhenVersioned, workflow);
}
