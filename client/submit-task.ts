import { createHash } from 'node:crypto';
import { status as grpcStatus } from '@grpc/grpc-js';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { LoadedPolicy } from '../policy/loader';
import type { TaskRequest } from '../policy/task';
import { maySubmitFor, SUBMITTERS_RULE } from '../policy/submitters';
import { validateTaskRequest, type ActionParamsValidator } from '../policy/validate-task';
import { delegatedTask } from '../workflows/delegated-task';
import {
  awaitDecisionUpdate,
  taskWorkflowId,
  type DelegatedTaskInput,
  type TaskStatus,
} from '../workflows/messages';
import { AgentIdKey, TaskClassKey } from '../workflows/search-attributes';
import { canonicalJson } from '../policy/canonical-json';
import { grpcErrorIn } from './grpc-errors';
import { taskStaticDetails, taskSummary } from '../workflows/task-story';

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
  /**
   * Wait this long (ms) for the task's rung decision and return it with the submission: the start
   * carries an update that answers once the task has decided (one round trip, no polling). Without
   * it, the submission returns as soon as the workflow is started.
   */
  awaitDecisionMs?: number;
}

export interface Submission {
  workflowId: string;
  handle: WorkflowHandle<typeof delegatedTask>;
  task: TaskRequest;
  /** True when a workflow with this task id already existed: nothing new was started. */
  existing: boolean;
  /**
   * With `awaitDecisionMs`: the task's status once decided, or null when it had not decided in that
   * time (or had already closed).
   */
  decided?: TaskStatus | null;
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
  const startOptions = {
    workflowId,
    taskQueue: options.taskQueue,
    args: [{ task, stepsHash: stepsHash(task.steps), uiBaseUrl: options.uiBaseUrl }] as [DelegatedTaskInput],
    // A task id names one task forever: a second submission, running or closed, finds the first.
    workflowIdConflictPolicy: 'FAIL' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: AgentIdKey, value: task.agent.id },
      { key: TaskClassKey, value: task.taskClass },
    ],
    // The Temporal UI renders these as Markdown, and the title and steps are the agent's own text:
    // both are made inert. How the task stands or ended is in its current details (the workflow's).
    staticSummary: taskSummary(task),
    staticDetails: taskStaticDetails(task),
  };
  const handle = client.workflow.getHandle<typeof delegatedTask>(workflowId);
  const waitMs = options.awaitDecisionMs;
  try {
    if (waitMs === undefined) {
      await client.workflow.start(delegatedTask, startOptions);
      return { workflowId, handle, task, existing: false };
    }
    const decided = await withinMs(client, waitMs, () =>
      client.workflow.executeUpdateWithStart(awaitDecisionUpdate, {
        startWorkflowOperation: new WithStartWorkflowOperation(delegatedTask, startOptions),
      }),
    );
    return { workflowId, handle, task, existing: false, decided };
  } catch (err) {
    if (!isAlreadyStarted(err)) throw err;
    if (waitMs === undefined) return { workflowId, handle, task, existing: true };
    // The first submission's workflow: its decision if it is still running, else nothing to wait for.
    const decided = await withinMs(client, waitMs, () => handle.executeUpdate(awaitDecisionUpdate)).catch(
      (e: unknown) => {
        if (e instanceof WorkflowUpdateFailedError || e instanceof WorkflowNotFoundError) return null;
        throw e;
      },
    );
    return { workflowId, handle, task, existing: true, decided };
  }
}

function isAlreadyStarted(err: unknown): boolean {
  return (
    err instanceof WorkflowExecutionAlreadyStartedError ||
    (err as { cause?: unknown } | null)?.cause instanceof WorkflowExecutionAlreadyStartedError
  );
}

/** Runs `call` with a deadline of `ms`; null when the deadline passes first. */
async function withinMs<T>(client: Client, ms: number, call: () => Promise<T>): Promise<T | null> {
  try {
    return await client.withDeadline(Date.now() + ms, call);
  } catch (err) {
    if (isDeadlineExceeded(err)) return null;
    throw err;
  }
}

function isDeadlineExceeded(err: unknown): boolean {
  return grpcErrorIn(err)?.code === grpcStatus.DEADLINE_EXCEEDED;
}
