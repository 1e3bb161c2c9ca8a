/**
 * Server settings Ladder relies on, for every Temporal server the project starts (the dev server,
 * the local cluster). A Temporal Cloud namespace or another cluster needs the same (docs in the README).
 *
 * `matching.useNewMatcher`: the priority-aware task matcher, off by default in server 1.29 (on by
 * default later and in Temporal Cloud). Without it the entity workflows' priority
 * (client/entity-start.ts) is ignored and a trust ledger's workflow task queues behind thousands of
 * task workflows.
 */
export const LADDER_DYNAMIC_CONFIG: Readonly<Record<string, boolean | number | string>> = {
  'matching.useNewMatcher': true,
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
