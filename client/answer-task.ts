import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import {
  approveUpdate,
  markReportReadUpdate,
  rejectUpdate,
  resolveSuggestionUpdate,
  reviewDraftUpdate,
  type Receipt,
} from '../workflows/messages';

/** A person's answer to a waiting task, as Slack buttons and `ladder respond` express it. */
export type TaskAnswer =
  | { kind: 'approve'; stepsHash: string; typedConfirmation?: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'done' }
  | { kind: 'dismiss' }
  | { kind: 'accept' }
  | { kind: 'decline'; reason?: string }
  | { kind: 'read' };

export type AnswerResult = { ok: true; receipt: Receipt } | { ok: false; reason: string };

/**
 * Sends one answer to a task (or digest) workflow as the matching update. `by` must be a verified
 * identity (the Slack payload's user id, or an operator's `--as`): the workflow's validators decide
 * whether that person may answer, and refuse stale or second answers, so nothing happens twice.
 *
 * Refusals come back as `{ ok: false, reason }` with the validator's words; other failures throw.
 */
export async function answerTask(
  client: Client,
  workflowId: string,
  by: string,
  answer: TaskAnswer,
): Promise<AnswerResult> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const receipt = await (async (): Promise<Receipt> => {
      switch (answer.kind) {
        case 'approve':
          return handle.executeUpdate(approveUpdate, {
            args: [
              { approver: by, stepsHash: answer.stepsHash, typedConfirmation: answer.typedConfirmation },
            ],
          });
        case 'reject':
          return handle.executeUpdate(rejectUpdate, { args: [{ approver: by, reason: answer.reason }] });
        case 'done':
        case 'dismiss':
          return handle.executeUpdate(resolveSuggestionUpdate, {
            args: [{ by, resolution: answer.kind === 'done' ? 'done' : 'dismissed' }],
          });
        case 'accept':
        case 'decline':
          return handle.executeUpdate(reviewDraftUpdate, {
            args: [
              {
                by,
                accept: answer.kind === 'accept',
                reason: 'reason' in answer ? answer.reason : undefined,
              },
            ],
          });
        case 'read':
          return handle.executeUpdate(markReportReadUpdate, { args: [{ by }] });
      }
    })();
    return { ok: true, receipt };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      return { ok: false, reason: (err.cause as Error | undefined)?.message ?? err.message };
    }
    if (err instanceof WorkflowNotFoundError) return { ok: false, reason: `no task ${workflowId}` };
    // An update sent to a closed workflow is refused by the server, not by a validator.
    if (/workflow execution already completed/i.test((err as Error).message)) {
      return { ok: false, reason: 'task already finished' };
    }
    throw err;
  }
}
