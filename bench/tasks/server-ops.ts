// What a batch asked of the Temporal server, from the dev server's Prometheus metrics: which calls
// and writes a task costs, so a gap in throughput can be named by its parts (issue 11: "the cost of
// each remaining event and workflow task"). Parsing and arithmetic are pure and unit-tested.
import { fetchExposition, parseSample } from './prometheus-text';

/** One figure: the sum of a counter over the series whose labels match. */
interface ServerOpDefinition {
  /** The counter's name in the exposition (`service_requests`, `persistence_requests`…). */
  metric: string;
  /** Label values every counted series must have. */
  labels: Readonly<Record<string, string>>;
}

/** Calls of one operation to one service (`frontend`: what workers and clients asked for). */
const calls = (service: string, operation: string): ServerOpDefinition => ({
  metric: 'service_requests',
  labels: { service_name: service, operation },
});

/**
 * The server operations the bench reports per task, by name. `activitiesViaMatching` counts
 * activities queued for a poll (eager dispatch skips it); `describes` are mostly reads of entity
 * workflows' published views; the writes count mutable-state updates and visibility records.
 */
export const SERVER_OPS = {
  workflowTasks: calls('frontend', 'RespondWorkflowTaskCompleted'),
  activityTasks: calls('frontend', 'RespondActivityTaskCompleted'),
  activitiesViaMatching: calls('matching', 'AddActivityTask'),
  queries: calls('frontend', 'QueryWorkflow'),
  describes: calls('frontend', 'DescribeWorkflowExecution'),
  updates: calls('frontend', 'UpdateWorkflowExecution'),
  multiOperations: calls('frontend', 'ExecuteMultiOperation'),
  signals: calls('frontend', 'SignalWorkflowExecution'),
  signalsWithStart: calls('frontend', 'SignalWithStartWorkflowExecution'),
  heartbeats: calls('frontend', 'RecordActivityTaskHeartbeat'),
  mutableStateWrites: {
    metric: 'persistence_requests',
    labels: { service_name: 'history', operation: 'UpdateWorkflowExecution' },
  },
  visibilityWrites: { metric: 'visibility_persistence_requests', labels: {} },
} satisfies Record<string, ServerOpDefinition>;

export type ServerOpName = keyof typeof SERVER_OPS;
export type ServerOps = Record<ServerOpName, number>;

/** Visibility reads are not what a task costs: only these operations count as writes. */
const VISIBILITY_WRITE = /^(Record|Upsert|Delete)/;

/**
 * Sums each of {@link SERVER_OPS} over a Prometheus text exposition (what `/metrics` returns).
 * A counter the server has not exported yet counts 0. Pure.
 */
export function parseServerOps(text: string): ServerOps {
  const totals = Object.fromEntries(Object.keys(SERVER_OPS).map((k) => [k, 0])) as ServerOps;
  for (const line of text.split('\n')) {
    const sample = parseSample(line);
    if (!sample) continue;
    for (const [name, def] of Object.entries(SERVER_OPS) as [ServerOpName, ServerOpDefinition][]) {
      if (sample.name !== def.metric) continue;
      if (!Object.entries(def.labels).every(([k, v]) => sample.labels[k] === v)) continue;
      if (name === 'visibilityWrites' && !VISIBILITY_WRITE.test(sample.labels.operation ?? '')) continue;
      totals[name] += sample.value;
    }
  }
  return totals;
}

/** Each operation's count between two readings, per task (`n` tasks). Pure. */
export function serverOpsPerTask(before: ServerOps, after: ServerOps, n: number): ServerOps {
  return Object.fromEntries(
    (Object.keys(SERVER_OPS) as ServerOpName[]).map((k) => [k, (after[k] - before[k]) / n]),
  ) as ServerOps;
}

/**
 * Reads the server's counters from its metrics endpoint.
 *
 * @throws Error naming the URL when the endpoint does not answer with 200.
 */
export async function readServerOps(metricsUrl: string): Promise<ServerOps> {
  return parseServerOps(await fetchExposition(metricsUrl));
}
