import { summarize, type LatencySummary } from '../latency-stats';
import { isLadderSide, perTask, perTaskEach, spreadSample, throughput, workerOf, type Side } from './figures';
import { countHistory, meanCounts, type HistoryCounts } from './history-counts';
import { inPool, sleep } from './pool';
import { cpuMs, cpuSnapshot, memoryOf, splitCpu } from './proc-stats';
import { readServerOps, serverOpsPerTask, type ServerOps } from './server-ops';
import type { BenchStack } from './stack';
import { submitterFor, type RetryLog } from './submitters';
import {
  awaitClosed,
  entityEventTotal,
  idPrefixQuery,
  listExecutions,
  type ListedExecution,
} from './visibility';

/**
 * A batch that did not finish as it should: a submission refused for good, tasks that stopped
 * closing, or a task that did not execute. `prefix` names its workflows, so the run can wait for
 * the ones still running before it goes on.
 */
export class BatchFailed extends Error {
  constructor(
    readonly label: string,
    readonly prefix: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${label}: ${reason}`, options);
    this.name = 'BatchFailed';
  }
}

/** Ladder's task workflow type, told apart from the entity workflows on its queue. */
export const LADDER_TASK_WORKFLOW = 'delegatedTask';

/** What one batch measured. */
export interface BatchResult {
  side: Side;
  n: number;
  round: number;
  label: string;
  /** Tasks per second from the first submission to the last completion. */
  tasksPerSecond: number;
  /** Seconds from the first submission to the last completion. */
  seconds: number;
  /** Seconds to submit all (what the submitting client saw). */
  submitSeconds: number;
  /** Submissions refused for now (503, 429, a dropped call) and tried again, with the refusals. */
  submitRetries: RetryLog;
  /** Per task: workflow start to close. */
  taskWallMs: LatencySummary;
  /** CPU ms per task by process, from just before the first submission until the stack was quiet again. */
  cpuMsPerTask: Record<string, number>;
  /**
   * Cores' worth of CPU that processes outside this stack used meanwhile (other people's tests on
   * a shared machine): a batch with much of it is slower for reasons that are not its own.
   */
  otherLoadCores: number;
  /** Resident memory of the side's worker after the batch, and its peak so far, in MiB. */
  workerRssMiB: { now: number; peak: number };
  /** Slack Web API calls per task, by method. */
  slackCallsPerTask: Record<string, number>;
  /** Mean counts over a sample of the batch's task histories. */
  history: HistoryCounts;
  historySample: number;
  /** Ladder only: events written to entity workflows (ledgers, kill switch…) per task. */
  entityEventsPerTask?: number;
  /**
   * What the batch asked of the Temporal server per task (calls and writes, entity workflows
   * included), from the dev server's metrics; absent on an external server.
   */
  serverOpsPerTask?: ServerOps;
}

/**
 * Waits until the stack's processes (workers, server) together use less than `busyShare` of one core over
 * a window of `windowMs`, so a batch starts on a quiet stack and its trailing work (entity
 * workflows, timers) is counted with it. Gives up quietly after `maxMs`.
 *
 * @returns how long it waited, in ms.
 */
export async function settle(
  stack: BenchStack,
  busyShare = 0.1,
  windowMs = 1000,
  maxMs = 30_000,
): Promise<number> {
  const started = Date.now();
  const watched = (): number => {
    // Every process of the stack (all Ladder workers, the dev server) but an external cluster's
    // services, whose idle polling alone (matching: ~0.07 cores) would keep a quiet cluster above the
    // threshold. One not running counts as idle rather than making the sum NaN.
    return Object.entries(stack.pids()).reduce((sum, [name, pid]) => {
      const ms = name.startsWith('temporal ') ? NaN : cpuMs(pid);
      return Number.isFinite(ms) ? sum + ms : sum;
    }, 0);
  };
  let before = watched();
  while (Date.now() - started < maxMs) {
    await sleep(windowMs);
    const after = watched();
    if ((after - before) / windowMs < busyShare) break;
    before = after;
  }
  return Date.now() - started;
}

/**
 * Why tasks of a stalled batch are not closing, read without queries (a stuck worker cannot answer
 * them): one open task's pending activities with their last failure, and its last events.
 */
async function explainStall(stack: BenchStack, query: string): Promise<string> {
  const open = await listExecutions(stack.client, `${query} AND ExecutionStatus = "Running"`);
  if (open.length === 0) return 'Visibility lists none of them as running.';
  const handle = stack.client.workflow.getHandle(open[0].workflowId);
  const described = await handle.describe();
  const pending = (described.raw.pendingActivities ?? []).map(
    (a) =>
      `${a.activityType?.name ?? '?'} (attempt ${a.attempt ?? '?'}${a.lastFailure?.message ? `, last failure: ${a.lastFailure.message.slice(0, 200)}` : ''})`,
  );
  const events = (await handle.fetchHistory()).events ?? [];
  const last = countHistory(events.slice(-4)).eventTypes;
  return [
    `${open.length} still running, e.g. ${open[0].workflowId} with ${described.historyLength} events`,
    `pending activities: ${pending.length > 0 ? pending.join('; ') : 'none'}`,
    `last events: ${Object.keys(last).join(', ')}`,
    'see the worker log in the run folder (kept)',
  ].join('; ');
}

function checkOutcomes(side: Side, listed: readonly ListedExecution[]): void {
  const bad = listed.filter(
    (e) => e.status !== 'COMPLETED' || (isLadderSide(side) && e.outcome !== 'executed'),
  );
  if (bad.length > 0)
    throw new Error(
      `${bad.length} of ${listed.length} tasks did not execute, e.g. ${bad
        .slice(0, 3)
        .map((e) => `${e.workflowId} (${e.status}, outcome ${e.outcome ?? 'none'})`)
        .join(', ')}`,
    );
}

/** Mean history counts of `count` executions spread over the batch. */
export async function sampleHistories(stack: BenchStack, workflowIds: readonly string[], count: number) {
  const picks = spreadSample(workflowIds.length, count).map((i) => workflowIds[i]);
  const counts = await inPool(picks, 4, async (id) => {
    const history = await stack.client.workflow.getHandle(id).fetchHistory();
    return countHistory(history.events ?? []);
  });
  return { history: meanCounts(counts), historySample: counts.length };
}

/**
 * Runs one batch of `n` rung-3 tasks of `side` on a quiet stack: submits them all (at most
 * `concurrency` in flight), waits until visibility lists every one closed, checks each executed,
 * then measures what the batch cost.
 *
 * @throws Error when a submission is refused, a task did not execute, or the batch stalls.
 */
export async function runBatch(
  stack: BenchStack,
  spec: { side: Side; n: number; round: number; tag: string },
  options: { concurrency: number; stallMs: number; historySample: number },
): Promise<BatchResult> {
  const label = `${spec.side} N=${spec.n} round ${spec.round + 1}`;
  const { submit, idOf, prefix, retries } = submitterFor(stack, spec.side, spec.tag);
  const ids = Array.from({ length: spec.n }, (_, i) => idOf(i));
  const query = idPrefixQuery(prefix);
  await settle(stack);
  const ladder = isLadderSide(spec.side);
  const entityBefore = ladder
    ? await entityEventTotal(stack.client, stack.ladderQueue, LADDER_TASK_WORKFLOW)
    : undefined;
  const callsBefore = await stack.slackCalls();
  const opsBefore = stack.serverMetricsUrl ? await readServerOps(stack.serverMetricsUrl) : undefined;
  const cpuBefore = cpuSnapshot(stack.pids());
  const firstSubmitMs = Date.now();
  let submittedMs: number;
  let listed: ListedExecution[];
  try {
    await inPool(ids, options.concurrency, (_, i) => submit(i));
    submittedMs = Date.now();
    await awaitClosed(stack.client, query, spec.n, options.stallMs, label, () => explainStall(stack, query));
    listed = await listExecutions(stack.client, query);
    if (listed.length !== spec.n)
      throw new Error(`visibility lists ${listed.length} tasks, expected ${spec.n}`);
    checkOutcomes(spec.side, listed);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(`${label}: `, '') : String(err);
    throw new BatchFailed(label, prefix, reason, { cause: err });
  }
  await settle(stack);
  const cpuAfter = cpuSnapshot(stack.pids());
  const cpu = splitCpu(cpuBefore, cpuAfter, Date.now() - firstSubmitMs);
  const callsAfter = await stack.slackCalls();
  const opsAfter = opsBefore ? await readServerOps(stack.serverMetricsUrl!) : undefined;
  const worker = memoryOf(stack.pids()[workerOf(spec.side)]);
  const lastCloseMs = Math.max(...listed.map((e) => e.closeMs));
  const entityAfter = ladder
    ? await entityEventTotal(stack.client, stack.ladderQueue, LADDER_TASK_WORKFLOW)
    : undefined;
  const sampled = await sampleHistories(stack, ids, options.historySample);
  const calls: Record<string, number> = { total: callsAfter.total - callsBefore.total };
  for (const [method, count] of Object.entries(callsAfter.byMethod))
    calls[method] = count - (callsBefore.byMethod[method] ?? 0);
  return {
    side: spec.side,
    n: spec.n,
    round: spec.round,
    label,
    tasksPerSecond: throughput(spec.n, firstSubmitMs, lastCloseMs),
    seconds: (lastCloseMs - firstSubmitMs) / 1000,
    submitSeconds: (submittedMs - firstSubmitMs) / 1000,
    submitRetries: retries,
    taskWallMs: summarize(listed.map((e) => e.closeMs - e.startMs)),
    cpuMsPerTask: perTaskEach(cpu.byProcess, spec.n),
    otherLoadCores: cpu.otherLoadCores,
    workerRssMiB: { now: worker.rssKiB / 1024, peak: worker.peakRssKiB / 1024 },
    slackCallsPerTask: Object.fromEntries(
      Object.entries(calls)
        .filter(([, c]) => c > 0)
        .map(([method, c]) => [method, perTask(c, spec.n)]),
    ),
    ...sampled,
    ...(entityBefore !== undefined && entityAfter !== undefined
      ? { entityEventsPerTask: perTask(entityAfter - entityBefore, spec.n) }
      : {}),
    ...(opsBefore && opsAfter ? { serverOpsPerTask: serverOpsPerTask(opsBefore, opsAfter, spec.n) } : {}),
  };
}

/** How every batch of a run is driven, from the run's options. Pure. */
export function batchOptionsOf(options: {
  submitConcurrency: number;
  stallSeconds: number;
  historySample: number;
}): { concurrency: number; stallMs: number; historySample: number } {
  return {
    concurrency: options.submitConcurrency,
    stallMs: options.stallSeconds * 1000,
    historySample: options.historySample,
  };
}

/**
 * Runs 20 tasks of each of `sides`, not counted: the first tasks start the entity workflows
 * (ledgers, quota) and warm the workers' JITs.
 */
export async function warmUp(
  stack: BenchStack,
  sides: readonly Side[],
  runTag: string,
  options: { concurrency: number; stallMs: number },
): Promise<void> {
  for (const side of sides)
    await runBatch(
      stack,
      { side, n: 20, round: 0, tag: `${runTag}-warm-${side}` },
      { ...options, historySample: 1 },
    );
}
