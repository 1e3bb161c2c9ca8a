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
  /**
   * Admits one submission of `agentId` while fewer than `cap` of its tasks wait or are being
   * submitted through this frontend: the count and the reservation are one step, so submissions
   * sent together cannot all read the same count and all pass. The caller settles an admission
   * once its submission has ended, saying whether the task now waits for a person.
   */
  admit(agentId: string, cap: number): Promise<Admission>;
}

/** The answer of {@link WaitingGauge.admit}: `count` is what waits or is being submitted, this one not included. */
export type Admission =
  { admitted: false; count: number } | { admitted: true; count: number; settle(waits: boolean): void };

/**
 * Builds the gauge. A count is the visibility store's (eventually consistent: a task answered a
 * moment ago may still count), reused for `freshForMs` and raised by each submission this frontend
 * saw start waiting in between, so a burst is counted without a query per submission, and by the
 * submissions this frontend admitted that have not ended yet. Several frontends may each let one
 * more through: the cap bounds a flood, not an exact number.
 *
 * @param freshForMs - how long one count is reused, in ms.
 */
export function createWaitingGauge(client: Client, taskQueue: string, freshForMs = 1_000): WaitingGauge {
  const known = new Map<string, { count: number; atMs: number }>();
  /** Submissions admitted and not yet settled, per agent. */
  const inFlight = new Map<string, number>();
  const waitingOf = async (agentId: string): Promise<number> => {
    const cached = known.get(agentId);
    if (cached && Date.now() - cached.atMs < freshForMs) return cached.count;
    const { count } = await client.workflow.count(waitingQuery(taskQueue, agentId));
    known.set(agentId, { count, atMs: Date.now() });
    return count;
  };
  const noteWaiting = (agentId: string): void => {
    const cached = known.get(agentId);
    if (cached) cached.count += 1;
  };
  return {
    waitingOf,
    noteWaiting,
    async admit(agentId, cap) {
      const waiting = await waitingOf(agentId);
      // From here to the reservation nothing awaits: no other submission can read the count between.
      const pending = inFlight.get(agentId) ?? 0;
      const count = waiting + pending;
      if (count >= cap) return { admitted: false, count };
      inFlight.set(agentId, pending + 1);
      let settled = false;
      return {
        admitted: true,
        count,
        settle(waits) {
          if (settled) return;
          settled = true;
          const left = (inFlight.get(agentId) ?? 1) - 1;
          if (left > 0) inFlight.set(agentId, left);
          else inFlight.delete(agentId);
          if (waits) noteWaiting(agentId);
        },
      };
    },
  };
}
