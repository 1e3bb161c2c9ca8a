import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { ActionRegistry } from '../activities/actions/registry';
import { classInfrastructure } from '../activities/ledger-activities';
import { createLedgerLink } from '../client/ledger-link';
import { submitTask, TaskIdTakenError, TaskValidationError } from '../client/submit-task';
import { grpcErrorIn } from '../client/grpc-errors';
import { createWaitingGauge, type Admission } from './waiting-gauge';
import { limitObjections, prototypeKeyObjections } from '../policy/limits';
import type { LoadedPolicy } from '../policy/loader';
import type { delegatedTask } from '../workflows/delegated-task';
import {
  statusQuery,
  taskWorkflowId,
  withdrawUpdate,
  type TaskResult,
  type TaskStatus,
} from '../workflows/messages';
import type { AgentApi } from './agent-api';
import { ApiProblem, fieldErrors, fieldErrorsFromLines, noSuchTask, type FieldError } from './problem';
import { submitTaskBodySchema, taskIdSchema, type TaskView } from './schemas';
import { rungsView, taskView } from './views';

/** What the service needs: a Temporal client (only Ladder's processes hold one), the policy, the actions. */
export interface AgentServiceDeps {
  client: Client;
  taskQueue: string;
  /** The policy in force now (reloaded on change). */
  policy: () => LoadedPolicy;
  actions: ActionRegistry;
  uiBaseUrl?: string;
  /** How long a submission waits for the rung decision before answering anyway. */
  decideTimeoutMs?: number;
}

/** The service layer behind the HTTP routes and the MCP tools: one {@link AgentApi} per authenticated agent. */
export interface AgentService {
  forAgent(agentId: string): AgentApi;
}

/**
 * A field error as the agent sent the field: the agent gives `model` and `promptVersion` at the
 * top level, which the service moves into the request's `agent` before validating it.
 */
const asSentByAgent = (e: FieldError): FieldError => ({
  ...e,
  path: e.path.replace(/^agent\.(model|promptVersion)\b/, '$1'),
});

/**
 * Builds the Temporal-backed agent service. Every task id is scoped to the agent: its workflow is
 * `task/<agent>/<taskId>`, so another agent's task is simply not found.
 */
