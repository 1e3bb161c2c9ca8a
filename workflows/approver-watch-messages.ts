// Messages of the rubber-stamp watch, shared by the workflow, the worker's activities, Slack and the CLI.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Proven } from '../policy/answer-proof';
import type { ApproverRecord, WatchFlag } from '../policy/approver-watch';
import type { Receipt } from './messages';

/** A person answered a task's question (machine evidence, from the task's outcome activity). */
export interface WatchedAnswerArgs {
  approver: string;
  workflowId: string;
  approved: boolean;
  /** Time from the question to the answer in ms, when known. */
  answerMs?: number;
}

/** A task `approver` approved was reported defective (machine evidence, from the ledger's judge). */
export interface WatchedDefectArgs {
  approver: string;
  workflowId: string;
}

/** An owner reviewed an approver under review: their approvals count again from now on. */
export interface ReviewApproverArgs extends Proven {
  /** Verified identity of the owner. */
  by: string;
  approver: string;
  note?: string;
}

/** One approver as `ladder approvers` and Slack show them. */
export interface WatchedApproverView {
  approver: string;
  taskClass: string;
  answers: number;
  approved: number;
  approvalRate: number;
  medianApproveMs: number | null;
  defects: number;
  flag: WatchFlag | null;
  reviewed: ApproverRecord['reviewed'] | null;
}

/**
 * Answers to record, in order; says for each whether it counts towards promotion (an approval
 * under review does not). A worker sends the answers gathered meanwhile together (one update in
 * flight per class): the server lets a workflow hold only 10 updates in flight, and a burst of
 * approvals sent one update each stalled behind it.
 */
export const recordWatchedAnswersUpdate = defineUpdate<{ counts: boolean }[], [WatchedAnswerArgs[]]>(
  'recordWatchedAnswers',
);
export const watchedDefectSignal = defineSignal<[WatchedDefectArgs]>('watchedDefect');
export const reviewApproverUpdate = defineUpdate<Receipt, [ReviewApproverArgs]>('reviewApprover');
/** Every watched approver of the class with their numbers. */
export const watchedApproversQuery = defineQuery<WatchedApproverView[]>('watchedApprovers');

/** One watch per task class and deployment (task queue). */
export const approverWatchWorkflowId = (taskQueue: string, taskClass: string): string =>
  `control/${taskQueue}/approver-watch/${taskClass}`;

/** The task class of a watch, from its workflow id. */
export function taskClassOfWatch(workflowId: string): string {
  const at = workflowId.lastIndexOf('/approver-watch/');
  if (at < 0) throw new Error(`${workflowId} is not an approver watch's workflow id`);
  return workflowId.slice(at + '/approver-watch/'.length);
}
