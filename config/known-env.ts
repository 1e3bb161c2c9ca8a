import { SECRET_ENV_PREFIX } from '../policy/credentials-schema';

// Every `LADDER_*` environment variable some part of Ladder reads, so that a misspelt one is not
// silently ignored: loadConfig refuses a near miss of these names and reports any other unknown
// `LADDER_*` name. test/config/known-env.test.ts greps the repository for `LADDER_…` names and
// fails on one missing here, or on an entry nothing mentions any more.

/**
 * The `LADDER_*` variables Ladder reads, each with who reads it. Exact names; the operator-chosen
 * secret names are covered by {@link KNOWN_LADDER_PREFIXES} instead.
 */
export const KNOWN_LADDER_VARIABLES = [
  // Product, every process (config/env.ts, loadConfig): worker, Slack app, agent API, run command, CLI.
  'LADDER_TEMPORAL', // product: dev server or local cluster
  'LADDER_CLUSTER_FRONTEND_PORT', // product + scripts/cluster.sh: the local cluster's frontend port
  'LADDER_CLUSTER_UI_PORT', // product + scripts/cluster.sh: the local cluster's UI port
  'LADDER_TASK_QUEUE', // product: the task queue
  'LADDER_POLICY_PATH', // product: the policy file
  'LADDER_POLICY_MAX_BYTES', // product: the policy size limit (also `ladder policy check`)
  'LADDER_DEV_SERVER_PORT', // product: the dev server's gRPC port
  'LADDER_DEV_UI_PORT', // product: the dev server's UI port
  'LADDER_DEV_DB_PATH', // product: the dev server's SQLite file
  'LADDER_RETENTION_DAYS', // product: namespace retention
  'LADDER_SLACK_PORT', // product: the Slack app's HTTP port
  'LADDER_EMULATOR_PORT', // product: the local Slack emulator's port
  'LADDER_DEMO_SERVICE_PORT', // product: the demo service the run command starts
  'LADDER_WORKER_METRICS_PORT', // product: the worker's /metrics
  'LADDER_SLACK_METRICS_PORT', // product: the Slack app's /metrics
  'LADDER_API_METRICS_PORT', // product: the agent API's /metrics
  'LADDER_METRICS_HOST', // product: the interface /metrics binds
  'LADDER_WORKFLOW_BUNDLE', // product: a pre-built workflow bundle
  'LADDER_WORKSPACE_ROOT', // product: where file.write and config.set act
  'LADDER_SANDBOX_DIR', // product: where shell.exec runs
  'LADDER_STATE_DIR', // product: journals and last good policy
  'LADDER_LATE_POST_GRACE_MS', // product: the late Slack post sweep
  'LADDER_WORKER_CACHED_WORKFLOWS', // product + bench baseline: the worker's cache size
  'LADDER_WORKER_WORKFLOW_THREADS', // product + bench baseline: workflow threads
  'LADDER_WORKER_SHUTDOWN_GRACE_MS', // product: the worker's drain time
  'LADDER_WORKER_DEPLOYMENT', // product: worker versioning
  'LADDER_WORKER_BUILD_ID', // product: worker versioning
  'LADDER_WORKER_HOST', // product: the host-bound task queue
  'LADDER_KEYS_DIR', // product: the local stack's answer keys
  'LADDER_FRONTEND_KEY', // product: the Slack app's answer key
  'LADDER_OPERATOR_KEY', // product: the CLI operator's answer key
  'LADDER_EMULATOR_SIGNING_SECRET', // product: the emulator's signing secret
  // Product, read outside config/env.ts by one process or module.
  'LADDER_API_PORT', // product: the agent API's port (api/config.ts)
  'LADDER_API_URL', // product: the stdio MCP server's API (mcp/stdio.ts)
  'LADDER_AGENT_TOKEN', // product: the stdio MCP server's agent token (mcp/stdio.ts)
  'LADDER_DASHBOARD_PORT', // product: dashboard (dashboard/env.ts)
  'LADDER_DASHBOARD_HOST', // product: dashboard (dashboard/env.ts)
  'LADDER_DASHBOARD_PUBLIC_URL', // product: dashboard (dashboard/env.ts)
  'LADDER_DASHBOARD_REFRESH_MS', // product: dashboard (dashboard/env.ts)
  'LADDER_DASHBOARD_SESSION_MS', // product: dashboard (dashboard/env.ts)
  'LADDER_EMULATOR_APP_URLS', // product: the emulator's frontends (slack/emulator/app-urls.ts)
  'LADDER_EMULATOR_RATE_LIMITS', // product: the emulator's rate limits (slack/emulator/rate-limit-request.ts)
  'LADDER_UNSANDBOXED_SHELL', // product: shell.exec without bwrap (activities/actions/shell-exec.ts)
  'LADDER_DEBUG', // product: the CLI prints stacks (cli/main.ts)
  'LADDER_SECRET_DEMO_DEPLOY', // product: the demo deploy token (run command, demo service, example policy)
  'LADDER_DEMO_STATE_DIR', // dev tooling: the demo service's journal (examples/demo-service)
  // Dev tooling: the local cluster (scripts/cluster.sh, scripts/cluster/*, bench/cluster.ts).
  'LADDER_CLUSTER_DIR', // dev tooling: the cluster's folder
  'LADDER_CLUSTER_BIN_DIR', // dev tooling: the cluster's built binaries (CI shares them)
  'LADDER_CLUSTER_LOG_LEVEL', // dev tooling: the cluster services' log level
  'LADDER_CLUSTER_DYNAMIC_CONFIG', // dev tooling: set by cluster.sh for its config template
  'LADDER_CLUSTER_PG_PASSWORD', // dev tooling: set by cluster.sh for its config template
  'LADDER_CLUSTER_PG_PORT', // dev tooling: the cluster's postgres port
  'LADDER_CLUSTER_FRONTEND_HTTP_PORT', // dev tooling: a cluster service port
  'LADDER_CLUSTER_FRONTEND_MEMBERSHIP_PORT', // dev tooling: a cluster service port
  'LADDER_CLUSTER_HISTORY_PORT', // dev tooling: a cluster service port
  'LADDER_CLUSTER_HISTORY_MEMBERSHIP_PORT', // dev tooling: a cluster service port
  'LADDER_CLUSTER_MATCHING_PORT', // dev tooling: a cluster service port
  'LADDER_CLUSTER_MATCHING_MEMBERSHIP_PORT', // dev tooling: a cluster service port
  'LADDER_CLUSTER_WORKER_PORT', // dev tooling: a cluster service port
  'LADDER_CLUSTER_WORKER_MEMBERSHIP_PORT', // dev tooling: a cluster service port
  // Dev tooling: tests and CI (test/setup, test/helpers, test/cluster, .ci/run).
  'LADDER_TEST_TEMPORAL_ADDRESS', // test: the suite's shared dev server (test/setup)
  'LADDER_TEST_WORKFLOW_BUNDLE', // test: the suite's shared workflow bundle (test/setup)
  'LADDER_TEST_TEMPORAL_CLI', // test: the suite's Temporal CLI (test/setup)
  'LADDER_TEST_OUTPUT', // test: where browser tests write (test/helpers/browser.ts)
  'LADDER_CHROMIUM', // test: the browser tests' chromium
  'LADDER_DASHBOARD_SCREENS', // test: the dashboard browser test's screenshots
  'LADDER_RECORD_HISTORIES', // test: record replay fixtures (test/helpers/histories.ts)
  'LADDER_CLUSTER_STARTED_BY_TESTS', // test: the cluster suite stops what it started
  'LADDER_CI_CACHE', // CI: where .ci/run keeps built binaries
] as const;

