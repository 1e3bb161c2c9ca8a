import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition, Workflow } from '@temporalio/common';
import { DEFAULT_ANSWER_DELIVERY, deliverAnswer, type AnswerDelivery } from './answer-task';
import type { AnswerSigner } from './answer-signer';
import { entityStartOptions } from './entity-start';

/** Where a deployment's entity workflows live, who vouches for the person, and how long to try. */
export interface EntityCaller {
  taskQueue: string;
  /** The operator's own key (CLI) or the frontend that verified the person (Slack app). */
  signer: AnswerSigner;
  /** How long the answer is tried while Temporal is out of reach; one minute unless given (tests). */
  delivery?: AnswerDelivery;
}

/** What an unconfirmed answer to an entity tells the person to check, unless its caller says better. */
export const ENTITY_WHERE_TO_LOOK =
  'check with `/ladder status` in Slack whether it took effect before sending it again';

/**
 * Delivers one signed update as task answers are delivered ({@link deliverAnswer}: one update id
 * for every try, each under the delivery's deadline, tried again while Temporal is out of reach);
 * `send` sends the signed arguments under the id it is given. What the workflow refused comes back
 * as its reason, for the caller to word or raise.
 *
 * @param whereToLook - what an unconfirmed answer tells the person to check.
 * @returns the workflow's result, or its refusal as `{ ok: false, reason }`.
 * @throws AnswerOutcomeUnknownError when Temporal did not confirm it within the budget.
 */
export async function deliverSigned<R>(
  client: Client,
  workflowId: string,
  delivery: AnswerDelivery | undefined,
  whereToLook: string,
  send: (updateId: string) => Promise<R>,
): Promise<{ ok: true; result: R } | { ok: false; reason: string }> {
  try {
    return {
      ok: true,
      result: await deliverAnswer(client, workflowId, delivery ?? DEFAULT_ANSWER_DELIVERY, send, whereToLook),
    };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      return { ok: false, reason: (err.cause as Error | undefined)?.message ?? err.message };
    throw err;
  }
}

/**
 * Sends one signed answer to a deployment's entity workflow (kill switch, standing approvals,
 * delegations), starting it with no arguments if it has never run. `signer` vouches for the person
 * (the Slack app after Slack's signature, or an operator's own key); the workflow checks the proof
 * and the authority of the last good policy the worker holds.
 *
 * Delivered as task answers are ({@link deliverAnswer}): one update id for every try, each try
 * under the delivery's deadline, tried again while Temporal cannot be reached; so the person
 * always hears back within the budget, even with the entity's worker down.
 *
 * @param refusal - builds the caller's error from the workflow's reason when it refuses the answer.
 * @throws what `refusal` builds for a refused answer.
 * @throws AnswerOutcomeUnknownError when Temporal did not confirm the answer within the budget;
 *   it says to look at `target.whereToLook` (by default `/ladder status`).
 * @throws other errors as the client raised them.
 */
export async function answerEntity<R, A extends object>(
  client: Client,
  target: {
    workflowId: string;
    workflow: Workflow;
    taskQueue: string;
    signer: AnswerSigner;
    delivery?: AnswerDelivery;
    whereToLook?: string;
  },
  update: UpdateDefinition<R, [A]>,
  args: A,
  refusal: (reason: string) => Error,
): Promise<R> {
  // Signed once: a repeated try sends the same arguments under the same update id.
  const signed = target.signer.sign(target.workflowId, update.name, args);
  const sent = await deliverSigned(
    client,
    target.workflowId,
    target.delivery,
    target.whereToLook ?? ENTITY_WHERE_TO_LOOK,
    (updateId) =>
      client.workflow.executeUpdateWithStart(update, {
        args: [signed],
        updateId,
        // An operation runs once: each try has its own.
        startWorkflowOperation: new WithStartWorkflowOperation(target.workflow, {
          workflowId: target.workflowId,
          ...entityStartOptions(target.taskQueue),
          args: [],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      }),
  );
  if (!sent.ok) throw refusal(sent.reason);
  return sent.result;
}
