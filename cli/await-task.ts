import type { Client } from '@temporalio/client';
import { statusQuery, type OutcomeQuestion, type TaskResult } from '../workflows/messages';
import { EXIT, exitCodeForOutcome } from './exit-codes';

/** How often `--wait` looks whether the task stopped to ask about an unknown outcome, in ms. */
const QUESTION_POLL_MS = 1_000;

/** Lines telling a person what a task asks about an unknown outcome, and how to answer. Pure. */
export function formatOutcomeQuestion(workflowId: string, q: OutcomeQuestion): string[] {
  return [
    `  OUTCOME UNKNOWN (question ${q.id}, since ${q.since}): ${q.stage === 'compensate' ? 'the undo of ' : ''}step ${q.step + 1} (${q.action})`,
    `    ${q.detail}`,
    `    Check the destination, then answer: ladder respond ${workflowId} ${q.answers.join('|')} --question ${q.id} --as <Slack user id>`,
  ];
}

/**
 * Waits until the task finishes, or stops to ask a person about an effect whose outcome is unknown
 * (a script cannot answer that; it learns at once instead of waiting without end), and prints how.
 *
 * @returns the exit code: see {@link EXIT}; `outcomeUnknown` while the question is open.
 */
export async function awaitTaskEnd(
  client: Client,
  workflowId: string,
  out: (line: string) => void,
): Promise<number> {
  const handle = client.workflow.getHandle(workflowId);
  let stop = false;
  let wake = (): void => undefined;
  // The query in flight, awaited before returning: the client retries a refused query on a timer
  // that an abort does not cancel, and a retry that fires after the caller closed the connection
  // throws "Channel has been shut down" out of the timer, killing the CLI with exit code 1.
  let querying: Promise<unknown> = Promise.resolve();
  const asked = (async (): Promise<OutcomeQuestion | undefined> => {
    while (!stop) {
      const query = handle.query(statusQuery).catch(() => undefined);
      querying = query;
      const status = await query;
      if (status?.phase === 'outcome-unknown' && status.outcomeUnknown) return status.outcomeUnknown;
      if (status?.phase === 'done' || stop) return undefined;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, QUESTION_POLL_MS);
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
    }
    return undefined;
  })();
  // Aborted once a question wins: a pending long poll for the result would keep the CLI alive
  // until the server answers it (about 20 s).
  const abandon = new AbortController();
  const finished = client.withAbortSignal(abandon.signal, () => handle.result() as Promise<TaskResult>);
  type End = { result: TaskResult } | { question: OutcomeQuestion };
  let first: End;
  try {
    first = await Promise.race<End>([
      finished.then((result) => ({ result })),
      asked.then((question): End | Promise<End> =>
        question ? { question } : finished.then((result) => ({ result })),
      ),
    ]);
  } finally {
    // Also when the workflow failed, was terminated or timed out: the poll must not keep the CLI alive.
    stop = true;
    wake();
    await querying;
  }
  if ('question' in first) {
    out(`Outcome unknown: the task waits for a person.`);
    for (const line of formatOutcomeQuestion(workflowId, first.question)) out(line);
    finished.catch(() => undefined);
    abandon.abort();
    return EXIT.outcomeUnknown;
  }
  const result = first.result;
  out(
    `Outcome: ${result.outcome} at rung ${result.rung}; ${result.executedSteps} step(s) executed${result.approvedBy ? `; approved by ${result.approvedBy}` : ''}${result.error ? `; ${result.error}` : ''}`,
  );
  for (const e of result.events) out(`  - ${e}`);
  // 0 only when the task did what was asked; see cli/exit-codes.ts and the README.
  return exitCodeForOutcome(result.outcome);
}
