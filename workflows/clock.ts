/**
 * Workflow time as ISO-8601. Inside the workflow sandbox `Date` is Temporal's deterministic
 * workflow clock (the time of the current workflow task, identical on replay), not the wall clock;
 * this module is the one place workflow code reads it.
 */
export function workflowNowIso(): string {
  // eslint-disable-next-line no-restricted-properties -- deterministic in the workflow sandbox (see above)
  return new Date(Date.now()).toISOString();
}

/** Milliseconds of workflow time, for latencies between two events of one workflow. */
export function workflowNowMs(): number {
  // eslint-disable-next-line no-restricted-properties -- deterministic in the workflow sandbox (see above)
  return Date.now();
}
