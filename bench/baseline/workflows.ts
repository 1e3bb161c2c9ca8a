// The bare Temporal workflows Ladder is measured against (issue 11, item 6): what a person would
// write by hand to run one action and post one Slack message (after asking for an approval, or
// followed by a report that escalates when unread), using Ladder's own action handler and notifier
// as activities, with nothing else on the path. Deterministic code only.
import {
  condition,
  defineQuery,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Notification } from '../../activities/notify/notifier';
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

const { baselineExecute, baselinePost } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
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
