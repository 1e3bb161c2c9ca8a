import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { UpdateDefinition, Workflow } from '@temporalio/common';
import type { AnswerSigner } from './answer-signer';
import { entityStartOptions } from './entity-start';

/**
 * Sends one signed answer to a deployment's entity workflow (kill switch, standing approvals,
 * delegations), starting it with no arguments if it has never run. `signer` vouches for the person
 * (the Slack app after Slack's signature, or an operator's own key); the workflow checks the proof
 * and the authority of the last good policy the worker holds.
 *
 * @param refusal - builds the caller's error from the workflow's reason when it refuses the answer.
 * @throws what `refusal` builds for a refused answer; other errors as the client raised them.
 */
export async function answerEntity<R, A extends object>(
  client: Client,
  target: { workflowId: string; workflow: Workflow; taskQueue: string; signer: AnswerSigner },
  update: UpdateDefinition<R, [A]>,
  args: A,
  refusal: (reason: string) => Error,
): Promise<R> {
  try {
    return await client.workflow.executeUpdateWithStart(update, {
      args: [target.signer.sign(target.workflowId, update.name, args)],
      startWorkflowOperation: new WithStartWorkflowOperation(target.workflow, {
        workflowId: target.workflowId,
        ...entityStartOptions(target.taskQueue),
        args: [],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      throw refusal((err.cause as Error | undefined)?.message ?? err.message);
    throw err;
  }
}