export function createAgentService(deps: AgentServiceDeps): AgentService {
  const { client } = deps;
  const ledger = createLedgerLink({ client, taskQueue: deps.taskQueue });

  const notFound = noSuchTask;
  /**
   * A Temporal call that failed: 503 with Retry-After when Temporal did not answer (a gRPC error:
   * unreachable, overloaded, timed out), where a retry may pass; anything else is Ladder's own error,
   * rethrown so the server logs it and answers 500, never "retry" for what a retry cannot fix.
   */
  const unavailable = (err: unknown): Error =>
    grpcErrorIn(err) !== undefined
      ? new ApiProblem('unavailable', `Temporal did not answer: ${(err as Error).message}`, undefined, 5)
      : err instanceof Error
        ? err
        : new Error(String(err));

  const handleOf = (agentId: string, taskId: string): WorkflowHandle<typeof delegatedTask> => {
    if (!taskIdSchema.safeParse(taskId).success) throw notFound(taskId);
    return client.workflow.getHandle<typeof delegatedTask>(taskWorkflowId(agentId, taskId));
  };

  const statusOf = async (
    handle: WorkflowHandle<typeof delegatedTask>,
    taskId: string,
  ): Promise<TaskStatus> => {
    try {
      return await handle.query(statusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound(taskId);
      throw unavailable(err);
    }
  };

  const view = async (agentId: string, taskId: string): Promise<TaskView> => {
    const handle = handleOf(agentId, taskId);
    const status = await statusOf(handle, taskId);
    let result: TaskResult | null = null;
    if (status.phase === 'done') {
      // "done" is set just before the workflow returns: its result follows within moments.
      result = await client.withDeadline(Date.now() + 5_000, () => handle.result()).catch(() => null);
    }
    return taskView(taskId, status, result);
  };

  const waiting = createWaitingGauge(client, deps.taskQueue);
  /**
   * Refuses a new task while the agent already has `agentApi.maxWaiting` tasks waiting for people:
   * an agent in a loop would otherwise bury its approvers in requests at its request rate. A task
   * the agent submitted before (a retry of the same id) is never refused: it is answered as it is.
   */
  const admitUnderWaitingCap = async (
    agentId: string,
    taskId: string,
    policy: LoadedPolicy,
  ): Promise<(waits: boolean) => void> => {
    const cap = policy.agentApi.maxWaiting;
    let admission: Admission;
    try {
      admission = await waiting.admit(agentId, cap);
    } catch (err) {
      throw unavailable(err);
    }
    if (admission.admitted) return admission.settle;
    const count = admission.count;
    const existing = await handleOf(agentId, taskId)
      .describe()
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw unavailable(err);
        },
      );
    if (existing) return () => undefined;
    throw new ApiProblem(
      'rate-limited',
      `the task was NOT submitted: ${count} of your tasks already wait for a person's answer, and policy ${policy.versionId} allows ${cap} (agentApi.maxWaiting); submit again once people have answered, or withdraw one you no longer need`,
      undefined,
      60,
    );
  };

  return {
    forAgent(agentId: string): AgentApi {
      return {
        async submit(body) {
          const policy = deps.policy();
          const agent = policy.agents[agentId];
          if (!agent) {
            throw new ApiProblem(
              'forbidden',
              `agent "${agentId}" is not declared in policy ${policy.versionId}`,
            );
          }
          if (body !== null && typeof body === 'object' && !Array.isArray(body) && 'agent' in body) {
            throw new ApiProblem('invalid-request', 'the task was NOT submitted: leave out "agent"', [
              { path: 'agent', message: 'not accepted: the agent is whoever the bearer token belongs to' },
            ]);
          }
          // Size limits first, as at every entry point: a request too large to run is refused with
          // that alone, before a schema walks ten thousand steps.
          const size = limitObjections(body);
          if (size.fatal) {
            throw new ApiProblem(
              'invalid-request',
              'the task was NOT submitted: fix the fields named in errors',
              fieldErrorsFromLines(size.errors),
            );
          }
          // The schema drops keys named __proto__ without a word: look for them in what was sent.
          const protoKeys = fieldErrorsFromLines(prototypeKeyObjections(body));
          const parsed = submitTaskBodySchema.safeParse(body);
          if (!parsed.success || protoKeys.length > 0) {
            const shape = parsed.success ? [] : fieldErrors(parsed.error.issues);
            throw new ApiProblem(
              'invalid-request',
              'the task was NOT submitted: fix the fields named in errors',
              [...protoKeys, ...shape.filter((e) => !protoKeys.some((p) => p.path === e.path))],
            );
          }
          // Left out, the pair is the policy's declaration; sent, validateTaskRequest refuses one that
          // differs from it (as `model: …`), so the model-change demotion follows the policy.
          const { model, promptVersion, ...rest } = parsed.data;
          const raw = {
            ...rest,
            agent: {
              id: agentId,
              model: model ?? agent.model,
              promptVersion: promptVersion ?? agent.promptVersion,
            },
          };
          const settle = await admitUnderWaitingCap(agentId, rest.taskId, policy);
          let submission;
          try {
            submission = await submitTask(client, raw, {
              taskQueue: deps.taskQueue,
              policy,
              actions: deps.actions,
              uiBaseUrl: deps.uiBaseUrl,
              // Answer with the decision: the agent learns its rung (and whether a person must
              // approve) at once, from the start's own update rather than by polling.
              awaitDecisionMs: deps.decideTimeoutMs ?? 10_000,
            });
          } catch (err) {
            if (err instanceof TaskIdTakenError) throw new ApiProblem('task-id-taken', err.errors[0]);
            if (err instanceof TaskValidationError) {
              throw new ApiProblem(
                'invalid-request',
                'the task was NOT submitted: fix the fields named in errors',
                fieldErrorsFromLines(err.errors).map(asSentByAgent),
              );
            }
            throw unavailable(err);
          } finally {
            // The decision is answered before the question is posted: rung 0-2 means it will wait.
            const rung = submission?.decided?.decision?.effectiveRung;
            settle(submission !== undefined && !submission.existing && rung !== undefined && rung <= 2);
          }
          const task =
            submission.decided && submission.decided.phase !== 'done'
              ? taskView(rest.taskId, submission.decided, null)
              : await view(agentId, rest.taskId);
          return { existing: submission.existing, task };
        },

        get: (taskId) => view(agentId, taskId),

        async wait(taskId, timeoutSeconds) {
          const first = await view(agentId, taskId);
          if (first.done) return first;
          const handle = handleOf(agentId, taskId);
          // The deadline bounds the history long poll, so an abandoned wait leaves nothing behind.
          await client
            .withDeadline(Date.now() + timeoutSeconds * 1000, () => handle.result())
            .catch(() => undefined);
          return view(agentId, taskId);
        },

        async cancel(taskId) {
          const current = await view(agentId, taskId);
          if (current.phase === 'done') {
            throw new ApiProblem(
              'conflict',
              `task "${taskId}" already finished (${current.result?.outcome ?? 'done'})`,
            );
          }
          // Withdrawn by the workflow itself, which accepts it only while nothing can have run: a
          // cancel sent after the agent looked could otherwise cut short steps a person just approved.
          const handle = handleOf(agentId, taskId);
          try {
            await handle.executeUpdate(withdrawUpdate, { args: [{}] });
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) throw notFound(taskId);
            if (err instanceof WorkflowUpdateFailedError)
              throw new ApiProblem(
                'conflict',
                `task "${taskId}" ${(err.cause as Error | undefined)?.message ?? err.message}`,
              );
            throw unavailable(err);
          }
          // Accepted: the task closes its request and ends within moments, so the answer shows it
          // ended rather than the phase it was leaving (never longer than the deadline).
          await client.withDeadline(Date.now() + 5_000, () => handle.result()).catch(() => undefined);
          return view(agentId, taskId);
        },

        async rungs() {
          const policy = deps.policy();
          if (!policy.agents[agentId]) {
            throw new ApiProblem(
              'forbidden',
              `agent "${agentId}" is not declared in policy ${policy.versionId}`,
            );
          }
          let state;
          try {
            state = await ledger.read(agentId);
          } catch (err) {
            throw unavailable(err);
          }
          return rungsView(
            policy,
            agentId,
            state,
            (c) => classInfrastructure(policy, deps.actions, c),
            Date.now(),
          );
        },
      };
    },
  };
}
