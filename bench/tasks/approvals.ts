import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createActionRegistry, type ActionRegistry } from '../../activities/actions/registry';
import { answerTask } from '../../client/answer-task';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { stepsHash, submitTask, TaskValidationError } from '../../client/submit-task';
import { statusQuery, taskWorkflowId } from '../../workflows/messages';
import { summarize, type LatencySummary } from '../latency-stats';
import { baselineApprovalTask, baselineApproveUpdate, baselineWaitingQuery } from '../baseline/workflows';
import { ackBuckets, ackQuantilesMs, type Buckets } from './ack-histogram';
import { activityStartedAtMs } from './history-counts';
import { fetchExposition } from './prometheus-text';
import { BENCH } from './policy';
import { inPool, sleep } from './pool';
import { agentOf, baselineApprovalInput, clientTaskRequest, fileStep } from './requests';
import { settle } from './batches';
import { cpuSnapshot, splitCpu } from './proc-stats';
import type { BenchStack } from './stack';
import { TransientRefusal, withRetries, type RetryLog } from './submitters';

/** How an approval reaches the task: Ladder's client (a signed update), a Slack click, or the bare update. */
export type AnswerPath = 'ladder-client' | 'ladder-click' | 'baseline';

/** The activity whose start is "the step started", per side. */
export interface ExecuteActivities {
  ladder: string;
  baseline: string;
}

/**
 * How answers are sent: one at a time (each task finishing before the next answer); `concurrent`,
 * with each of `concurrency` lanes sending its next answer once the last one is answered (the
 * update's result; for a click, the app telling the clicker it was recorded, as a person waits);
 * or `burst` (clicks only), each lane clicking again as soon as Slack's ack is back, so far more
 * than `concurrency` answers can be in flight at once.
 */
export type ApprovalMode = 'sequential' | 'concurrent' | 'burst';

/** What one approval phase measured. */
export interface ApprovalResult {
  path: AnswerPath;
  mode: ApprovalMode;
  count: number;
  /** Answers in flight at once (1 when sequential). */
  concurrency: number;
  /** From sending the answer to the execute activity starting. */
  answerToStepMs: LatencySummary;
  /** From sending the answer to its acknowledgement: the update's result, or the Slack app's ack. */
  answerAckMs: LatencySummary;
  /** Clicks in `concurrent` mode: from the click to the app telling the clicker it was recorded. */
  answerToldMs?: LatencySummary;
  /** How "the step started" was read: the activity's ActivityTaskStarted event, else the file's mtime. */
  fromHistory: number;
  fromFileTime: number;
  /** Submissions of the waiting tasks refused for now and tried again. */
  prepareRetries: RetryLog;
  /** Cores' worth of CPU other processes on the machine used while the answers were sent and ran. */
  otherLoadCores: number;
  /**
   * CPU ms per answer of each of the stack's processes (and the bench driver) while the answers
   * were sent and ran; both sides' processes are counted, as in the throughput batches.
   */
  cpuMsPerAnswer?: Record<string, number>;
  /**
   * Click path only: the Slack app's own ack times (its handler entered → ack sent), from its
   * metrics, as the bucket bounds p50 and p99 fall in; the rest of `answerAckMs` was spent
   * reaching the handler (the emulator's sending, the app waiting for its turn at the CPU).
   */
  appAckMs?: { count: number; p50AtMostMs: number; p99AtMostMs: number } | null;
}

/** The Slack app's ack histogram for clicks, now. */
async function clickAckBuckets(stack: BenchStack): Promise<Buckets> {
  return ackBuckets(await fetchExposition(stack.slackAppMetricsUrl), 'block_actions');
}

interface Waiting extends StartedWaiting {
  /** The Approve button of its approval request (click path). */
  button?: { ts: string; actionId: string };
}

/** Polls until `check` holds; throws `what` after `timeoutMs`. */
async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: () => Promise<string>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(await what());
    await sleep(100);
  }
}

/** A rung-2 task (or bare approval workflow) started and about to wait for its approval. */
export interface StartedWaiting {
  workflowId: string;
  /** The hash of its steps, which an approval must name. */
  hash: string;
  /** The file the step writes, relative to the side's workspace. */
  file: string;
}

/**
 * Starts task `i` of `tag` that will wait for one approval: Ladder's rung-2 task through its
 * TypeScript client (`submitTask`), or the bare approval workflow, which posts its request first
 * as Ladder's does. Refusals that may pass are retried (noted in `retries`); the id makes a retry
 * safe. Resolves once started, not once waiting.
 *
 * @throws TaskValidationError when Ladder refuses the task itself.
 */
