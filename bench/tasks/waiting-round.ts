import { setMaxListeners } from 'node:events';
import { createActionRegistry } from '../../activities/actions/registry';
import { taskWorkflowId } from '../../workflows/messages';
import { summarize, type LatencySummary } from '../latency-stats';
import { sendApproval, startWaitingTask, type StartedWaiting } from './approvals';
import { LADDER_TASK_WORKFLOW, settle } from './batches';
import { perTaskEach, throughput } from './figures';
import { awaitKeyedMessages } from './emulator-wait';
import { ProcessExited } from './processes';
import { Stalled, unlessStalled } from './stall-guard';
import { inPool, sleep } from './pool';
import { cpuSnapshot, splitCpu } from './proc-stats';
import { agentOf } from './requests';
import { sampleRss, type PhaseRss } from './rss-sampler';
import type { BenchStack } from './stack';
import { TransientRefusal, withRetries, type RetryLog } from './submitters';
import { awaitClosed, BatchStalled, idPrefixQuery, listExecutions, type ListedExecution } from './visibility';

/** Who runs the waiting tasks: Ladder at rung 2, or the bare approval workflow. */
export type WaitingSide = 'ladder' | 'baseline';

/** The worker process of each side, as named in the stack's pids. */
export const WAITING_WORKER_OF: Record<WaitingSide, string> = {
  ladder: 'Ladder worker',
  baseline: 'baseline worker',
};

/** The end of the key of the request message both sides post before they wait. */
const REQUEST_KEY_SUFFIX = '/approval-request';

/** What one side's waiting round measured. */
export interface WaitingRunResult {
  side: WaitingSide;
  tasks: number;
  /** From the first submission to the last one answered by the server. */
  submitSeconds: number;
  /** Requests posted in the emulator: all of them, unless posting stalled. */
  posted: number;
  /** From the first submission to the last request posted in the emulator. */
  postedSeconds: number;
  /** Tasks per second, submission to "request posted". */
  postedPerSecond: number;
  /** Per task: from its submission to its request being posted. */
  submitToPostedMs: LatencySummary;
  /** From the first answer sent to the last task closed. */
  approvedSeconds: number;
  /** Tasks per second, first answer to the last task closed. */
  approvedPerSecond: number;
  /** Per answer: from sending it to its acknowledgement (the update's result). */
  answerAckMs: LatencySummary;
  /** Tasks that closed as they should (Ladder: outcome `executed`). */
  completed: number;
  /** Tasks that did not: `tasks - completed`. */
  lost: number;
  /** Up to five tasks that did not complete, with how they ended. */
  notCompleted: string[];
  /** Answers refused on their first attempt (each should have been accepted), with a reason. */
  refused: { count: number; examples: string[] };
  submitRetries: RetryLog;
  answerRetries: RetryLog;
  /** Resident memory of the side's worker, by phase (idle before, waiting, resolving), and its kernel peak. */
  workerRss: { phases: Record<string, PhaseRss>; hwmMiB: number };
  /** Cores' worth of CPU other processes on the machine used while tasks were created and while they resolved. */
  otherLoadCores: { waiting: number; resolving: number };
  /**
   * CPU ms per task each process of the stack used (by its name in the stack's pids, plus `bench
   * driver`): from the first submission to the answers' start, and from then to the last close.
   */
  cpuMsPerTask: { waiting: Record<string, number>; resolving: Record<string, number> };
  /** Why the tasks stopped being posted or closing, when they did. */
  stalled?: string;
}

/**
 * Sends the approval of one task, retrying what did not get through. A refusal on a retry means
 * an earlier attempt got through after all (the final count of completed tasks is what decides);
 * a refusal on the first attempt is noted in `refused`. Once `giveUp` is aborted, no attempt starts.
 *
 * @returns ms from sending to the acknowledgement.
 */
async function answer(
  stack: BenchStack,
  side: WaitingSide,
  item: StartedWaiting,
  retries: RetryLog,
  refused: { count: number; examples: string[] },
  giveUp: AbortSignal,
): Promise<number> {
  const started = performance.now();
  let attempt = 0;
  await withRetries(async () => {
    // Not a refusal that may pass: the round stopped waiting for answers.
    if (giveUp.aborted) throw new Error(`gave up on the answer to ${item.workflowId}`);
    attempt++;
    let result: Awaited<ReturnType<typeof sendApproval>>;
    try {
      result = await sendApproval(stack, side, item);
    } catch (err) {
      throw new TransientRefusal(`Temporal: ${(err as Error).message}`);
    }
    if (!result.ok && attempt === 1) {
      refused.count++;
      if (refused.examples.length < 5) refused.examples.push(`${item.workflowId}: ${result.reason}`);
    }
  }, retries);
  return performance.now() - started;
}

