import type { TaskOutcome } from '../../policy/ledger';

/**
 * How a task ended, in words: the line its main message closes with, a failure told to the owner,
 * what ran on the agent's own authority, rollbacks, refusals and cancellations
 * (workflows/rungs/rung-result.ts, and the rung 3/4 and task workflows). The workflows pass the
 * facts (outcome, counts, who, when, why) and post what these functions return.
 *
 * Pure, with type imports only: workflows import this module into the deterministic workflow
 * sandbox. Texts are plain; `taskMessageBlocks` escapes them for Slack.
 */

/** Who and when (ISO). */
export interface Answered {
  by: string;
  at: string;
  /** The approver who is away, when `by` answered as their stand-in. */
  onBehalfOf?: string;
}

/** How an executed task ended, for the one line its main message closes with. */
export interface FinalOutcomeFacts {
  outcome: TaskOutcome;
  executedSteps: number;
  totalSteps: number;
  /** Who approved the steps (or accepted the draft), when someone did. */
  approval?: Answered;
  /** Rung 2: the standing approval that let the task through instead of a person's answer. */
  standing?: { id: string; grantedBy: string; use: number; maxUses: number };
  /** Rung 5: who read the report, or false when it went unread past its read SLA; absent elsewhere. */
  report?: Answered | false;
}

const OUTCOME_WORDS: Partial<Record<TaskOutcome, string>> = {
  executed: 'Executed',
  failed: 'Failed',
  'rolled-back': 'Rolled back',
  'rollback-failed': 'INCIDENT: rollback failed',
};

/** One line on how an executed task ended: outcome, steps, who approved, who read the report. Pure. */
export function finalOutcomeText(f: FinalOutcomeFacts): string {
  const parts = [
    `${OUTCOME_WORDS[f.outcome] ?? f.outcome}: ${f.executedSteps} of ${f.totalSteps} step(s) ran.`,
  ];
  if (f.approval)
    parts.push(
      `Approved by ${f.approval.by}${f.approval.onBehalfOf ? ` (standing in for ${f.approval.onBehalfOf})` : ''} at ${f.approval.at}.`,
    );
  else if (f.standing)
    parts.push(
      `Approved in advance by standing approval ${f.standing.id} of ${f.standing.grantedBy} (use ${f.standing.use} of ${f.standing.maxUses}).`,
    );
  if (f.report) parts.push(`Report read by ${f.report.by} at ${f.report.at}.`);
  if (f.report === false) parts.push('Report unread past its read SLA.');
  return parts.join(' ');
}

/**
 * A failed execution, told to the owner: how far it got and the error; at rungs without a saga the
 * steps that ran stay done. Pure.
 */
export function failureText(f: { executedSteps: number; totalSteps: number; error: string | null }): string {
  return `Failed after ${f.executedSteps} of ${f.totalSteps} step(s): ${f.error ?? 'unknown error'}. Steps that ran were not undone at this rung.`;
}

/**
 * Rungs 3–5: what ran on the agent's own authority, from its {@link finalOutcomeText}, and the
 * rung that allowed it. Pure.
 */
export function onOwnAuthorityText(finalText: string, rung: number): string {
  return `${finalText} On my own at rung ${rung}.`;
}

/** Rung 4: the saga undid `undone` steps, because of `why` (a clause without its full stop). Pure. */
export function rolledBackText(undone: number, why: string): string {
  return `Rolled back ${undone} step(s) because ${why}.`;
}

/**
 * Rung 4: an incident: undoing failed (one entry per step that could not be undone, e.g.
 * `step 2: timeout`) after the saga started because of `why`. Pure.
 */
export function rollbackFailedText(failures: readonly string[], why: string): string {
  return `INCIDENT: rollback failed (${failures.join('; ')}) after: ${why}. A person must repair this by hand.`;
}

/**
 * Below rung 4: the task was cancelled while a step's outcome was unknown, and nothing undoes it.
 * `step` is 0-based. Pure.
 */
export function cancelledWithUnknownOutcomeText(step: number): string {
  return `Cancelled while step ${step + 1}'s outcome was unknown: check the destination by hand.`;
}

/** The policy refused the task; `message` is the refusal's own. Pure. */
export function refusedText(message: string): string {
  return `Refused: ${message}`;
}

/** The main message of a task cancelled before any of its steps began. */
export const CANCELLED_TEXT = 'Cancelled.';

/**
 * A task cancelled after `began` of its `totalSteps` steps began: how many stay done (`kept`) and
 * how many the saga undid (`undone`). A step that began and neither ran to the end nor was undone
 * (it failed, or its outcome is unknown) is in the step list below the text. Pure.
 */
export function cancelledAfterStepsText(f: {
  began: number;
  kept: number;
  undone: number;
  totalSteps: number;
}): string {
  const parts = [`Cancelled after ${f.began} of ${f.totalSteps} step(s) began.`];
  if (f.kept > 0) parts.push(`Completed and kept: ${f.kept}.`);
  if (f.undone > 0) parts.push(`Undone: ${f.undone}.`);
  if (f.kept === 0 && f.undone === 0) parts.push('None completed.');
  return parts.join(' ');
}