/**
 * Prefixes of `LADDER_*` names the operator chooses: the policy's credentials name their secrets'
 * variables `LADDER_SECRET_…` (policy/credentials-schema.ts). Any name under one is known.
 */
export const KNOWN_LADDER_PREFIXES: readonly string[] = [SECRET_ENV_PREFIX];

/** A `LADDER_*` variable set in the environment that Ladder does not read. */
export interface UnknownLadderVariable {
  /** The variable's name (never its value: values can be secrets). */
  name: string;
  /** The known name it is a near miss of, when there is one: then it is surely a misspelling. */
  nearest?: string;
}

/**
 * The `LADDER_*` variables set (non-empty) in `env` that Ladder does not read, sorted by name, each
 * with the known name it is a near miss of, if any. A near miss is, in this order of preference:
 * the name without `LADDER_` being one of `unprefixed` (`LADDER_LOG_LEVEL` for `LOG_LEVEL`); a
 * Damerau-Levenshtein distance of at most 2 (letters left out, added, changed or swapped); the same
 * `_`-separated words in another order; or the same words with one left out or one added, as long
 * as at least two words follow `LADDER_` in the shorter name (`LADDER_PORT` is near nothing). Ties
 * go to the name listed first. Pure: reads only its arguments.
 *
 * @param env - the environment to check, normally `process.env`; empty values count as unset.
 * @param unprefixed - names without the `LADDER_` prefix that the caller reads (e.g. `LOG_LEVEL`).
 * @param known - the known names; {@link KNOWN_LADDER_VARIABLES} unless a test says otherwise.
 * @returns one entry per unknown name; empty when every `LADDER_*` name set is known.
 */
