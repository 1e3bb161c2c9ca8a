import { defaultPayloadConverter } from '@temporalio/common';
import type { HistoryEvent } from '../client/history-events';
import { AnswerProofError, verifyAnswer, type AnswerProof, type AnswerTrust } from '../policy/answer-proof';
import type { Decision } from '../policy/decide';
import type { Notification } from '../activities/notify/notifier';
import type { DecisionBundle } from '../activities/task-activities';
import type { DelegatedTaskInput, Receipt, TaskResult } from '../workflows/messages';
import {
  AUDIT_SCHEMA,
  type AuditAnswer,
  type AuditDecision,
  type AuditOutcome,
  type AuditRecord,
  type AuditShown,
} from './audit-schema';

export { AUDIT_SCHEMA, type AuditRecord } from './audit-schema';

// One task workflow's history folded into one audit record (`ladder.audit/v1`): what was asked,
// what the policy decided and why, every human answer with its proof and the message it answered,
// and how the task ended. Fed one event at a time, so a history is never held whole.

export type { HistoryEvent };

/** Human-answer updates, with the notification kind of the question each one answers. */
const ANSWER_UPDATES: Record<string, string> = {
  approve: 'approval-request',
  reject: 'approval-request',
  resolveSuggestion: 'suggestion',
  reviewDraft: 'draft',
  markReportRead: 'report',
  resolveOutcome: 'outcome-unknown',
};

/**
 * Builds one {@link AuditRecord} from a task workflow's history events, fed in order with
 * {@link AuditRecordBuilder.add}. Keeps only what the record needs (the last message of each
 * question kind, the answers), never the events themselves.
 */
export class AuditRecordBuilder {
  private readonly record: AuditRecord;
  private trust: AnswerTrust | null = null;
  private decideScheduledId: number | null = null;
  /** The last question message of each kind, and the subject (outcome question id) it asked about. */
  private readonly shownByKind = new Map<string, { shown: AuditShown; subject?: string }>();
  private readonly notifyByScheduledId = new Map<number, AuditShown>();
  private readonly answersByUpdateId = new Map<string, AuditAnswer>();

  constructor(workflowId: string, runId: string) {
    this.record = {
      schema: AUDIT_SCHEMA,
      workflowId,
      runId,
      taskQueue: null,
      status: 'running',
      startedAt: null,
      closedAt: null,
      task: null,
      stepsHash: null,
      decision: null,
      rung: null,
      answers: [],
      cancelRequested: null,
      outcome: null,
      failure: null,
    };
  }