/** Whether a listed execution ended as a waiting task should once approved. */
function completedAsExpected(side: WaitingSide, e: ListedExecution): boolean {
  return e.status === 'COMPLETED' && (side === 'baseline' || e.outcome === 'executed');
}

/** The result of a round whose requests stopped being posted: nothing approved, every task lost. Pure. */
export function stalledRound(
  side: WaitingSide,
  tasks: number,
  posted: number,
  submitSeconds: number,
  seen: Pick<WaitingRunResult, 'stalled' | 'submitRetries' | 'workerRss'> & { otherLoadCores: number },
): WaitingRunResult {
  const none = summarize([]);
  return {
    side,
    tasks,
    submitSeconds,
    posted,
    postedSeconds: NaN,
    postedPerSecond: NaN,
    submitToPostedMs: none,
    approvedSeconds: NaN,
    approvedPerSecond: NaN,
    answerAckMs: none,
    completed: 0,
    lost: tasks,
    notCompleted: [],
    refused: { count: 0, examples: [] },
    submitRetries: seen.submitRetries,
    answerRetries: { count: 0, reasons: {} },
    workerRss: seen.workerRss,
    otherLoadCores: { waiting: seen.otherLoadCores, resolving: NaN },
    cpuMsPerTask: { waiting: {}, resolving: {} },
    stalled: seen.stalled,
  };
}

/**
 * One waiting round: `tasks` tasks of `side` submitted (at most `submitConcurrency` in flight)
 * that each post a request and wait for an approval; once every request is posted they wait
 * `holdMs` more, then all are approved with signed answers (`answerConcurrency` in flight) and
 * every task is counted once closed. The side's worker RSS is read every `rssSampleMs` throughout.
 *
 * When requests stop being posted for `stallMs`, the round ends there with every task lost and
 * the reason in `stalled`.
 *
 * @throws Error when a submission is refused for good.
 */
