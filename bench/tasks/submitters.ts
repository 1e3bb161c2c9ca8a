import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask, TaskValidationError } from '../../client/submit-task';
import { killSwitchWorkflowId, ledgerWorkflowId, taskWorkflowId } from '../../workflows/messages';
import { AgentIdKey, TaskClassKey } from '../../workflows/search-attributes';
import { baselineGuardedTask, baselineTask } from '../baseline/workflows';
import { isLadderSide, type Side } from './figures';
import { BENCH } from './policy';
import { sleep } from './pool';
import { apiTaskBody, baselineInput, clientTaskRequest } from './requests';

/** Bytes of the guarded bare workflow's decision: about what Ladder's rung-3 decision marker carries. */
export const GUARDED_DECISION_BYTES = 3_500;
import type { BenchStack } from './stack';

/** Attempts per task before a refusal that may pass (503, 429, a dropped call) fails the batch. */
export const SUBMIT_ATTEMPTS = 10;
/** No attempt starts this long after a task's first one: an agent gives up on a service that slow. */
export const SUBMIT_BUDGET_MS = 60_000;

/** A refusal worth trying again later, as a well-behaved agent does; `afterMs` from Retry-After. */
export class TransientRefusal extends Error {
  constructor(
    readonly reason: string,
    readonly afterMs?: number,
  ) {
    super(reason);
    this.name = 'TransientRefusal';
  }
}

/** Statuses of the agent API that say "not now" rather than "no". */
const TRANSIENT_STATUSES = new Set([429, 502, 503, 504]);

/**
 * How long to wait before attempt `attempt + 1` (attempt counts from 1): the server's Retry-After
 * when it gave one (at most 10 s), else 0.5 s doubling. Pure.
 */
export function retryDelayMs(attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) return Math.min(10_000, retryAfterMs);
  return Math.min(10_000, 500 * 2 ** (attempt - 1));
}

/** Submissions that had to be tried again, and why (the refusal, shortened), for the report. */
export interface RetryLog {
  count: number;
  reasons: Record<string, number>;
}

/**
 * Runs `attempt` until it succeeds, retrying {@link TransientRefusal}s (noting each in `log`) up
 * to {@link SUBMIT_ATTEMPTS} attempts, none starting later than `budgetMs` after the first; any
 * other error fails at once.
 */
export async function withRetries(
  attempt: () => Promise<void>,
  log: RetryLog,
  budgetMs = SUBMIT_BUDGET_MS,
): Promise<void> {
  const started = Date.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof TransientRefusal) || n >= SUBMIT_ATTEMPTS) throw err;
      const delay = retryDelayMs(n, err.afterMs);
      if (Date.now() + delay - started > budgetMs) throw err;
      log.count++;
      const reason = err.reason.slice(0, 120);
      log.reasons[reason] = (log.reasons[reason] ?? 0) + 1;
      await sleep(delay);
    }
  }
}

/** Submits one task of a side by its index in the batch. */
export interface Submitter {
  submit(index: number): Promise<void>;
  idOf(index: number): string;
  /** Every workflow id of the batch starts with this. */
  prefix: string;
  retries: RetryLog;
}

/** An error from Temporal that a retry may get past (not a refusal of the request itself). */
function transientTemporalError(err: unknown): TransientRefusal {
  return new TransientRefusal(`Temporal: ${(err as Error).message ?? String(err)}`);
}

/**
 * How each side submits: the bare workflows with `client.workflow.start` (the guarded one with the
 * search attributes Ladder's tasks start with), Ladder through its HTTP API (bearer token, as an
 * agent) or its TypeScript client (`submitTask`). Refusals that may pass are retried as an agent
 * would (Retry-After honoured); the task id makes a retry safe.
 */
