import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask, TaskValidationError } from '../../client/submit-task';
import { statusQuery, taskWorkflowId } from '../../workflows/messages';
import { summarize, type LatencySummary } from '../latency-stats';
import { baselineReportTask } from '../baseline/workflows';
import { settle } from './batches';
import { reportEscalationAfterMs } from './policy';
import { awaitKeyedMessages } from './emulator-wait';
import { inPool, sleep } from './pool';
import { cpuSnapshot, memoryOf, splitCpu } from './proc-stats';
import { agentOf, baselineReportInput, clientTaskRequest } from './requests';
import type { BenchStack } from './stack';
import { TransientRefusal, withRetries, type RetryLog } from './submitters';
import {
  latenessFigures,
  submitOffsetMs,
  timerToActivity,
  type LatenessFigures,
  type TimerToActivity,
} from './timer-lateness';

/** Who runs the report tasks: Ladder at rung 5, or the bare report workflow. */
export type TimerSide = 'ladder' | 'baseline';

/** The activity that posts the escalation ping, and the end of its key, on each side. */
const ESCALATION = {
  ladder: { activityType: 'notify', keySuffix: '/report-escalation-0' },
  baseline: { activityType: 'baselinePost', keySuffix: '/report-escalation-0' },
} as const;

/** The worker process of each side, as named in the stack's pids. */
const WORKER_OF: Record<TimerSide, string> = { ladder: 'Ladder worker', baseline: 'baseline worker' };

/** What one side's report timers measured. */
export interface TimerRunResult {
  side: TimerSide;
  /** Report tasks submitted, one read-SLA escalation timer each. */
  timers: number;
  /** Timers whose escalation was found in history (the others are named in `missing`). */
  measured: number;
  /** Up to five tasks whose escalation could not be read from history. */
  missing: string[];
  /** Over how long the submissions were spread, as planned. */
  spreadSeconds: number;
  /** The escalation's delay after the report was posted. */
  escalateAfterMs: number;
  /**
   * Timers that came due before the round's last report was posted: those fired while tasks
   * were still being submitted and run, not on an otherwise quiet worker.
   */
  dueWhileReporting: number;
  figures: LatenessFigures;
  /** How late each submission left the driver after its planned moment (a busy driver shows here). */
  submitLagMs: LatencySummary;
  submitRetries: RetryLog;
  /** Cores' worth of CPU other processes on the machine used while the timers came due and fired. */
  otherLoadCores: number;
  /** Peak resident memory of the side's worker so far, in MiB. */
  workerPeakRssMiB: number;
}

/** Submits task `i` of the round: a rung-5 task through Ladder's client, or the bare report workflow. */
function submitterOf(stack: BenchStack, side: TimerSide, tag: string, retries: RetryLog) {
  const registry = createActionRegistry();
  const delayMs = reportEscalationAfterMs(stack.policy);
  const idOf = (i: number): string =>
    side === 'baseline' ? `baseline/${tag}-${i}` : taskWorkflowId(agentOf('report'), `${tag}-${i}`);
  const submit = (i: number): Promise<void> =>
    withRetries(async () => {
      const file = `${tag}/${i}.txt`;
      try {
        if (side === 'baseline')
          await stack.client.workflow.start(baselineReportTask, {
            workflowId: idOf(i),
            taskQueue: stack.baselineQueue,
            args: [baselineReportInput(idOf(i), file, stack.policy.versionId, delayMs)],
          });
        else
          await submitTask(stack.client, clientTaskRequest(`${tag}-${i}`, file, 'report'), {
            taskQueue: stack.ladderQueue,
            policy: stack.policy,
            actions: registry,
          });
      } catch (err) {
        if (err instanceof TaskValidationError) throw err;
        // An earlier attempt started it after all.
        if (err instanceof WorkflowExecutionAlreadyStartedError) return;
        throw new TransientRefusal(`Temporal: ${(err as Error).message}`);
      }
    }, retries);
  const prefix = side === 'baseline' ? `baseline/${tag}-` : taskWorkflowId(agentOf('report'), `${tag}-`);
  return { idOf, submit, prefix };
}

