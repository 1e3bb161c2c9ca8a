import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { status as grpcStatus } from '@grpc/grpc-js';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { grpcErrorIn } from './grpc-errors';
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

/** How an answer keeps being delivered while Temporal cannot be reached. */
export interface AnswerDelivery {
  /**
   * How long, in ms from the first try, the same answer (same update id) is sent again after a
   * failure to reach Temporal. Past it, {@link AnswerOutcomeUnknownError}.
   */
  budgetMs: number;
  /** The update id the answer travels under; a fresh UUID unless given (tests give one). */
  updateId?: string;
}

/** One minute: a dev server or frontend restart fits in it; a person is not left waiting longer. */
export const DEFAULT_ANSWER_DELIVERY: AnswerDelivery = { budgetMs: 60_000 };

/**
 * Temporal did not confirm the answer within the delivery budget (out of reach, frozen, or no
 * worker took the update): the answer may or may not have been recorded (the server may have taken
 * it before the connection failed, or holds it for a worker). Says where to look.
 */
export class AnswerOutcomeUnknownError extends Error {
  /**
   * @param whereToLook - what shows whether the answer took effect; by default, for a task, its
   *   `ladder status` and its Slack message.
   */
  constructor(
    readonly workflowId: string,
    last: Error,
    tries: number,
    budgetMs: number,
    whereToLook = `\`ladder status ${workflowId}\` or the task's Slack message shows which`,
  ) {
    super(
      `got no confirmation from Temporal of the answer to ${workflowId} within ${budgetMs / 1000} s (${tries} ${tries === 1 ? 'try' : 'tries'}; last: ${grpcDetail(last)}); it may or may not have been recorded: ${whereToLook}`,
      { cause: last },
    );
    this.name = 'AnswerOutcomeUnknownError';
  }
}

/**
 * Delivers one answer (an update) to `workflowId` as {@link answerTask} does: `send` is called with
 * one update id for every try (a fresh UUID unless `delivery.updateId` gives one), each try under a
 * deadline at the budget's end; a failure to reach Temporal is tried again, with backoff, until the
 * budget is spent. Anything else `send` throws (a refusal, an unknown workflow) is rethrown as is.
 * `send` must send the same arguments each time, so a repeated id gets the first try's outcome.
 *
 * @param whereToLook - what the person is told shows whether an unconfirmed answer took effect.
 * @throws AnswerOutcomeUnknownError when Temporal did not confirm the answer within the budget.
 */
export async function deliverAnswer<R>(
  client: Client,
  workflowId: string,
  delivery: AnswerDelivery,
  send: (updateId: string) => Promise<R>,
  whereToLook?: string,
): Promise<R> {
  const updateId = delivery.updateId ?? randomUUID();
  const started = Date.now();
  // Every call of every try ends by the budget's end: a server that takes the connection and never
  // answers (frozen), or an update no worker picks up, would otherwise hold the person forever.
  const deadline = new Date(started + delivery.budgetMs);
  let telling: Error | undefined;
  for (let tries = 1; ; tries++) {
    try {
      return await client.withDeadline(deadline, () => send(updateId));
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      // The try at the budget's end meets its deadline at once; an earlier try's reason says more.
      if (!telling || grpcErrorIn(err)?.code !== grpcStatus.DEADLINE_EXCEEDED) telling = err as Error;
      const elapsed = Date.now() - started;
      if (elapsed >= delivery.budgetMs)
        throw new AnswerOutcomeUnknownError(workflowId, telling, tries, delivery.budgetMs, whereToLook);
      await sleep(Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (tries - 1), delivery.budgetMs - elapsed));
    }
  }
}

/**
 * Sends one answer to a task (or digest) workflow as the matching update, signed by `signer`: the
 * frontend that verified `by` (the Slack app after Slack's signature) or `by`'s own operator key.
 * The workflow verifies the signature against the policy's keys, then decides whether that person
 * may answer, and refuses stale or second answers, so nothing happens twice. Without a signer the
 * answer carries only a claimed identity, which workflows refuse unless the policy's demo switch
 * `answers.allowClaimedIdentities` is on.
 *
 * When Temporal cannot be reached (the server restarting, a connection dropped mid-call), the same
 * update, under the same update id, is sent again for up to `delivery.budgetMs`: the server answers
 * a repeated id with the first one's outcome, even once the task has closed, so an answer that was
 * recorded before the connection failed comes back with its receipt instead of a refusal. The
 * budget is also every call's deadline, so no answer waits longer than it for a confirmation.
 *
 * Refusals come back as `{ ok: false, reason }` with the validator's words.
 *
 * @throws AnswerOutcomeUnknownError when Temporal did not confirm the answer within the budget.
 * @throws other failures as they come (neither refusals nor unreachable Temporal).
 */