export function unknownLadderVariables(
  env: NodeJS.ProcessEnv,
  unprefixed: readonly string[] = [],
  known: readonly string[] = KNOWN_LADDER_VARIABLES,
): UnknownLadderVariable[] {
  const knownSet = new Set(known);
  return Object.keys(env)
    .filter((name) => name.startsWith('LADDER_') && env[name] !== undefined && env[name] !== '')
    .filter((name) => !knownSet.has(name) && !KNOWN_LADDER_PREFIXES.some((p) => name.startsWith(p)))
    .sort()
    .map((name) => {
      const nearest = nearestName(name, unprefixed, known);
      return nearest === undefined ? { name } : { name, nearest };
    });
}

/** The known name `name` is a near miss of (see {@link unknownLadderVariables}), or undefined. */
function nearestName(
  name: string,
  unprefixed: readonly string[],
  known: readonly string[],
): string | undefined {
  const bare = name.slice('LADDER_'.length);
  if (unprefixed.includes(bare)) return bare;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance))
      best = { name: candidate, distance };
  }
  if (best) return best.name;
  const words = bare.split('_');
  const wordsOf = (candidate: string): string[] => candidate.slice('LADDER_'.length).split('_');
  const sorted = (w: string[]): string => [...w].sort().join('_');
  return (
    known.find((candidate) => sorted(wordsOf(candidate)) === sorted(words)) ??
    known.find((candidate) => oneWordApart(words, wordsOf(candidate)))
  );
}

/** True when one word list is the other with exactly one word removed, and at least two remain. */
function oneWordApart(a: string[], b: string[]): boolean {
  const [shorter, longer] = a.length < b.length ? [a, b] : [b, a];
  if (longer.length !== shorter.length + 1 || shorter.length < 2) return false;
  return longer.some((_, i) => longer.filter((__, j) => j !== i).join('_') === shorter.join('_'));
}

/**
 * The Damerau-Levenshtein distance between two strings (optimal string alignment: each character
 * inserted, deleted, substituted, or two adjacent characters swapped, counts 1; no substring is
 * edited twice). Counts UTF-16 code units, which for variable names are characters.
 *
 * @returns 0 for equal strings; at most `max(a.length, b.length)`.
 */
export function editDistance(a: string, b: string): number {
  // d[i][j]: the distance between the first i characters of a and the first j of b.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (__, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
