import type { Notification } from '../../activities/notify/notifier';
import { workflowNowMs } from '../clock';
import type { AnswerFacts } from '../../slack/blocks/task-facts';
import {
  baseNotification,
  beside,
  closeMainMessage,
  closeMainMessageUnlessSuperseded,
  decisionOf,
  describeForPeople,
  evidenceOf,
  deciding,
  note,
  post,
  record,
  recordWithNextEdit,
  stepsFacts,
  type TaskContext,
} from '../task-context';
import {
  approvalEscalatedRequestText,
  approvalEscalationText,
  approvalExpiredText,
  approvalExpiryWarningText,
  approvalPassedOnText,
  approvalRejectedText,
  approvalReminderText,
  approvalRequestText,
  approvedText,
  editRefusedByPolicyText,
  standingApprovedText,
  stepsEditedText,
} from '../../slack/blocks/task-wording';
import type { StandingUse } from '../../policy/standing-approvals';
import { describeEdits, stepsHashOf } from '../../policy/step-edits';
import { timelineLabel } from '../task-story';
import { approversOf, askHuman, type Nudge } from './ask-human';
import { fromExecution, tellFailure, type RungResult } from './rung-result';
import { runSteps } from './run-steps';

export type ApprovalResult = 'approved' | 'rejected' | 'expired';

/** How long an approved request waits for its outcome edit before it is edited to say "approved", in ms. */
const APPROVED_EDIT_GRACE_MS = 1000;

/**
 * Rung 2, execute with confirmation. Asks: an approver of the class, showing exactly what will
 * run and why a person is asked. Answer: *approve* (bound to these exact steps, from someone other
 * than the requester under the two-person rule, with the typed confirmation where required) or
 * *reject* with a reason. Next: approved, the steps run and the outcome is recorded; otherwise
 * nothing runs.
 *
 * @param why - shown above the request when a higher rung fell back to this one.
 */
export async function confirmThenExecute(ctx: TaskContext, why?: string): Promise<RungResult> {
  // A standing approval the decision used answers the request before it is asked (never on a
  // fallback: the decision covered only tasks it found at rung 2).
  const standing = why === undefined ? (ctx.bundle?.standing ?? null) : null;
  const answer = standing ? await approvedInAdvance(ctx, standing) : await awaitApproval(ctx, why);
  if (answer !== 'approved') return fromExecution({ outcome: answer, executedSteps: 0 });
  const result = fromExecution(
    await runSteps(ctx, { autonomous: false, compensate: false, healthWatch: false }),
  );
  // rolled-back / rollback-failed are recorded by the unwind itself (a person asked to undo a step);
  // executed and failed by the edit that tells how the task ended.
  if (result.outcome === 'executed' || result.outcome === 'failed') {
    recordWithNextEdit(ctx, evidenceOf(ctx, result.outcome, { detail: result.error ?? undefined }));
  }
  if (result.outcome === 'failed') await tellFailure(ctx, result);
  return result;
}

/**
 * Posts exactly what will happen and waits for an authorised answer (validated in the update's
 * validator), reminding and escalating on the policy's timeline and expiring after `expireAfter`.
 * Also where an autonomous step falls back to when the policy no longer allows it.
 */