  /** Folds one event into the record. Events must come in history order. */
  add(event: HistoryEvent): void {
    const time = isoOf(event.eventTime);
    const r = this.record;
    const started = event.workflowExecutionStartedEventAttributes;
    if (started) {
      r.startedAt = time;
      r.taskQueue = started.taskQueue?.name ?? null;
      const input = first<DelegatedTaskInput>(started.input);
      r.task = input?.task ?? null;
      r.stepsHash = input?.stepsHash ?? null;
      return;
    }
    // The decision is a local activity: its result is in its marker.
    const marker = event.markerRecordedEventAttributes;
    if (marker) {
      const local = first<{ activity_type?: string }>(marker.details?.data);
      if (local?.activity_type === 'decideTask')
        this.noteDecision(time, first<DecisionBundle>(marker.details?.result));
      return;
    }
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const name = scheduled.activityType?.name;
      // Decisions recorded before it became a local activity.
      if (name === 'decideTask') this.decideScheduledId = num(event.eventId);
      if (name === 'notify') this.noteNotify(num(event.eventId), time, scheduled.input);
      return;
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      const scheduledId = num(completed.scheduledEventId);
      if (scheduledId === this.decideScheduledId)
        this.noteDecision(time, first<DecisionBundle>(completed.result));
      const shown = this.notifyByScheduledId.get(scheduledId);
      if (shown) {
        shown.messageRef = first<{ ref?: string }>(completed.result)?.ref ?? null;
        this.notifyByScheduledId.delete(scheduledId);
      }
      return;
    }
    const upserted = event.upsertWorkflowSearchAttributesEventAttributes;
    if (upserted) {
      const rung = upserted.searchAttributes?.indexedFields?.Rung;
      if (rung) r.rung = convert<number>(rung);
      return;
    }
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes;
    if (accepted) {
      this.noteAnswer(time, accepted);
      return;
    }
    const updated = event.workflowExecutionUpdateCompletedEventAttributes;
    if (updated) {
      const answer = this.answersByUpdateId.get(updated.meta?.updateId ?? '');
      if (!answer) return;
      if (updated.outcome?.failure) {
        answer.result = 'refused';
        answer.refusal = updated.outcome.failure.message ?? 'refused';
      } else {
        answer.result = 'accepted';
        const receipt = first<Receipt>(updated.outcome?.success);
        if (receipt?.at) answer.at = receipt.at;
      }
      return;
    }
    const cancel = event.workflowExecutionCancelRequestedEventAttributes;
    if (cancel) {
      r.cancelRequested = { at: time, sentBy: cancel.identity || null, cause: cancel.cause || null };
      return;
    }
    this.noteClose(event, time);
  }

  /** The record as folded so far: complete once the last event of the history was added. */
  finish(): AuditRecord {
    return this.record;
  }

  private noteNotify(scheduledId: number, time: string, input: PayloadsLike): void {
    const args = first<{ notification?: Notification }>(input);
    const n = args?.notification;
    if (!n || !Object.values(ANSWER_UPDATES).includes(n.kind)) return;
    const shown: AuditShown = {
      kind: n.kind,
      postedAt: time,
      channel: n.channel,
      to: n.to ?? null,
      title: n.title,
      text: n.text,
      fields: n.fields ?? {},
      actions: [...(n.actions ?? [])],
      messageRef: null,
    };
    this.shownByKind.set(n.kind, { shown, subject: n.subject });
    this.notifyByScheduledId.set(scheduledId, shown);
  }

  private noteDecision(time: string, bundle: DecisionBundle | undefined): void {
    if (!bundle?.decision) return;
    this.trust = bundle.answerTrust ?? null;
    this.record.decision = auditDecision(bundle.decision, time);
  }

  private noteAnswer(
    time: string,
    accepted: NonNullable<HistoryEvent['workflowExecutionUpdateAcceptedEventAttributes']>,
  ): void {
    const request = accepted.acceptedRequest;
    const update = request?.input?.name ?? '';
    if (!Object.hasOwn(ANSWER_UPDATES, update)) return; // awaitDecision and the like: not an answer
    const args = first<Record<string, unknown>>(request?.input?.args) ?? {};
    const { proof, ...rest } = args as Record<string, unknown> & { proof?: AnswerProof };
    const by = String(rest.approver ?? rest.by ?? '');
    const answer: AuditAnswer = {
      update,
      answer: answerWord(update, rest),
      by,
      at: time,
      acceptedAt: time,
      result: 'pending',
      refusal: null,
      args: rest,
      proof: proof ? this.checkProof(update, args, by, proof, time) : null,
      sentBy: request?.meta?.identity || null,
      shown: this.shownFor(update, rest),
    };
    this.record.answers.push(answer);
    if (request?.meta?.updateId) this.answersByUpdateId.set(request.meta.updateId, answer);
  }

  /** Re-checks the signature as the validator did, with the keys in force at decision time. */
  private checkProof(
    update: string,
    args: Record<string, unknown>,
    by: string,
    proof: AnswerProof,
    acceptedAt: string,
  ): NonNullable<AuditAnswer['proof']> {
    const keyKind = this.trust?.keys.find((k) => k.id === proof.keyId)?.kind ?? null;
    let problem: string | null = null;
    try {
      verifyAnswer(this.trust, this.record.workflowId, update, args, by, Date.parse(acceptedAt));
    } catch (err) {
      if (!(err instanceof AnswerProofError)) throw err;
      problem = err.message;
    }
    return {
      keyId: proof.keyId,
      signedAt: proof.signedAt,
      signature: proof.signature,
      keyKind,
      verified: problem === null,
      problem,
    };
  }

  /** The last message of the question kind this update answers, posted before the answer. */
  private shownFor(update: string, args: Record<string, unknown>): AuditShown | null {
    const last = this.shownByKind.get(ANSWER_UPDATES[update]);
    if (!last) return null;
    // An outcome question is answered by its id: another question's message is not the one shown.
    if (update === 'resolveOutcome' && last.subject !== undefined && last.subject !== args.question)
      return null;
    // Shared, not copied: a post whose completion is recorded after the answer still fills in its ref.
    return last.shown;
  }

  private noteClose(event: HistoryEvent, time: string): void {
    const r = this.record;
    if (event.workflowExecutionCompletedEventAttributes) {
      r.status = 'completed';
      r.closedAt = time;
      const result = first<TaskResult>(event.workflowExecutionCompletedEventAttributes.result);
      if (result) r.outcome = auditOutcome(result);
    } else if (event.workflowExecutionFailedEventAttributes) {
      r.status = 'failed';
      r.closedAt = time;
      r.failure = { message: event.workflowExecutionFailedEventAttributes.failure?.message ?? 'failed' };
    } else if (event.workflowExecutionTerminatedEventAttributes) {
      const t = event.workflowExecutionTerminatedEventAttributes;
      r.status = 'terminated';
      r.closedAt = time;
      r.failure = { message: t.reason || 'terminated', sentBy: t.identity || null };
    } else if (event.workflowExecutionTimedOutEventAttributes) {
      r.status = 'timed-out';
      r.closedAt = time;
      r.failure = { message: 'the workflow execution timed out' };
    } else if (event.workflowExecutionCanceledEventAttributes) {
      r.status = 'cancelled';
      r.closedAt = time;
    } else if (event.workflowExecutionContinuedAsNewEventAttributes) {
      r.status = 'continued-as-new';
      r.closedAt = time;
    }
  }
}

