import { join } from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { loadAnswerSigner, localKeyLayout, type AnswerSigner } from '../../client/answer-signer';

const KEYS = localKeyLayout(join(__dirname, '..', '..', '.temporal', 'keys'));

/** The local stack's frontend key, as the Slack app holds it (the test setup makes it). */
export function frontendSigner(): AnswerSigner {
  return loadAnswerSigner(KEYS.frontendKey);
}

/** One person's own operator key, as the CLI uses it. */
export function operatorSignerOf(person: string): AnswerSigner {
  return loadAnswerSigner(KEYS.operatorKey(person));
}

/**
 * Sends a human answer as a frontend would: signed (by the frontend key unless `signer` says
 * otherwise) over exactly this workflow, update and arguments.
 */
export function answerAs<Ret, A extends object>(
  handle: WorkflowHandle,
  update: UpdateDefinition<Ret, [A]>,
  args: A,
  signer: AnswerSigner = frontendSigner(),
): Promise<Ret> {
  return handle.executeUpdate(update, { args: [signer.sign(handle.workflowId, update.name, args)] });
}

/**
 * What became of an answer: `accepted`, or the workflow's reason for refusing it (the validator's
 * or handler's message, not the client's wrapper), or the client's error message otherwise.
 */
export function reasonOf(answer: Promise<unknown>): Promise<string> {
  return answer.then(
    () => 'accepted',
    (err: Error) => (err instanceof WorkflowUpdateFailedError ? String(err.cause?.message) : err.message),
  );
}