export async function awaitApproval(ctx: TaskContext, why?: string): Promise<ApprovalResult> {
  const d = decisionOf(ctx);
  let described = await describeForPeople(ctx);
  const typedName = d.typedConfirmation.required ? d.typedConfirmation.expected : null;
  const requestText = (): string =>
    approvalRequestText({ fallbackReason: why, steps: described, reasons: d.reasons, typedName });
  let text = requestText();
  const askedAt = workflowNowMs();
  const onExpiry = d.approval.onExpiry ?? 'reject';
  // Under `escalate`, each group of the chain gets the request in turn, for another expireAfter.
  const chain = onExpiry === 'escalate' ? (d.approval.escalateTo ?? []) : [];
  // Each edit asks again in new messages: their keys carry the edit's number.
  let edited = 0;
  const versioned = (k: string): string => (edited === 0 ? k : `${k}-edit-${edited}`);
  const key = `approval-request${why ? '-fallback' : ''}`;
  const buttonFields = {
    stepsHash: ctx.input.stepsHash,
    ...(typedName !== null ? { typedConfirmation: typedName } : {}),
  };
  let answered: boolean;
  for (let round = 0; ; round++) {
    const answer = answerFacts(ctx, workflowNowMs(), chain[round]);
    const request = withFields(
      {
        ...baseNotification(
          ctx,
          'approval-request',
          round === 0 ? text : approvalEscalatedRequestText(chain[round - 1].group, text),
        ),
        facts: { answer },
      },
      buttonFields,
      typedName,
      round === 0 && why === undefined && ctx.bundle?.standingOffer === true,
      ctx.input.task.steps.some((s) => Object.keys(ctx.bundle?.editRules?.[s.action] ?? {}).length > 0),
    );
    // A reminder stands on its own: the steps, who is waited on, until when, and the same buttons.
    const reminder = (reminderText: string): Pick<Nudge, 'text' | 'also'> => ({
      text: reminderText,
      also: {
        actions: request.actions,
        fields: buttonFields,
        facts: { steps: stepsFacts(ctx, 'to-run'), answer },
      },
    });
    const warnBeforeMs = d.approval.warnBeforeMs ?? null;
    const warning: Nudge[] =
      warnBeforeMs !== null && onExpiry !== 'keep-waiting'
        ? [
            {
              atMs: d.approval.expireAfterMs - warnBeforeMs,
              kind: 'approval-reminder',
              to: 'channel',
              key: versioned(`approval-expiry-warning-${round}`),
              ...reminder(approvalExpiryWarningText(ctx.input.task.title, warnBeforeMs)),
            },
          ]
        : [];
    const nudges: Nudge[] =
      round > 0
        ? warning
        : [
            {
              atMs: d.approval.remindAfterMs,
              kind: 'approval-reminder',
              to: 'channel',
              key: versioned('approval-reminder'),
              ...reminder(approvalReminderText(ctx.input.task.title)),
            },
            ...d.escalation.map((e, i) => ({
              atMs: e.afterMs,
              kind: 'approval-reminder' as const,
              to: e.notify === 'owner' ? (ctx.bundle?.owner ?? 'channel') : e.notify,
              key: versioned(`approval-escalation-${i}`),
              ...reminder(approvalEscalationText(ctx.input.task.title)),
            })),
            ...warning,
          ];
    answered = await askHuman(ctx, {
      expects: 'approval',
      waitingOn: `approvers: ${[...d.approvers, ...ctx.escalatedApprovers].join(', ')}`,
      answerers: answer.mayAnswer,
      key: versioned(round === 0 ? key : `${key}-escalated-${round}`),
      message: request,
      answered: () =>
        ctx.human.approval !== undefined || ctx.human.rejection !== undefined || ctx.human.edit !== undefined,
      expireAfterMs: onExpiry === 'keep-waiting' ? null : d.approval.expireAfterMs,
      nudges,
    });
    if (answered && ctx.human.edit) {
      const refused = await applyEdit(ctx);
      if (refused) {
        await closeMainMessage(ctx, editRefusedByPolicyText(refused), [], 'not-run', [
          evidenceOf(ctx, 'rejected', { by: refused.by, detail: `edited steps refused: ${refused.why}` }),
        ]);
        return 'rejected';
      }
      // Asked again, bound to the edited steps' hash, in the same round of the chain.
      edited++;
      described = await describeForPeople(ctx);
      text = requestText();
      buttonFields.stepsHash = ctx.input.stepsHash;
      round--;
      continue;
    }
    if (answered || round >= chain.length) break;
    // Unanswered: the next group of the chain may answer too, from a request of its own.
    const next = chain[round];
    ctx.escalatedApprovers.push(...next.members.filter((m) => !ctx.escalatedApprovers.includes(m)));
    note(ctx, `approval unanswered: escalated to ${next.group} (${next.members.join(', ')})`);
    await closeMainMessage(ctx, approvalPassedOnText(next.group), [], 'to-run');
  }
  if (!answered) {
    await closeMainMessage(
      ctx,
      approvalExpiredText(
        d.approval.expireAfterMs,
        chain.map((c) => c.group),
      ),
      [],
      'not-run',
      [evidenceOf(ctx, 'expired')],
    );
    return 'expired';
  }
  const latencyMs = workflowNowMs() - askedAt;
  if (ctx.human.rejection) {
    const { by, reason, at, onBehalfOf } = ctx.human.rejection;
    // The reject modal tells the approver the agent will see why: its view of the task shows events.
    note(ctx, `rejected by ${by}: ${reason}`);
    await closeMainMessage(ctx, approvalRejectedText({ by, at, reason, onBehalfOf }), [], 'not-run', [
      evidenceOf(ctx, 'rejected', {
        by,
        latencyMs,
        detail: onBehalfOf ? `${reason} (standing in for ${onBehalfOf})` : reason,
      }),
    ]);
    return 'rejected';
  }
  const { by, at, onBehalfOf } = ctx.human.approval!;
  ctx.status.approvedBy = by;
  if (onBehalfOf) note(ctx, `approved by ${by}, standing in for ${onBehalfOf}`);
  // Off the path to the step. A quick step's outcome edit tells the approval and records it; a
  // slower step's message says "approved" within a second.
  beside(
    ctx,
    closeMainMessageUnlessSuperseded(
      ctx,
      approvedText({ by, at, onBehalfOf }),
      'to-run',
      [
        evidenceOf(ctx, 'approved', {
          by,
          latencyMs,
          ...(onBehalfOf ? { detail: `standing in for ${onBehalfOf}` } : {}),
        }),
      ],
      APPROVED_EDIT_GRACE_MS,
    ),
  );
  return 'approved';
}

