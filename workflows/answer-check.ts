import { ApplicationFailure } from '@temporalio/workflow';
import type * as AnswerProof from '../policy/answer-proof';
import type { AnswerTrust } from '../policy/answer-proof';
import { workflowNowMs } from './clock';

/**
 * The proof module, evaluated on the first answer a workflow checks. The sandbox evaluates a
 * workflow's modules afresh for every workflow it starts, and most tasks (rungs 3–5 that run on
 * their own) never check an answer: they need not evaluate ed25519 and SHA-512 at all.
 */
let answerProof: typeof AnswerProof | undefined;
function proofModule(): typeof AnswerProof {
  // A static require that webpack bundles, run only when first needed (deterministic: it only
  // defines functions and constants).
  // eslint-disable-next-line @typescript-eslint/no-require-imports, no-restricted-globals
  return (answerProof ??= require('../policy/answer-proof') as typeof AnswerProof);
}

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
  return proofModule().verifyAnswer(trust, workflowId, answer, args, person, workflowNowMs());
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