export async function startWaitingTask(
  stack: BenchStack,
  side: 'ladder' | 'baseline',
  i: number,
  tag: string,
  retries: RetryLog,
  registry: ActionRegistry,
): Promise<StartedWaiting> {
  const file = `${tag}/${i}.txt`;
  if (side === 'baseline') {
    const workflowId = `baseline/${tag}-${i}`;
    await withRetries(async () => {
      try {
        await stack.client.workflow.start(baselineApprovalTask, {
          workflowId,
          taskQueue: stack.baselineQueue,
          args: [baselineApprovalInput(workflowId, file, stack.policy.versionId)],
        });
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return;
        throw new TransientRefusal(`Temporal: ${(err as Error).message}`);
      }
    }, retries);
    return { workflowId, hash: stepsHash([fileStep(file)]), file };
  }
  const taskId = `${tag}-${i}`;
  const request = clientTaskRequest(taskId, file, 'confirm');
  await withRetries(async () => {
    try {
      await submitTask(stack.client, request, {
        taskQueue: stack.ladderQueue,
        policy: stack.policy,
        actions: registry,
      });
    } catch (err) {
      if (err instanceof TaskValidationError) throw err;
      throw new TransientRefusal(`Temporal: ${(err as Error).message}`);
    }
  }, retries);
  return { workflowId: taskWorkflowId(agentOf('confirm'), taskId), hash: stepsHash(request.steps), file };
}

/**
 * Starts `count` tasks that wait for one approval and resolves once each is waiting (Ladder: its
 * status says `awaiting-human`, the request is posted; baseline: its query says waiting).
 */
async function prepare(
  stack: BenchStack,
  path: AnswerPath,
  count: number,
  tag: string,
  retries: RetryLog,
): Promise<Waiting[]> {
  const registry = createActionRegistry();
  const items = await inPool(
    Array.from({ length: count }, (_, i) => i),
    10,
    async (i): Promise<Waiting> => {
      const side = path === 'baseline' ? 'baseline' : 'ladder';
      const started = await startWaitingTask(stack, side, i, tag, retries, registry);
      const handle = stack.client.workflow.getHandle(started.workflowId);
      if (side === 'baseline') {
        await until(
          () => handle.query(baselineWaitingQuery),
          60_000,
          async () => `baseline approval task ${started.workflowId} never said it was waiting`,
        );
        return started;
      }
      await until(
        async () => (await handle.query(statusQuery)).phase === 'awaiting-human',
        60_000,
        async () =>
          `rung-2 task ${handle.workflowId} did not reach awaiting-human within 60 s: ${JSON.stringify(await handle.query(statusQuery)).slice(0, 600)}`,
      );
      return started;
    },
  );
  if (path !== 'ladder-click') return items;
  const buttons = await stack.buttons(BENCH.confirmChannel, 'Approve');
  return items.map((item) => {
    const button = buttons.find((b) => b.key?.startsWith(`${item.workflowId}/approval-request`));
    if (!button)
      throw new Error(
        `no Approve button found in ${BENCH.confirmChannel} for ${item.workflowId}'s approval request`,
      );
    return { ...item, button: { ts: button.ts, actionId: button.actionId } };
  });
}

/**
 * Sends one signed approval of `item` through Ladder's client (`answerTask`) or as the bare
 * workflow's update; resolves when it is answered.
 *
 * @returns `{ ok: false, reason }` when the task refused it, with the validator's words.
 * @throws when the answer did not get through (a timeout, a dropped connection).
 */
export async function sendApproval(
  stack: BenchStack,
  side: 'ladder' | 'baseline',
  item: StartedWaiting,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (side === 'baseline') {
    const args = stack.approverKey.sign(item.workflowId, baselineApproveUpdate.name, {
      approver: BENCH.approver,
      stepsHash: item.hash,
    });
    await stack.client.workflow
      .getHandle(item.workflowId)
      .executeUpdate(baselineApproveUpdate, { args: [args] });
    return { ok: true };
  }
  const result = await answerTask(
    stack.client,
    item.workflowId,
    BENCH.approver,
    { kind: 'approve', stepsHash: item.hash },
    stack.approverKey,
  );
  return result.ok ? { ok: true } : result;
}

/**
 * Sends one approval by `path`; resolves when it is acknowledged (a click with `awaitTold`: once
 * the clicker is also told it was recorded), with when it was sent and how long that took.
 */