/**
 * Who may answer the request (the class's approvers and every group it was escalated to; under the
 * two-person rule all but the requester, who is named with the rule), when it expires and what
 * happens then (`next`: the group it goes to, under `onExpiry: escalate`).
 */
function answerFacts(
  ctx: TaskContext,
  askedAt: number,
  next: { group: string; members: readonly string[] } | undefined,
): AnswerFacts {
  const d = decisionOf(ctx);
  const onExpiry = d.approval.onExpiry ?? 'reject';
  const expiry: AnswerFacts['onExpiry'] =
    onExpiry === 'keep-waiting'
      ? { then: 'keep-waiting' }
      : next
        ? { then: 'escalate', group: next.group, members: next.members }
        : { then: 'reject' };
  const warnBeforeMs = d.approval.warnBeforeMs ?? null;
  return {
    ...withStandIns(ctx, approversOf(ctx, [...d.approvers, ...ctx.escalatedApprovers])),
    ...(onExpiry === 'keep-waiting'
      ? {}
      : { expiresAt: new Date(askedAt + d.approval.expireAfterMs).toISOString() }),
    onExpiry: expiry,
    ...(warnBeforeMs !== null && onExpiry !== 'keep-waiting'
      ? { warnAt: new Date(askedAt + d.approval.expireAfterMs - warnBeforeMs).toISOString() }
      : {}),
  };
}

/**
 * The approval request: the base notification plus the facts an approver needs, with Approve (the
 * typed Approve, carrying the name to type, where the policy asks for one) and Reject.
 */
