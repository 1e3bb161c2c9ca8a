import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { LoadedPolicy } from '../policy/loader';
import type { Receipt } from '../workflows/messages';
import {
  approverWatchWorkflowId,
  recordWatchedAnswersUpdate,
  reviewApproverUpdate,
  watchedApproversQuery,
  watchedDefectSignal,
  type ReviewApproverArgs,
  type WatchedAnswerArgs,
  type WatchedApproverView,
  type WatchedDefectArgs,
} from '../workflows/approver-watch-messages';
import { approverWatch } from '../workflows/approver-watch';
import { createBatchedCalls } from './batched-calls';
import { answerEntity, type EntityCaller } from './entity-answer';
import { entityStartOptions } from './entity-start';

/** Raised when a watch refuses a review; the message says why in a person's words. */
export class ApproverReviewError extends Error {}

/** How the worker reaches the rubber-stamp watches (one per task class). */
export interface ApproverWatchLink {
  /**
   * Records a person's answer on a task and says whether it counts towards promotion. Without an
   * `approverWatch` in the policy in force it records nothing and every answer counts.
   */
  recordAnswer(taskClass: string, answer: WatchedAnswerArgs): Promise<{ counts: boolean }>;
  /** A task `approver` approved was reported defective. Nothing without an `approverWatch`. */
  recordDefect(taskClass: string, defect: WatchedDefectArgs): Promise<void>;
}

/** The most answers one update carries. */
const ANSWERS_PER_UPDATE = 200;

/**
 * A {@link ApproverWatchLink} over a Temporal client: update-with-start (the first answer starts
 * the class's watch) and signal-with-start. Answers recorded at the same time for one class go
 * together, one update in flight per class from this process.
 */
export function createApproverWatchLink(options: {
  client: Client;
  taskQueue: string;
  policy: () => LoadedPolicy;
}): ApproverWatchLink {
  const { client, taskQueue } = options;
  const start = (taskClass: string) => ({
    workflowId: approverWatchWorkflowId(taskQueue, taskClass),
    ...entityStartOptions(taskQueue),
    staticSummary: `rubber-stamp watch of ${taskClass}`,
  });
  const answers = createBatchedCalls<WatchedAnswerArgs, { counts: boolean }>(
    (taskClass, batch) =>
      client.workflow.executeUpdateWithStart(recordWatchedAnswersUpdate, {
        args: [batch],
        startWorkflowOperation: new WithStartWorkflowOperation(approverWatch, {
          ...start(taskClass),
          args: [],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
    ANSWERS_PER_UPDATE,
  );
  return {
    async recordAnswer(taskClass, answer) {
      if (!options.policy().approverWatch) return { counts: true };
      return answers.call(taskClass, answer);
    },
    async recordDefect(taskClass, defect) {
      if (!options.policy().approverWatch) return;
      await client.workflow.signalWithStart(approverWatch, {
        ...start(taskClass),
        args: [],
        signal: watchedDefectSignal,
        signalArgs: [defect],
      });
    },
  };
}

/**
 * An owner of `taskClass` reviewed `approver`: their approvals count again from now on. `signer`
 * vouches for `by` (the Slack app after Slack's signature, or the operator's own key); the watch
 * checks the proof and that `by` owns the class and is not the approver.
 *
 * @throws {ApproverReviewError} with the watch's reason when refused.
 */
export function reviewApprover(
  client: Client,
  caller: EntityCaller,
  review: { taskClass: string; approver: string; by: string; note?: string },
): Promise<Receipt> {
  const { taskClass, ...args } = review;
  return answerEntity(
    client,
    { ...caller, workflowId: approverWatchWorkflowId(caller.taskQueue, taskClass), workflow: approverWatch },
    reviewApproverUpdate,
    args as ReviewApproverArgs,
    (reason) => new ApproverReviewError(reason),
  );
}

/** Every watched approver of `taskClasses` with their numbers; none in a class nobody answered yet. */
export async function listWatchedApprovers(
  client: Client,
  taskQueue: string,
  taskClasses: readonly string[],
): Promise<WatchedApproverView[]> {
  const lists = await Promise.all(
    taskClasses.map(async (taskClass) => {
      try {
        return await client.workflow
          .getHandle(approverWatchWorkflowId(taskQueue, taskClass))
          .query(watchedApproversQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      }
    }),
  );
  return lists.flat();
}