/** The decision's audit fields, copied so the record's shape does not follow internal changes. */
function auditDecision(d: Decision, decidedAt: string): AuditDecision {
  return {
    decidedAt,
    policyVersion: d.policyVersion,
    agentId: d.agentId,
    taskClass: d.taskClass,
    earnedRung: d.earnedRung,
    requestedRung: d.requestedRung,
    effectiveRung: d.effectiveRung,
    refused: d.refused ? { rule: d.refused.rule, message: d.refused.message } : null,
    reasons: d.reasons.map((x) => ({ rule: x.rule, ceiling: x.ceiling, message: x.message })),
    bounds: {
      applied: d.bounds.applied,
      violations: d.bounds.violations.map((v) => ({ bound: v.bound, message: v.message })),
    },
    approvers: [...d.approvers],
    twoPersonRule: d.twoPersonRule,
    typedConfirmation: d.typedConfirmation.required ? d.typedConfirmation.expected : null,
  };
}

function auditOutcome(t: TaskResult): AuditOutcome {
  return {
    outcome: t.outcome,
    rung: t.rung,
    approvedBy: t.approvedBy,
    approvedAt: t.approvedAt,
    executedSteps: t.executedSteps,
    reportRead: t.reportRead,
    events: t.events,
    error: t.error,
  };
}

/** The answer in the words `ladder respond` uses. */
function answerWord(update: string, args: Record<string, unknown>): string {
  switch (update) {
    case 'resolveSuggestion':
      return String(args.resolution);
    case 'reviewDraft':
      return args.accept ? 'accept' : 'decline';
    case 'markReportRead':
      return 'read';
    case 'resolveOutcome':
      return String(args.answer);
    default:
      return update;
  }
}

type PayloadsLike =
  { payloads?: Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null } | null | undefined;

function first<T>(payloads: PayloadsLike): T | undefined {
  const payload = payloads?.payloads?.[0];
  return payload ? convert<T>(payload) : undefined;
}

function convert<T>(payload: Parameters<typeof defaultPayloadConverter.fromPayload>[0]): T {
  return defaultPayloadConverter.fromPayload<T>(payload);
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value ?? NaN));
}

/** An event time as ISO-8601; seconds come as a Long from gRPC and as a number from JSON histories. */
function isoOf(ts: HistoryEvent['eventTime']): string {
  return new Date(num(ts?.seconds ?? 0) * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6)).toISOString();
}