function withFields(
  n: Notification,
  fields: Record<string, string>,
  typed: string | null,
  allowStanding = false,
  editable = false,
): Notification {
  return {
    ...n,
    fields: { ...n.fields, ...fields, ...(typed !== null ? { typedConfirmation: typed } : {}) },
    actions: [
      typed !== null ? 'approve-typed' : 'approve',
      'reject',
      ...(editable ? (['edit-steps'] as const) : []),
      ...(allowStanding ? (['allow-standing'] as const) : []),
    ],
  };
}

/**
 * A standing approval let the task through: the message says which (who granted it, which use of
 * how many, until when) instead of asking, and the evidence is `pre-approved` — never a person's
 * approval in the rates promotion reads.
 */
async function approvedInAdvance(ctx: TaskContext, standing: StandingUse): Promise<'approved'> {
  await describeForPeople(ctx);
  ctx.status.approvedBy = standing.grantedBy;
  note(
    ctx,
    `approved in advance by standing approval ${standing.id} (use ${standing.use} of ${standing.maxUses})`,
  );
  await post(
    ctx,
    'approval-standing',
    {
      ...baseNotification(ctx, 'approval-request', standingApprovedText(standing)),
      facts: { steps: stepsFacts(ctx, 'to-run') },
    },
    true,
  );
  beside(
    ctx,
    record(ctx, 'pre-approved', {
      by: standing.grantedBy,
      detail: `standing approval ${standing.id}, use ${standing.use} of ${standing.maxUses}`,
    }),
  );
  return 'approved';
}

/**
 * Adds the stand-ins of approvers who are away (as the decision read them) to who may answer,
 * named with whom they stand in for; never the task's requester.
 */
function withStandIns(
  ctx: TaskContext,
  facts: Pick<AnswerFacts, 'mayAnswer' | 'excluded'>,
): Pick<AnswerFacts, 'mayAnswer' | 'excluded' | 'standIns'> {
  const standIns = (ctx.bundle?.standIns ?? []).filter(
    (s) =>
      facts.mayAnswer.includes(s.approver) &&
      s.delegate !== ctx.input.task.requester &&
      !facts.mayAnswer.includes(s.delegate),
  );
  if (standIns.length === 0) return facts;
  return {
    ...facts,
    mayAnswer: [...facts.mayAnswer, ...standIns.map((s) => s.delegate)],
    standIns: standIns.map((s) => ({ who: s.delegate, for: s.approver, until: s.until })),
  };
}

/**
 * Applies the approver's narrowing edit: decides the edited steps again with the policy and kill
 * switch in force, and unless they fall below rung 2, makes them the task's steps (and hash),
 * records who changed what, and closes the request that showed the old steps.
 *
 * @returns who edited and why the edited steps may not run, or null when they are asked about again.
 */
async function applyEdit(ctx: TaskContext): Promise<{ by: string; why: string } | null> {
  const edit = ctx.human.edit!;
  ctx.human.edit = undefined;
  const steps = edit.steps;
  const again = await deciding.redecide.executeWithOptions({ summary: timelineLabel.redecide() }, [
    { ...ctx.input.task, steps },
  ]);
  const changes = describeEdits(edit.edits);
  if (again.rung < 2) {
    note(ctx, `steps edited by ${edit.by} refused by the policy in force: rung ${again.rung}`);
    return {
      by: edit.by,
      why: `the policy in force (${again.policyVersion}) allows rung ${again.rung}: ${again.reasons.join('; ')}`,
    };
  }
  // Replaced, never mutated: the submitted array stays whole for the agent's retries to match.
  ctx.submittedSteps ??= ctx.input.task.steps;
  ctx.input.task.steps = steps;
  ctx.input.stepsHash = stepsHashOf(steps);
  ctx.status.stepsHash = ctx.input.stepsHash;
  ctx.edits.push({ by: edit.by, at: edit.at, edits: edit.edits, stepsHash: ctx.input.stepsHash });
  note(ctx, `steps edited by ${edit.by} before approval: ${changes}`);
  await closeMainMessage(ctx, stepsEditedText({ by: edit.by, at: edit.at, changes }), [], 'not-run');
  return null;
}
