import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { ShownMessage } from '../policy/answer-proof';
import type { TaskRequest } from '../policy/task';
import type { AnswerSigner } from './answer-signer';
import {
  approveUpdate,
  editStepsUpdate,
  markReportReadUpdate,
  rejectUpdate,
  resolveOutcomeUpdate,
  resolveSuggestionUpdate,
  reviewDraftUpdate,
  type OutcomeAnswer,
  type Receipt,
} from '../workflows/messages';

/** A person's answer to a waiting task, as Slack buttons and `ladder respond` express it. */
export type TaskAnswer =
  | { kind: 'approve'; stepsHash: string; typedConfirmation?: string }
  | { kind: 'reject'; reason: string }
  | { kind: 'edit'; stepsHash: string; steps: TaskRequest['steps'] }
  | { kind: 'done' }
  | { kind: 'dismiss' }
  | { kind: 'accept' }
  | { kind: 'decline'; reason?: string }
  | { kind: 'read' }
  /** About an effect whose outcome is unknown; `question` is the status's `outcomeUnknown.id`. */
  | { kind: OutcomeAnswer; question: string };

export type AnswerResult = { ok: true; receipt: Receipt } | { ok: false; reason: string };

/**
 * Sends one answer to a task (or digest) workflow as the matching update, signed by `signer`: the
 * frontend that verified `by` (the Slack app after Slack's signature) or `by`'s own operator key.
 * The workflow verifies the signature against the policy's keys, then decides whether that person
 * may answer, and refuses stale or second answers, so nothing happens twice. Without a signer the
 * answer carries only a claimed identity, which workflows refuse unless the policy's demo switch
 * `answers.allowClaimedIdentities` is on.
 *
 * Refusals come back as `{ ok: false, reason }` with the validator's words; other failures throw.
 */
export async function answerTask(
  client: Client,
  workflowId: string,
  by: string,
  answer: TaskAnswer,
  signer?: AnswerSigner,
  /** The message the answer was given to (Slack); signed with the answer, kept in history. */
  shown?: ShownMessage,
): Promise<AnswerResult> {
  const handle = client.workflow.getHandle(workflowId);
  const signed = <T extends object>(name: string, args: T): T => {
    const withShown = shown ? { ...args, shown } : args;
    return signer ? signer.sign(workflowId, name, withShown) : withShown;
  };
  try {
    const receipt = await (async (): Promise<Receipt> => {
      switch (answer.kind) {
        case 'approve':
          return handle.executeUpdate(approveUpdate, {
            args: [
              signed(approveUpdate.name, {
                approver: by,
                stepsHash: answer.stepsHash,
                typedConfirmation: answer.typedConfirmation,
              }),
            ],
          });
        case 'edit':
          return handle.executeUpdate(editStepsUpdate, {
            args: [
              signed(editStepsUpdate.name, {
                approver: by,
                stepsHash: answer.stepsHash,
                steps: answer.steps,
              }),
            ],
          });
        case 'reject':
          return handle.executeUpdate(rejectUpdate, {
            args: [signed(rejectUpdate.name, { approver: by, reason: answer.reason })],
          });
        case 'done':
        case 'dismiss':
          return handle.executeUpdate(resolveSuggestionUpdate, {
            args: [
              signed(resolveSuggestionUpdate.name, {
                by,
                resolution: answer.kind === 'done' ? ('done' as const) : ('dismissed' as const),
              }),
            ],
          });
        case 'accept':
        case 'decline':
          return handle.executeUpdate(reviewDraftUpdate, {
            args: [
              signed(reviewDraftUpdate.name, {
                by,
                accept: answer.kind === 'accept',
                reason: 'reason' in answer ? answer.reason : undefined,
              }),
            ],
          });
        case 'read':
          return handle.executeUpdate(markReportReadUpdate, {
            args: [signed(markReportReadUpdate.name, { by })],
          });
        case 'ran':
        case 'run-again':
        case 'undo':
          return handle.executeUpdate(resolveOutcomeUpdate, {
            args: [signed(resolveOutcomeUpdate.name, { by, question: answer.question, answer: answer.kind })],
          });
      }
    })();
    return { ok: true, receipt };
  } catch (err) {
    return refusalOf(err, workflowId);
  }
}

/**
 * Turns an update's refusal into `{ ok: false, reason }` with the validator's words; rethrows
 * anything that is not a refusal.
 */
export function refusalOf(err: unknown, workflowId: string): { ok: false; reason: string } {
  if (err instanceof WorkflowUpdateFailedError) {
    return { ok: false, reason: (err.cause as Error | undefined)?.message ?? err.message };
  }
  // An update sent to a closed workflow is refused by the server, not by a validator; the server
  // may answer it as NOT_FOUND, so the words are looked at first.
  if (
    /workflow execution already completed/i.test(
      `${(err as Error)?.message} ${String((err as Error)?.cause ?? '')}`,
    )
  ) {
    return { ok: false, reason: 'task already finished' };
  }
  if (err instanceof WorkflowNotFoundError) return { ok: false, reason: `no task ${workflowId}` };
  throw err;
}
