// The bare Temporal workflows Ladder is measured against (issue 11, item 6): what a person would
// write by hand to run one action and post one Slack message (after asking for an approval, or
// followed by a report that escalates when unread), using Ladder's own action handler and notifier
// as activities, with nothing else on the path. Deterministic code only.
import {
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Notification } from '../../activities/notify/notifier';
import { OutcomeKey, RungKey } from '../../workflows/search-attributes';
import type { BaselineActivities } from './activities';

/** One task of the baseline: the step to run and the message to post after it. */
export interface BaselineTaskInput {
  step: { action: string; params: Record<string, unknown> };
  notification: Notification;
  /** The approval workflow's request, posted before it waits (none: it waits without asking). */
  request?: Notification;
}

/** One task of the bare report workflow: its report is `notification`, and `escalation` the ping. */
export interface BaselineReportInput extends BaselineTaskInput {
  /** How long after the report the ping is posted (nobody reads bench reports). */
  escalateAfterMs: number;
  escalation: Notification;
}

/** The approval the bare approval workflow waits for; its argument is the same signed answer Ladder gets. */
export const baselineApproveUpdate = defineUpdate<{ accepted: true }, [unknown]>('approve');
/** True while the workflow is waiting for its approval. */
export const baselineWaitingQuery = defineQuery<boolean>('waiting');

/**
 * What the guarded bare workflow does beyond the bare one: the shape every rung-3 task must have
 * for Ladder's guarantees, written by hand with nothing else.
 */
export interface BaselineGuards {
  /** The workflows the decision reads by describe (Ladder's kill switch and the agent's ledger). */
  decisionReads: string[];
  /** The workflow the step's activity re-reads before it runs (Ladder's kill switch); none: no re-read. */
  recheckWorkflowId?: string;
  /** Size of the decision's result in bytes (Ladder's decision marker carries about 3.5 KB). */
  decisionBytes: number;
  /** Sets the rung and the outcome as search attributes (the submitter sets AgentId and TaskClass at start). */
  searchAttributes: boolean;
}

/** One task of the guarded bare workflow. */
export interface BaselineGuardedInput extends BaselineTaskInput {
  guards: BaselineGuards;
}

const { baselineExecute, baselinePost } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

const { baselineDecide } = proxyLocalActivities<BaselineActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
});

async function executeThenPost(input: BaselineTaskInput): Promise<string> {
  const { workflowId } = workflowInfo();
  await baselineExecute({ workflowId, index: 0, step: input.step });
  return baselinePost({ key: `${workflowId}/executed`, notification: input.notification });
}

/** Runs the step, then posts the message; returns the message's ref. */
export async function baselineTask(input: BaselineTaskInput): Promise<string> {
  return executeThenPost(input);
}

/**
 * The floor of a guarded rung-3 task (`npm run bench:floor`): what any workflow that keeps Ladder's
 * guarantees must do besides the bare task's step and message, and nothing more. A decision in one
 * local activity that reads the entities Ladder's decision reads (kill switch, ledger) by describe
 * and returns a decision-sized result; the rung as a search attribute; the step's activity re-reads
 * the kill switch before it runs; the outcome as a search attribute. Ladder's rung-3 task above this floor
 * is what Ladder's own code costs. `guards` can leave out the reads and the search attributes, so
 * the bench can price each piece on its own.
 */
export async function baselineGuardedTask(input: BaselineGuardedInput): Promise<string> {
  const { workflowId } = workflowInfo();
  const decision = await baselineDecide({
    readWorkflowIds: input.guards.decisionReads,
    bytes: input.guards.decisionBytes,
  });
  if (input.guards.searchAttributes) upsertSearchAttributes([{ key: RungKey, value: decision.rung }]);
  await baselineExecute({
    workflowId,
    index: 0,
    step: input.step,
    ...(input.guards.recheckWorkflowId !== undefined
      ? { recheckWorkflowId: input.guards.recheckWorkflowId }
      : {}),
  });
  const ref = await baselinePost({ key: `${workflowId}/executed`, notification: input.notification });
  if (input.guards.searchAttributes) upsertSearchAttributes([{ key: OutcomeKey, value: 'executed' }]);
  return ref;
}

/**
 * Posts its request (when it has one) and waits for one approval (an update), then runs the step
 * and posts the message.
 */
export async function baselineApprovalTask(input: BaselineTaskInput): Promise<string> {
  let approved = false;
  setHandler(baselineApproveUpdate, () => {
    approved = true;
    return { accepted: true as const };
  });
  setHandler(baselineWaitingQuery, () => !approved);
  if (input.request)
    await baselinePost({ key: `${workflowInfo().workflowId}/approval-request`, notification: input.request });
  await condition(() => approved);
  return executeThenPost(input);
}

/**
 * Runs the step, posts its report, and when the report's timer comes due (nobody reads it) posts
 * the escalation: the bare form of a rung-5 task's first read-SLA escalation.
 */
export async function baselineReportTask(input: BaselineReportInput): Promise<string> {
  const { workflowId } = workflowInfo();
  await baselineExecute({ workflowId, index: 0, step: input.step });
  await baselinePost({ key: `${workflowId}/report`, notification: input.notification });
  await sleep(input.escalateAfterMs);
  return baselinePost({ key: `${workflowId}/report-escalation-0`, notification: input.escalation });
}
