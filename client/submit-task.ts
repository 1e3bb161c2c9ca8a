import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { LoadedPolicy } from '../policy/loader';
import type { TaskRequest } from '../policy/task';
import { maySubmitFor, SUBMITTERS_RULE } from '../policy/submitters';
import { validateTaskRequest, type ActionParamsValidator } from '../policy/validate-task';
import { delegatedTask } from '../workflows/delegated-task';
import { taskWorkflowId } from '../workflows/messages';
import { AgentIdKey, TaskClassKey } from '../workflows/search-attributes';
import { canonicalJson } from '../policy/canonical-json';
import { inertMarkdown, TEMPORAL_SUMMARY_MAX_BYTES } from './ui-text';

/** Raised when a submission is invalid; no workflow was started. `errors` names every problem with its path. */
export class TaskValidationError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid task request:\n${errors.map((e) => `  ${e}`).join('\n')}`);
    this.name = 'TaskValidationError';
  }
}

export { canonicalJson };

/** SHA-256 (hex) of the task's exact steps; approvals must carry it. */
export function stepsHash(steps: TaskRequest['steps']): string {
  return createHash('sha256').update(canonicalJson(steps)).digest('hex');
}

export interface SubmitOptions {
  taskQueue: string;
  policy: LoadedPolicy;
  actions: ActionParamsValidator;
  /** Temporal UI base URL for links in messages. */
  uiBaseUrl?: string;
  /**
   * Who submits: `person` (default: Slack, the CLI) means the task's `requester` is submitting on
   * the agent's behalf and must be allowed to ({@link maySubmitFor}); `agent` means the agent itself,
   * authenticated by its own token (the HTTP API), with `requester` saying who asked it.
   */
  via?: 'person' | 'agent';
}

export interface Submission {
  workflowId: string;
  handle: WorkflowHandle<typeof delegatedTask>;
  task: TaskRequest;
  /** True when a workflow with this task id already existed: nothing new was started. */
  existing: boolean;
}

/**
 * Validates a task request completely and starts its workflow `task/<agent>/<taskId>`. Submitting
 * the same task id again returns the same workflow instead of starting a second one.
 *
 * @throws {TaskValidationError} before anything starts, naming every problem.
 */
export async function submitTask(client: Client, raw: unknown, options: SubmitOptions): Promise<Submission> {
  const checked = validateTaskRequest(raw, options.policy, options.actions);
  if (!checked.ok) throw new TaskValidationError(checked.errors);
  const task = checked.task;
  if (
    options.via !== 'agent' &&
    !maySubmitFor(options.policy, task.requester, task.agent.id, task.taskClass)
  ) {
    throw new TaskValidationError([
      `requester: ${task.requester} may not submit tasks for ${task.agent.id} in ${task.taskClass} (${SUBMITTERS_RULE})`,
    ]);
  }
  const workflowId = taskWorkflowId(task.agent.id, task.taskId);
  const existingHandle = client.workflow.getHandle<typeof delegatedTask>(workflowId);
  try {
    await existingHandle.describe();
    return { workflowId, handle: existingHandle, task, existing: true };
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  try {
    // USE_EXISTING covers a concurrent submission of the same id between the check above and here.
    const handle = await client.workflow.start(delegatedTask, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [{ task, stepsHash: stepsHash(task.steps), uiBaseUrl: options.uiBaseUrl }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: AgentIdKey, value: task.agent.id },
        { key: TaskClassKey, value: task.taskClass },
      ],
      // The Temporal UI renders this as Markdown, and the title is the agent's own text.
      staticSummary: inertMarkdown(
        `${task.agent.id} · ${task.taskClass} · ${task.environment}: ${task.title}`,
        TEMPORAL_SUMMARY_MAX_BYTES,
      ),
    });
    return { workflowId, handle, task, existing: false };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      return { workflowId, handle: existingHandle, task, existing: true };
    throw err;
  }
}
