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
  statusQuery,
  submittedRequestQuery,
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

/**
 * Raised when a task id already names a task that asked for something else: nothing new was
 * started, and the first task is unchanged. A retry must send the same request.
 */
export class TaskIdTakenError extends TaskValidationError {
  constructor(
    readonly taskId: string,
    readonly differing: string[],
  ) {
    super([
      `taskId: "${taskId}" already names a task that asked for something else (${differing.join(', ')} ${differing.length === 1 ? 'differs' : 'differ'}); nothing was started: send the same request to retry it, or use a new task id`,
    ]);
    this.name = 'TaskIdTakenError';
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
  // Over the API too: the requester may answer the task's suggestion and read its report, so an
  // agent naming anyone would choose who gives its evidence.
  if (!maySubmitFor(options.policy, task.requester, task.agent.id, task.taskClass)) {
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
    await refuseAnotherRequest(handle, task);
    if (waitMs === undefined) return { workflowId, handle, task, existing: true };
    const decided = await withinMs(client, waitMs, () => decisionOfRetry(handle)).catch((e: unknown) => {
      if (e instanceof WorkflowUpdateFailedError || e instanceof WorkflowNotFoundError) return null;
      throw e;
    });
    return { workflowId, handle, task, existing: true, decided };
  }
}

/**
 * The update id every retry waits for the decision under: the server answers a repeated id from the
 * first, so retries add one update to the task's history at most. A new update per retry filled the
 * run's cap (2,000), after which no person could answer the task, nor the agent withdraw it.
 */
export const RETRY_DECISION_UPDATE_ID = 'retry-await-decision';

/** The first submission's decision: read from its status once made (a query writes nothing), else waited for. */
async function decisionOfRetry(handle: WorkflowHandle<typeof delegatedTask>): Promise<TaskStatus> {
  const status = await handle.query(statusQuery);
  if (status.decision !== null || status.phase === 'done') return status;
  return handle.executeUpdate(awaitDecisionUpdate, { updateId: RETRY_DECISION_UPDATE_ID });
}

/**
 * Throws {@link TaskIdTakenError} unless the task `handle` runs asked for exactly `task`: a task id
 * names one task, and an agent that reused one for new work would otherwise lose it silently.
 */
async function refuseAnotherRequest(
  handle: WorkflowHandle<typeof delegatedTask>,
  task: TaskRequest,
): Promise<void> {
  const first = await handle.query(submittedRequestQuery).catch((e: unknown) => {
    if (e instanceof WorkflowNotFoundError) return null;
    throw e;
  });
  if (first === null) return;
  const fields = [...new Set([...Object.keys(first), ...Object.keys(task)])].sort();
  const differing = fields.filter(
    (f) =>
      canonicalJson((first as Record<string, unknown>)[f] ?? null) !==
      canonicalJson((task as Record<string, unknown>)[f] ?? null),
  );
  if (differing.length > 0) throw new TaskIdTakenError(task.taskId, differing);
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
