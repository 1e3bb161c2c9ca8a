// Pure (no imports): workflows, the policy schema, the Slack app and the CLI share it.

/** A Slack user id as Slack issues them (`U…`, or `W…` on Enterprise Grid): what people are named by. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** Whether `value` is a Slack user id (see {@link SLACK_USER_ID}). Pure. */
export function isSlackUserId(value: unknown): value is string {
  return typeof value === 'string' && SLACK_USER_ID.test(value);
}

/**
 * The Temporal UI page of one workflow: `<baseUrl>/namespaces/<ns>/workflows/<id>`, both parts
 * percent-encoded (task ids contain `/`). Pure.
 */
export function temporalUiLink(baseUrl: string, namespace: string, workflowId: string): string {
  return `${baseUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