async function approve(
  stack: BenchStack,
  path: AnswerPath,
  item: Waiting,
  awaitTold = false,
): Promise<{ sentAt: number; ackMs: number; toldMs?: number }> {
  const sentAt = Date.now();
  const started = performance.now();
  if (path !== 'ladder-click') {
    const result = await sendApproval(stack, path === 'baseline' ? 'baseline' : 'ladder', item);
    if (!result.ok) throw new Error(`the approval of ${item.workflowId} was refused: ${result.reason}`);
    return { sentAt, ackMs: performance.now() - started };
  }
  const click = await stack.click(
    BENCH.approver,
    BENCH.confirmChannel,
    item.button!.ts,
    item.button!.actionId,
    // "Recorded: approve by … on <workflow id>." names the task; a refusal would time out here.
    awaitTold ? { textIncludes: item.workflowId, timeoutMs: 60_000 } : undefined,
  );
  if (click.status !== 200 || click.error)
    throw new Error(
      `the Approve click on ${item.workflowId} failed: status ${click.status} ${click.error ?? ''}`,
    );
  if (click.toldError) throw new Error(`the Approve click on ${item.workflowId}: ${click.toldError}`);
  return { sentAt, ackMs: click.ackMs, ...(click.toldMs !== undefined ? { toldMs: click.toldMs } : {}) };
}

/** Waits for the task to finish and checks that its step ran. */
async function awaitExecuted(stack: BenchStack, path: AnswerPath, workflowId: string): Promise<void> {
  const result = (await stack.client.workflow.getHandle(workflowId).result()) as
    { outcome?: string } | string;
  if (path !== 'baseline' && (result as { outcome?: string }).outcome !== 'executed')
    throw new Error(
      `${workflowId} ended ${JSON.stringify(result).slice(0, 300)} after its approval, not executed`,
    );
}

/**
 * One approval phase: prepares `count` waiting tasks on a quiet stack, then answers them as `mode`
 * says ({@link ApprovalMode}), and reads from each history when its step started.
 *
 * @throws when `burst` is asked of a path that is not a click (an update's answer is its result).
 */
export async function runApprovalPhase(
  stack: BenchStack,
  spec: {
    path: AnswerPath;
    mode: ApprovalMode;
    count: number;
    concurrency: number;
    tag: string;
  },
  execute: ExecuteActivities,
): Promise<ApprovalResult> {
  if (spec.mode === 'burst' && spec.path !== 'ladder-click')
    throw new Error(`a burst of answers is for Slack clicks only, not the ${spec.path} path`);
  const prepareRetries: RetryLog = { count: 0, reasons: {} };
  const items = await prepare(stack, spec.path, spec.count, spec.tag, prepareRetries);
  await settle(stack);
  const concurrency = spec.mode === 'sequential' ? 1 : spec.concurrency;
  const acksBefore = spec.path === 'ladder-click' ? await clickAckBuckets(stack) : null;
  const cpuBefore = cpuSnapshot(stack.pids());
  const startedAt = Date.now();
  let sent: { sentAt: number; ackMs: number; toldMs?: number }[];
  if (spec.mode === 'sequential') {
    sent = [];
    for (const item of items) {
      sent.push(await approve(stack, spec.path, item));
      await awaitExecuted(stack, spec.path, item.workflowId);
    }
  } else {
    const awaitTold = spec.mode === 'concurrent' && spec.path === 'ladder-click';
    sent = await inPool(items, concurrency, (item) => approve(stack, spec.path, item, awaitTold));
    await inPool(items, 20, (item) => awaitExecuted(stack, spec.path, item.workflowId));
  }
  const { byProcess, otherLoadCores } = splitCpu(
    cpuBefore,
    cpuSnapshot(stack.pids()),
    Date.now() - startedAt,
  );
  const appAckMs = acksBefore ? ackQuantilesMs(acksBefore, await clickAckBuckets(stack)) : undefined;
  const activity = spec.path === 'baseline' ? execute.baseline : execute.ladder;
  const workspace = spec.path === 'baseline' ? stack.baselineWorkspace : stack.ladderWorkspace;
  let fromHistory = 0;
  let fromFileTime = 0;
  const latencies = await inPool(items, 4, async (item, i) => {
    const history = await stack.client.workflow.getHandle(item.workflowId).fetchHistory();
    const startedAt = activityStartedAtMs(history.events ?? [], activity);
    if (startedAt !== undefined) {
      fromHistory++;
      return startedAt - sent[i].sentAt;
    }
    // The step was not an activity of that name (renamed, or a local activity): the file it wrote says when.
    fromFileTime++;
    return statSync(join(workspace, item.file)).mtimeMs - sent[i].sentAt;
  });
  return {
    path: spec.path,
    mode: spec.mode,
    count: items.length,
    concurrency,
    answerToStepMs: summarize(latencies),
    answerAckMs: summarize(sent.map((s) => s.ackMs)),
    ...(sent.some((s) => s.toldMs !== undefined)
      ? { answerToldMs: summarize(sent.flatMap((s) => (s.toldMs !== undefined ? [s.toldMs] : []))) }
      : {}),
    fromHistory,
    fromFileTime,
    prepareRetries,
    otherLoadCores,
    cpuMsPerAnswer: Object.fromEntries(
      Object.entries(byProcess).map(([name, ms]) => [name, ms / Math.max(1, items.length)]),
    ),
    ...(appAckMs !== undefined ? { appAckMs } : {}),
  };
}