export async function runWaitingRound(
  stack: BenchStack,
  spec: {
    side: WaitingSide;
    tasks: number;
    tag: string;
    submitConcurrency: number;
    answerConcurrency: number;
    holdMs: number;
    rssSampleMs: number;
    stallMs: number;
    /** Runs the answering and closing of every task, e.g. under a CPU profile. */
    profileResolving?: (resolve: () => Promise<void>) => Promise<void>;
  },
  progress: (line: string) => void,
): Promise<WaitingRunResult> {
  const prefix =
    spec.side === 'baseline' ? `baseline/${spec.tag}-` : taskWorkflowId(agentOf('confirm'), `${spec.tag}-`);
  const registry = createActionRegistry();
  const submitRetries: RetryLog = { count: 0, reasons: {} };
  await settle(stack);
  const rss = sampleRss(stack.pids()[WAITING_WORKER_OF[spec.side]], spec.rssSampleMs, 'idle');
  try {
    rss.phase('waiting');
    const cpuWaiting = cpuSnapshot(stack.pids());
    const firstSubmitMs = Date.now();
    const submittedAt = new Array<number>(spec.tasks);
    const items = await stack.watch(
      inPool(
        Array.from({ length: spec.tasks }, (_, i) => i),
        spec.submitConcurrency,
        (i) => {
          submittedAt[i] = Date.now();
          return startWaitingTask(stack, spec.side, i, spec.tag, submitRetries, registry);
        },
      ),
    );
    const submitSeconds = (Date.now() - firstSubmitMs) / 1000;
    progress(
      `${spec.side}: ${spec.tasks} submitted in ${submitSeconds.toFixed(1)} s; waiting for every request`,
    );

    try {
      await stack.watch(
        awaitKeyedMessages(
          stack,
          {
            keyPrefix: prefix,
            keySuffix: REQUEST_KEY_SUFFIX,
            count: spec.tasks,
            what: `${spec.side} requests`,
            stallMs: spec.stallMs,
            pollMs: 500,
          },
          async () => 'see the worker log in the run folder',
        ),
      );
    } catch (err) {
      // Tasks that never ask cannot be approved: the round ends here, every unasked task lost.
      const { count } = await stack.keyedMessages(prefix, REQUEST_KEY_SUFFIX);
      progress(`${spec.side}: requests stopped being posted: ${(err as Error).message}`);
      return stalledRound(spec.side, spec.tasks, count, submitSeconds, {
        stalled: `requests stopped being posted: ${(err as Error).message}`,
        submitRetries,
        workerRss: rss.stop(),
        otherLoadCores: splitCpu(cpuWaiting, cpuSnapshot(stack.pids()), Date.now() - firstSubmitMs)
          .otherLoadCores,
      });
    }
    const { posts = [], lastPostedAtMs } = await stack.keyedMessages(prefix, REQUEST_KEY_SUFFIX, true);
    const postedAt = new Map(posts.map((p) => [p.key, p.postedAtMs]));
    const submitToPosted = items.map(
      (item, i) => (postedAt.get(`${item.workflowId}${REQUEST_KEY_SUFFIX}`) ?? NaN) - submittedAt[i],
    );
    await sleep(spec.holdMs);
    progress(
      `${spec.side}: every request posted ${((lastPostedAtMs - firstSubmitMs) / 1000).toFixed(1)} s after the first submission; worker RSS peak while waiting ${Math.round(rss.peakMiB('waiting'))} MiB; answering`,
    );
    const waitingCpu = splitCpu(cpuWaiting, cpuSnapshot(stack.pids()), Date.now() - firstSubmitMs);

    rss.phase('resolving');
    const cpuResolving = cpuSnapshot(stack.pids());
    const answerRetries: RetryLog = { count: 0, reasons: {} };
    const refused = { count: 0, examples: [] as string[] };
    let answered = 0;
    const firstAnswerMs = Date.now();
    const query = idPrefixQuery(prefix);
    let acks: number[] = [];
    let stalled: string | undefined;
    // Cancels the answers still in flight (and any retry of theirs) once the round gives up on
    // them, so none outlives the stack's connection.
    const giveUp = new AbortController();
    // Every gRPC call of every answer in flight listens to it (an update is several): no bound.
    setMaxListeners(0, giveUp.signal);
    const answerAndClose = async (): Promise<void> => {
      // Answers and closes are awaited while they make progress and the stack's processes live;
      // a stall or a crash ends the round, and what closed by then is counted.
      acks = await stack.watch(
        unlessStalled(
          stack.client.withAbortSignal(giveUp.signal, () =>
            inPool(items, spec.answerConcurrency, (item) =>
              answer(stack, spec.side, item, answerRetries, refused, giveUp.signal).finally(() => answered++),
            ),
          ),
          () => answered,
          { total: spec.tasks, what: `${spec.side} answers acknowledged`, stallMs: spec.stallMs },
        ),
      );
      progress(`${spec.side}: ${spec.tasks} answers acknowledged; waiting for every task to close`);
      await stack.watch(
        awaitClosed(
          stack.client,
          query,
          spec.tasks,
          spec.stallMs,
          `${spec.side} waiting round`,
          async () => 'see the worker log in the run folder',
        ),
      );
    };
    try {
      await (spec.profileResolving ? spec.profileResolving(answerAndClose) : answerAndClose());
    } catch (err) {
      if (!(err instanceof BatchStalled || err instanceof Stalled || err instanceof ProcessExited)) throw err;
      giveUp.abort();
      stalled = err.message;
      progress(`${spec.side}: STALLED: ${stalled}`);
    }
    const listed = (await listExecutions(stack.client, query)).filter(
      (e) => spec.side === 'baseline' || e.type === LADDER_TASK_WORKFLOW,
    );
    const resolvingCpu = splitCpu(cpuResolving, cpuSnapshot(stack.pids()), Date.now() - firstAnswerMs);
    const done = listed.filter((e) => completedAsExpected(spec.side, e));
    const lastCloseMs = Math.max(...done.map((e) => e.closeMs));
    return {
      side: spec.side,
      tasks: spec.tasks,
      submitSeconds,
      posted: spec.tasks,
      postedSeconds: (lastPostedAtMs - firstSubmitMs) / 1000,
      postedPerSecond: throughput(spec.tasks, firstSubmitMs, lastPostedAtMs),
      submitToPostedMs: summarize(submitToPosted),
      approvedSeconds: (lastCloseMs - firstAnswerMs) / 1000,
      approvedPerSecond:
        done.length === spec.tasks ? throughput(spec.tasks, firstAnswerMs, lastCloseMs) : NaN,
      answerAckMs: summarize(acks),
      completed: done.length,
      lost: spec.tasks - done.length,
      notCompleted: listed
        .filter((e) => !completedAsExpected(spec.side, e))
        .slice(0, 5)
        .map((e) => `${e.workflowId} (${e.status}, outcome ${e.outcome ?? 'none'})`),
      refused,
      submitRetries,
      answerRetries,
      workerRss: rss.stop(),
      otherLoadCores: { waiting: waitingCpu.otherLoadCores, resolving: resolvingCpu.otherLoadCores },
      cpuMsPerTask: {
        waiting: perTaskEach(waitingCpu.byProcess, spec.tasks),
        resolving: perTaskEach(resolvingCpu.byProcess, spec.tasks),
      },
      ...(stalled !== undefined ? { stalled } : {}),
    };
  } finally {
    rss.stop();
  }
}
