/**
 * Host-bound steps (all four built-in actions: handlers with `hostBound`) act on one host's files or
 * journal their undo records and attempt markers there, so every later activity of such a step (its
 * retries, health checks and compensation) must run on that same host: a retry elsewhere would not
 * see an unfinished attempt, and could repeat an effect blind. A worker started with
 * `LADDER_WORKER_HOST=<name>` also polls `<task queue>@<name>` with activities only; the task's
 * decision, taken by some worker, pins the task's host-bound steps to that worker's host queue. If
 * the host goes away, its steps wait on its queue until it is back: they never run where the file
 * is not.
 */

/** What a host name may be: a DNS label's letters, digits, '.', '_' and '-', 1–63 characters. */
export const HOST_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/**
 * The task queue of host-bound steps pinned to `host`.
 *
 * @param taskQueue - the deployment's shared task queue (`LADDER_TASK_QUEUE`).
 * @param host - a name matching {@link HOST_NAME_PATTERN}.
 * @throws Error when `host` does not match the pattern.
 */
export function hostTaskQueue(taskQueue: string, host: string): string {
  if (!HOST_NAME_PATTERN.test(host))
    throw new Error(`host name "${host}" must match ${HOST_NAME_PATTERN} (letters, digits, '.', '_', '-')`);
  return `${taskQueue}@${host}`;
}