export async function answerTask(
  client: Client,
  workflowId: string,
  by: string,
  answer: TaskAnswer,
  signer?: AnswerSigner,
  /** The message the answer was given to (Slack); signed with the answer, kept in history. */
  shown?: ShownMessage,
  delivery: AnswerDelivery = DEFAULT_ANSWER_DELIVERY,
): Promise<AnswerResult> {
  const handle = client.workflow.getHandle(workflowId);
  const signed = <T extends object>(name: string, args: T): T => {
    const withShown = shown ? { ...args, shown } : args;
    return signer ? signer.sign(workflowId, name, withShown) : withShown;
  };
  // Built once: a repeated try sends the same signed arguments under the same id.
  const send = updateSender(answer, by, signed);
  try {
    const receipt = await deliverAnswer(client, workflowId, delivery, (updateId) => send(handle, updateId));
    return { ok: true, receipt };
  } catch (err) {
    if (err instanceof AnswerOutcomeUnknownError) throw err;
    return refusalOf(err, workflowId);
  }
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5000;

type Handle = ReturnType<Client['workflow']['getHandle']>;

/** The update that carries `answer`, with its arguments signed once. */
function updateSender(
  answer: TaskAnswer,
  by: string,
  signed: <T extends object>(name: string, args: T) => T,
): (handle: Handle, updateId: string) => Promise<Receipt> {
  switch (answer.kind) {
    case 'approve': {
      const args = signed(approveUpdate.name, {
        approver: by,
        stepsHash: answer.stepsHash,
        typedConfirmation: answer.typedConfirmation,
      });
      return (h, updateId) => h.executeUpdate(approveUpdate, { args: [args], updateId });
    }
    case 'edit': {
      const args = signed(editStepsUpdate.name, {
        approver: by,
        stepsHash: answer.stepsHash,
        steps: answer.steps,
      });
      return (h, updateId) => h.executeUpdate(editStepsUpdate, { args: [args], updateId });
    }
    case 'reject': {
      const args = signed(rejectUpdate.name, { approver: by, reason: answer.reason });
      return (h, updateId) => h.executeUpdate(rejectUpdate, { args: [args], updateId });
    }
    case 'done':
    case 'dismiss': {
      const args = signed(resolveSuggestionUpdate.name, {
        by,
        resolution: answer.kind === 'done' ? ('done' as const) : ('dismissed' as const),
      });
      return (h, updateId) => h.executeUpdate(resolveSuggestionUpdate, { args: [args], updateId });
    }
    case 'accept':
    case 'decline': {
      const args = signed(reviewDraftUpdate.name, {
        by,
        accept: answer.kind === 'accept',
        reason: 'reason' in answer ? answer.reason : undefined,
      });
      return (h, updateId) => h.executeUpdate(reviewDraftUpdate, { args: [args], updateId });
    }
    case 'read': {
      const args = signed(markReportReadUpdate.name, { by });
      return (h, updateId) => h.executeUpdate(markReportReadUpdate, { args: [args], updateId });
    }
    case 'ran':
    case 'run-again':
    case 'undo': {
      const args = signed(resolveOutcomeUpdate.name, {
        by,
        question: answer.question,
        answer: answer.kind,
      });
      return (h, updateId) => h.executeUpdate(resolveOutcomeUpdate, { args: [args], updateId });
    }
  }
}

/** gRPC codes that mean the call did not get a definite answer from Temporal, so it may be sent again. */
const UNREACHABLE_CODES: ReadonlySet<number> = new Set([
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.RESOURCE_EXHAUSTED,
  grpcStatus.ABORTED,
  grpcStatus.UNAVAILABLE,
]);

/** The gRPC error's own words (code and details); the SDK's wrapper says only "Workflow Update failed". */
function grpcDetail(err: Error): string {
  return grpcErrorIn(err)?.message ?? err.message;
}

/**
 * Whether `err` (or what caused it) is Temporal being out of reach rather than an answer to the
 * update: the client's own gRPC retries gave up on an unavailable server, a dropped connection or
 * a deadline. A refusal (no gRPC error behind it), a closed or unknown task (NOT_FOUND) and a
 * caller's cancellation (CANCELLED) are not.
 */
export function isUnreachable(err: unknown): boolean {
  const grpc = grpcErrorIn(err);
  return grpc !== undefined && UNREACHABLE_CODES.has(grpc.code);
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
