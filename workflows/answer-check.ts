import { ApplicationFailure } from '@temporalio/workflow';
import { verifyAnswer, type AnswerTrust } from '../policy/answer-proof';
import { workflowNowMs } from './clock';

/**
 * Verifies a human answer's proof inside a validator or handler, against the keys the workflow
 * holds, at workflow time (deterministic on replay).
 *
 * @returns the id of the key that vouched (or `claimed` under the policy's demo switch).
 * @throws {AnswerProofError} naming what is wrong; the update is refused before it reaches history.
 */
export function checkAnswerProof(
  trust: AnswerTrust | null | undefined,
  workflowId: string,
  answer: string,
  args: object,
  person: string,
): string {
  return verifyAnswer(trust, workflowId, answer, args, person, workflowNowMs());
}

/**
 * Runs a check inside an update *handler* (not a validator): a plain error thrown there would fail
 * the workflow task and retry it forever, so a refusal becomes a failed update instead.
 */
export function refuseAsFailure(check: () => void): void {
  try {
    check();
  } catch (err) {
    throw ApplicationFailure.nonRetryable((err as Error).message, 'AnswerRefused');
  }
}
