import type { Client } from '@temporalio/client';
import { quoted } from '../client/visibility-query';

/**
 * How many of one agent's tasks wait for a person's answer before any step ran: a running task
 * workflow at rung 0–2 that names someone in `WaitingOn` (an approval, a suggestion, a draft).
 * Reports waiting to be read (rung 5) are not counted: the agent's steps already ran.
 */
export function waitingQuery(taskQueue: string, agentId: string): string {
  return [
    `WorkflowType = 'delegatedTask'`,
    `ExecutionStatus = 'Running'`,
    `TaskQueue = ${quoted(taskQueue, 'task queue')}`,
    `AgentId = ${quoted(agentId, 'agent')}`,
    'Rung <= 2',
    'WaitingOn IS NOT NULL',
  ].join(' AND ');
}

/** Counts an agent's waiting tasks for the agent API's `agentApi.maxWaiting`, at most one query per agent per `freshForMs`. */
export interface WaitingGauge {
  /** The agent's waiting tasks: counted by visibility, plus those this frontend saw start waiting since. */
  waitingOf(agentId: string): Promise<number>;
  /** A submission of this agent's now waits for a person: counted until the next query. */
  noteWaiting(agentId: string): void;
}

/**
 * Builds the gauge. A count is the visibility store's (eventually consistent: a task answered a
 * moment ago may still count), reused for `freshForMs` and raised by each submission this frontend
 * saw start waiting in between, so a burst is counted without a query per submission. Several
 * frontends, or submissions in flight together, may each let one more through: the cap bounds a
 * flood, not an exact number.
 *
 * @param freshForMs - how long one count is reused, in ms.
 */
export function createWaitingGauge(client: Client, taskQueue: string, freshForMs = 1_000): WaitingGauge {
  const known = new Map<string, { count: number; atMs: number }>();
  return {
    async waitingOf(agentId) {
      const cached = known.get(agentId);
      if (cached && Date.now() - cached.atMs < freshForMs) return cached.count;
      const { count } = await client.workflow.count(waitingQuery(taskQueue, agentId));
      known.set(agentId, { count, atMs: Date.now() });
      return count;
    },
    noteWaiting(agentId) {
      const cached = known.get(agentId);
      if (cached) cached.count += 1;
    },
  };
}