export function submitterFor(stack: BenchStack, side: Side, batchTag: string): Submitter {
  const retries: RetryLog = { count: 0, reasons: {} };
  if (!isLadderSide(side)) {
    // Each bare side has its own id prefix, so no batch's listing ever counts the other's tasks.
    const prefix = `${side}/${batchTag}-`;
    const idOf = (i: number): string => `${prefix}${i}`;
    const start = async (i: number): Promise<void> => {
      const workflowId = idOf(i);
      const input = baselineInput(workflowId, `${batchTag}/${i}.txt`, stack.policy.versionId);
      if (side === 'baseline') {
        await stack.client.workflow.start(baselineTask, {
          workflowId,
          taskQueue: stack.baselineQueue,
          args: [input],
        });
        return;
      }
      const reads = side === 'baseline-guarded';
      const searchAttributes = side !== 'baseline-decision';
      await stack.client.workflow.start(baselineGuardedTask, {
        workflowId,
        taskQueue: stack.baselineQueue,
        args: [
          {
            ...input,
            guards: {
              // What Ladder's decision and re-check read for the same agent on this stack.
              decisionReads: reads
                ? [
                    killSwitchWorkflowId(stack.ladderQueue),
                    ledgerWorkflowId(stack.ladderQueue, BENCH.autonomousAgent),
                  ]
                : [],
              ...(reads ? { recheckWorkflowId: killSwitchWorkflowId(stack.ladderQueue) } : {}),
              decisionBytes: GUARDED_DECISION_BYTES,
              searchAttributes,
            },
          },
        ],
        ...(searchAttributes
          ? {
              typedSearchAttributes: [
                { key: AgentIdKey, value: BENCH.autonomousAgent },
                { key: TaskClassKey, value: BENCH.autonomousClass },
              ],
            }
          : {}),
      });
    };
    return {
      idOf,
      prefix,
      retries,
      submit: (i) =>
        withRetries(async () => {
          try {
            await start(i);
          } catch (err) {
            // An earlier attempt started it after all.
            if (err instanceof WorkflowExecutionAlreadyStartedError) return;
            throw transientTemporalError(err);
          }
        }, retries),
    };
  }
  const taskIdOf = (i: number): string => `${batchTag}-${i}`;
  const idOf = (i: number): string => taskWorkflowId(BENCH.autonomousAgent, taskIdOf(i));
  const prefix = taskWorkflowId(BENCH.autonomousAgent, `${batchTag}-`);
  if (side === 'ladder-api') {
    return {
      idOf,
      prefix,
      retries,
      submit: (i) =>
        withRetries(async () => {
          let response: Response;
          try {
            response = await fetch(`${stack.apiUrl}/v1/tasks`, {
              method: 'POST',
              headers: { authorization: `Bearer ${stack.agentToken}`, 'content-type': 'application/json' },
              body: JSON.stringify(apiTaskBody(taskIdOf(i), `${batchTag}/${i}.txt`)),
            });
          } catch (err) {
            throw new TransientRefusal(`connection: ${(err as Error).message}`);
          }
          const text = await response.text();
          // 200: an earlier attempt submitted it after all.
          if (response.status === 201 || response.status === 200) return;
          const detail = ((): string => {
            try {
              return String((JSON.parse(text) as { detail?: unknown }).detail ?? text);
            } catch {
              return text;
            }
          })();
          if (TRANSIENT_STATUSES.has(response.status)) {
            const after = Number(response.headers.get('retry-after'));
            throw new TransientRefusal(
              `${response.status} ${detail}`,
              Number.isFinite(after) && after > 0 ? after * 1000 : undefined,
            );
          }
          throw new Error(
            `POST /v1/tasks answered ${response.status} for task ${taskIdOf(i)}: ${text.slice(0, 500)}`,
          );
        }, retries),
    };
  }
  const registry = createActionRegistry();
  return {
    idOf,
    prefix,
    retries,
    submit: (i) =>
      withRetries(async () => {
        try {
          await submitTask(
            stack.client,
            clientTaskRequest(taskIdOf(i), `${batchTag}/${i}.txt`, 'autonomous'),
            {
              taskQueue: stack.ladderQueue,
              policy: stack.policy,
              actions: registry,
            },
          );
        } catch (err) {
          if (err instanceof TaskValidationError) throw err;
          throw transientTemporalError(err);
        }
      }, retries),
  };
}
