/**
 * Server settings Ladder relies on, for every Temporal server the project starts (the dev server,
 * the local cluster). A Temporal Cloud namespace or another cluster needs the same (docs in the README).
 *
 * `matching.useNewMatcher`: the priority-aware task matcher, off by default in server 1.29 (on by
 * default later and in Temporal Cloud). Without it the entity workflows' priority
 * (client/entity-start.ts) is ignored and a trust ledger's workflow task queues behind thousands of
 * task workflows.
 *
 * `system.enableActivityEagerExecution`: eager activity dispatch, off by default in server 1.29.
 * With it the server hands an activity the workflow task just scheduled back to the worker in
 * its reply when the worker has a free slot, instead of queueing it for a poll: a step starts
 * one matching round trip sooner after the decision or the approval, and every activity costs
 * the server one trip through matching and one poll less (measured with `npm run bench:tasks`).
 *
 * `scripts/cluster/config/dynamic.yaml` holds the same settings for the local cluster (a test
 * keeps the two equal).
 */
export const LADDER_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number | string>> = {
  'matching.useNewMatcher': true,
  'system.enableActivityEagerExecution': true,
};

/**
 * The settings as `temporal server start-dev` flags: `--dynamic-config-value key=<JSON value>`.
 */
export function dynamicConfigFlags(
  config: Readonly<Record<string, boolean | number | string>> = LADDER_DYNAMIC_CONFIG,
): string[] {
  return Object.entries(config).flatMap(([key, value]) => [
    '--dynamic-config-value',
    `${key}=${JSON.stringify(value)}`,
  ]);
}
