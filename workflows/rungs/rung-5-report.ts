import { workflowNowMs } from '../clock';
import { awaitReadWithEscalation } from '../read-sla';
import {
  addWaitingOn,
  baseNotification,
  beside,
  decisionOf,
  note,
  notifying,
  post,
  record,
  recordEvidence,
  setWaitingOn,
  stepsFacts,
  tellStory,
  type TaskContext,
} from '../task-context';
import { timelineLabel } from '../task-story';
import { reportSummary, reportText, unreadReportText } from '../../slack/blocks/report-wording';
import { changeSummary, type ReportFacts } from '../../slack/blocks/task-facts';
import type { EscalationStep } from '../read-sla';
import { announceExecuted, runOnOwnAuthority } from './rung-3-bounded';
import type { RungResult } from './rung-result';

/**
 * Rung 5, execute and report. Asks: nobody before it runs (as at rung 4, with the saga); after,
 * a reader of the class to read the report (each task's own, or the agent's digest for the
 * period). Answer: *mark read*. Next: unread at each escalation delay, the next contact is pinged;
 * unread past the read SLA, the breach is recorded and the agent loses a rung.
 */
export async function executeAndReport(ctx: TaskContext): Promise<RungResult> {
  return runOnOwnAuthority(ctx, { compensate: true, healthWatch: true }, async (_, result, evidence) => {
    const report = ctx.bundle!.decision.report;
    // A class at rung 5 without a report section: told like rung 4.
    if (!report) return announceExecuted(5)(ctx, result, evidence);
    // The report has a life of its own (read SLA, digest): the evidence goes beside it.
    beside(ctx, recordEvidence(evidence));
    const summary = reportSummary(
      result.executedSteps,
      ctx.input.task.title,
      changeSummary(stepsFacts(ctx, 'not-run')),
    );
    if (report.mode === 'digest' && report.periodMs !== null) {
      const digestId = await notifying.addToDigest.executeWithOptions(
        { summary: timelineLabel.addToDigest(report.channel) },
        [
          {
            periodMs: report.periodMs,
            digest: {
              agentId: ctx.input.task.agent.id,
              channel: report.channel,
              owner: ctx.bundle!.owner,
              escalation: [...ctx.bundle!.decision.escalation],
              readSlaMs: report.readSlaMs,
              uiBaseUrl: ctx.input.uiBaseUrl,
              answerTrust: ctx.bundle!.answerTrust,
              readers: ctx.bundle!.reportReaders,
            },
            item: {
              workflowId: ctx.workflowId,
              taskClass: ctx.input.task.taskClass,
              title: ctx.input.task.title,
              summary,
            },
          },
        ],
      );
      // The digest holds the read SLA for every task in it.
      note(ctx, `report added to digest ${digestId}`);
      return result;
    }
    return { ...result, reportRead: await reportAndAwaitRead(ctx) };
  });
}

/**
 * Rung 5: posts an after-the-fact report (what changed, step by step, with its health checks; the
 * read deadline and the next escalation) and starts its read-SLA timer. Unread at each escalation
 * delay (measured from posting), the next contact in the chain is pinged with the same report and
 * button; unread at the later of the read SLA and the last escalation, the breach is recorded for
 * the trust ledger.
 *
 * @returns whether the report was read.
 */
export async function reportAndAwaitRead(ctx: TaskContext): Promise<boolean> {
  const d = decisionOf(ctx);
  const report = d.report!;
  const readers = ctx.bundle?.reportReaders ?? [];
  // Before posting: a reader who clicks the moment the message shows must find the task waiting
  // (the click can reach the workflow in the same activation as the post's completion).
  ctx.status.waitingOn = `a reader in ${report.channel}`;
  ctx.waiting = 'report';
  setWaitingOn(ctx, readers);
  const postedAt = workflowNowMs();
  const contact = (step: EscalationStep): string =>
    step.notify === 'owner' ? (ctx.bundle?.owner ?? 'channel') : step.notify;
  /** The report's read facts, with the escalation after the `pinged` first ones as the next. */
  const readFacts = (pinged: number): ReportFacts => {
    const next = d.escalation[pinged];
    return {
      readers,
      readBy: new Date(postedAt + report.readSlaMs).toISOString(),
      ...(next
        ? { nextEscalation: { at: new Date(postedAt + next.afterMs).toISOString(), to: contact(next) } }
        : {}),
    };
  };
  const steps = stepsFacts(ctx, 'not-run');
  await post(
    ctx,
    'report',
    {
      ...baseNotification(
        ctx,
        'report',
        reportText({ executedSteps: ctx.executedSteps, totalSteps: ctx.input.task.steps.length }),
      ),
      channel: report.channel,
      actions: ['mark-read'],
      facts: { steps, report: readFacts(0) },
    },
    true,
  );
  ctx.status.phase = 'awaiting-report-read';
  tellStory(ctx);
  const wasRead = await awaitReadWithEscalation({
    read: () => ctx.human.reportRead !== undefined,
    escalation: d.escalation,
    readSlaMs: report.readSlaMs,
    ping: async (i, step) => {
      const to = contact(step);
      note(ctx, `report unread after ${Math.round(step.afterMs / 1000)} s: pinged ${to}`);
      await post(ctx, `report-escalation-${i}`, {
        ...baseNotification(ctx, 'report-escalation', unreadReportText(ctx.input.task.title)),
        to,
        channel: report.channel,
        actions: ['mark-read'],
        facts: { steps, report: readFacts(i + 1) },
      });
      addWaitingOn(ctx, to);
      tellStory(ctx);
    },
  });
  ctx.waiting = null;
  ctx.status.waitingOn = null;
  setWaitingOn(ctx, []);
  if (!wasRead) {
    note(ctx, 'report read SLA breached');
    await record(ctx, 'sla-breach', { latencyMs: workflowNowMs() - postedAt });
    return false;
  }
  await record(ctx, 'report-read', { by: ctx.human.reportRead!.by, latencyMs: workflowNowMs() - postedAt });
  return true;
}