/** Why escalations stopped arriving: how many reports were posted, and where the first task stands. */
async function explainMissing(stack: BenchStack, side: TimerSide, prefix: string, firstId: string) {
  const reports = await stack.keyedMessages(prefix, '/report');
  if (side === 'baseline') return `${reports.count} reports posted`;
  const status = await stack.client.workflow
    .getHandle(firstId)
    .query(statusQuery)
    .then((s) => `phase ${s.phase}, rung ${s.rung}`)
    .catch((err: unknown) => `status query failed: ${(err as Error).message}`);
  return `${reports.count} reports posted; ${firstId}: ${status}`;
}

/**
 * One round of report timers: `count` report tasks of `side` submitted evenly over `spreadMs`
 * (so their escalation timers come due over about as long), nobody reading any report. Waits
 * until every escalation ping is posted in the emulator, then reads from each history when its
 * timer was due and when the ping's activity started.
 *
 * @throws Error when a submission is refused for good, or pings stop arriving for `stallMs`.
 */
export async function runReportTimers(
  stack: BenchStack,
  spec: { side: TimerSide; count: number; spreadMs: number; tag: string; stallMs: number },
): Promise<TimerRunResult> {
  const retries: RetryLog = { count: 0, reasons: {} };
  const { idOf, submit, prefix } = submitterOf(stack, spec.side, spec.tag, retries);
  const ids = Array.from({ length: spec.count }, (_, i) => idOf(i));
  const delayMs = reportEscalationAfterMs(stack.policy);
  await settle(stack);
  const firstAt = Date.now() + 100;
  const lags = await stack.watch(
    inPool(ids, 50, async (_, i) => {
      const due = firstAt + submitOffsetMs(i, spec.count, spec.spreadMs);
      await sleep(Math.max(0, due - Date.now()));
      const lag = Date.now() - due;
      await submit(i);
      return lag;
    }),
  );

  // Other processes' load is measured while the timers come due, not while the tasks ran.
  await sleep(Math.max(0, firstAt + delayMs - 500 - Date.now()));
  const cpuBefore = cpuSnapshot(stack.pids());
  const firingFrom = Date.now();
  const { keySuffix, activityType } = ESCALATION[spec.side];
  await stack.watch(
    awaitKeyedMessages(
      stack,
      {
        keyPrefix: prefix,
        keySuffix,
        count: spec.count,
        what: `${spec.side} escalation pings`,
        stallMs: spec.stallMs,
        pollMs: 1000,
        // The last timer is due about `delayMs` after the last submission: no ping is late before then.
        quietFromMs: firstAt + spec.spreadMs + delayMs,
      },
      () => explainMissing(stack, spec.side, prefix, ids[0]),
    ),
  );
  const { otherLoadCores } = splitCpu(cpuBefore, cpuSnapshot(stack.pids()), Date.now() - firingFrom);

  const timings = await inPool(ids, 4, async (id) => {
    // The ping's ActivityTaskStarted is written when it completes: a ping just posted may need a moment.
    for (let attempt = 0; attempt < 10; attempt++) {
      const history = await stack.client.workflow.getHandle(id).fetchHistory();
      const timing = timerToActivity(history.events ?? [], { activityType, keySuffix, delayMs });
      if (timing) return { id, timing };
      await sleep(500);
    }
    return { id, timing: undefined };
  });
  const found = timings.filter((t): t is { id: string; timing: TimerToActivity } => t.timing !== undefined);
  const lastReport = await stack.keyedMessages(prefix, '/report');
  return {
    side: spec.side,
    timers: spec.count,
    measured: found.length,
    missing: timings
      .filter((t) => t.timing === undefined)
      .slice(0, 5)
      .map((t) => t.id),
    spreadSeconds: spec.spreadMs / 1000,
    escalateAfterMs: delayMs,
    dueWhileReporting: found.filter((t) => t.timing.dueMs < lastReport.lastPostedAtMs).length,
    figures: latenessFigures(found.map((t) => t.timing)),
    submitLagMs: summarize(lags),
    submitRetries: retries,
    otherLoadCores,
    workerPeakRssMiB: memoryOf(stack.pids()[WORKER_OF[spec.side]]).peakRssKiB / 1024,
  };
}
