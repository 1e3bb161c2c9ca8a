import type { TaskOutcome } from '../workflows/messages';

/**
 * Exit codes of `ladder submit --wait` and `ladder status --wait`, by how the task ended, so scripts can tell "it did what was
 * asked" from every other ending without parsing output. 1 and 2 keep their meaning for every
 * command (a failed check or bad input; a usage error).
 */
export const EXIT = {
  /** The task did what was asked: executed (at any rung, a draft accepted and applied, a rung-5 report), or a suggestion marked done. */
  ok: 0,
  /** Bad input, a failed check, or an error talking to Temporal. */
  error: 1,
  /** Usage error. */
  usage: 2,
  /** It ran and was undone: rolled back, or the rollback itself failed. */
  rolledBack: 3,
  /** A person (or the clock) said no: rejected, draft rejected, suggestion dismissed, expired, cancelled. */
  rejected: 4,
  /** The policy refused it (unknown agent, class or action, …): nothing ran. */
  refused: 5,
  /** It failed while executing (and was not rolled back). */
  failed: 6,
  /**
   * It stopped to ask a person whether an effect ran (a worker died inside it and nothing makes a
   * retry safe): `ladder status <id>` shows the question, `ladder respond` answers it.
   */
  outcomeUnknown: 7,
} as const;

const BY_OUTCOME: Record<TaskOutcome, number> = {
  executed: EXIT.ok,
  'suggestion-done': EXIT.ok,
  'rolled-back': EXIT.rolledBack,
  'rollback-failed': EXIT.rolledBack,
  rejected: EXIT.rejected,
  'draft-rejected': EXIT.rejected,
  'suggestion-dismissed': EXIT.rejected,
  expired: EXIT.rejected,
  cancelled: EXIT.rejected,
  refused: EXIT.refused,
  failed: EXIT.failed,
};

/** The exit code for a finished task's outcome; an outcome this CLI does not know is a failure. Pure. */
export function exitCodeForOutcome(outcome: string | null | undefined): number {
  return outcome && Object.hasOwn(BY_OUTCOME, outcome) ? BY_OUTCOME[outcome as TaskOutcome] : EXIT.failed;
}

/**
 * Thrown by a command that has printed its answer and only wants a non-zero exit code: `runCli`
 * returns `code` (and the `ladder` binary sets `process.exitCode` to it), printing nothing more.
 */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
    this.name = 'CliExit';
  }
}
