import { CANCELLED_TEXT, cancelledAfterStepsText, refusedText } from '../slack/blocks/outcome-wording';
import type { Proven } from '../policy/answer-proof';
import type { AnswererClaim, ApproverClaim } from '../activities/authority-activities';
import type { LadderAction } from '../slack/action-ids';
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  condition,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { checkAnswerProof } from './answer-check';
import { standingInFor as standInFor } from '../policy/delegation';
import { checkStepEdits } from '../policy/step-edits';
import { workflowNowIso, workflowNowMs } from './clock';
import {
  approveUpdate,
  awaitDecisionUpdate,
  editStepsUpdate,
  markReportReadUpdate,
  rejectUpdate,
  resolveOutcomeUpdate,
  resolveSuggestionUpdate,
  reviewDraftUpdate,
  statusQuery,
  withdrawUpdate,
  type WithdrawArgs,
  taskRequestQuery,
  submittedRequestQuery,
  MAX_REFUSALS_KEPT,
  type DelegatedTaskInput,
  type ApproveArgs,
  type EditStepsArgs,
  type Receipt,
  type RejectArgs,
  type ReportReadArgs,
  type ResolveOutcomeArgs,
  type ResolveSuggestionArgs,
  type ReviewDraftArgs,
  type TaskOutcome,
  type TaskResult,
} from './messages';
import { suggest } from './rungs/rung-0-suggest';
import { draft } from './rungs/rung-1-draft';
import { confirmThenExecute } from './rungs/rung-2-confirm';
import { executeWithinBounds } from './rungs/rung-3-bounded';
import { executeWithRollback } from './rungs/rung-4-rollback';
import { executeAndReport } from './rungs/rung-5-report';
import { finalMessageText, type RungResult } from './rungs/rung-result';
import { AgentIdKey, ApprovedByKey, OutcomeKey, TaskClassKey } from './search-attributes';
import { timelineLabel } from './task-story';
import {
  awaitBeside,
  hasWorkLeft,
  baseNotification,
  closeMainMessage,
  evidenceOf,
  deciding,
  freshStory,
  setRung,
  finish,
  lookingUp,
  note,
  post,
  stepsFacts,
  record,
  recordLeftoverEvidence,
  awaitLateCopySweeps,
  tellStory,
  uiLinkFor,
  type TaskContext,
  type Waiting,
} from './task-context';
import { pinToStartingVersion } from './worker-versioning';

/**
 * One delegated agent task (`task/<agent>/<taskId>`): decides its rung with the policy, then
 * suggests (0), drafts (1), asks (2), executes within bounds (3), with rollback (4), or executes
 * and reports (5). Every human answer is an update whose validator refuses unauthorised or stale
 * answers before they reach history.
 */
export async function delegatedTask(input: DelegatedTaskInput): Promise<TaskResult> {
  const info = workflowInfo();
  const ctx: TaskContext = {
    input,
    workflowId: info.workflowId,
    bundle: null,
    human: {},
    waiting: null,
    answering: null,
    messageRef: null,
    lateSweeps: [],
    beside: [],
    mainMessageFinal: false,
    lastMessageEdit: Promise.resolve(),
    evidenceToRecord: [],
    mainMessageEdits: 0,
    unresolvedOutcome: null,
    outcomeQuestionsAsked: 0,
    uiLink: uiLinkFor(input.uiBaseUrl),
    ...freshStory(),
    status: {
      workflowId: info.workflowId,
      phase: 'deciding',
      rung: null,
      decision: null,
      currentStep: 0,
      stepsTotal: input.task.steps.length,
      waitingOn: null,
      outcome: null,
      approvedBy: null,
      events: [],
      stepsHash: input.stepsHash,
    },
  };
  registerHandlers(ctx);

  let outcome: TaskOutcome;
  let executedSteps = 0;
  let reportRead: boolean | null = null;
  let error: string | null;
  try {
    tellStory(ctx);
    ctx.bundle = await deciding.decideTask.executeWithOptions({ summary: timelineLabel.decide() }, [
      // The quota day is fixed here, in workflow time: a retry after midnight is the same decision.
      { task: input.task, workflowId: info.workflowId, day: workflowNowIso().slice(0, 10) },
    ]);
    // Withdrawn while it was being decided: nothing is asked or run.
    if (ctx.withdrawnAt) throw new CancelledFailure('withdrawn by the agent');
    const d = ctx.bundle.decision;
    setRung(ctx, d.effectiveRung, [
      { key: AgentIdKey, value: d.agentId },
      { key: TaskClassKey, value: d.taskClass },
    ]);
    tellStory(ctx);
    if (d.refused) {
      await post(ctx, 'refused', baseNotification(ctx, 'refused', refusedText(d.refused.message)), true);
      await record(ctx, 'refused', { detail: d.refused.message });
      outcome = 'refused';
      error = d.refused.message;
    } else {
      const result = await RUNGS[Math.min(Math.max(d.effectiveRung, 0), 5)](ctx);
      outcome = result.outcome;
      executedSteps = result.executedSteps;
      reportRead = result.reportRead;
      error = result.error;
      ctx.executedSteps = executedSteps;
      ctx.reportRead = reportRead;
      ctx.error = error;
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    outcome = 'cancelled';
    error = 'cancelled';
    executedSteps = ctx.stepRuns.filter((run) => run?.status === 'ran').length;
    ctx.executedSteps = executedSteps;
    await CancellationScope.nonCancellable(async () => {
      note(ctx, 'cancelled');
      await tellCancelled(ctx);
    });
  }

  // Outcome and approver go with clearing who it waited on: one upsert. The details now say how
  // it ended, so a rolled-back or rejected task never reads as a plain success.
  finish(ctx, outcome, [
    { key: OutcomeKey, value: outcome },
    ...(ctx.status.approvedBy ? [{ key: ApprovedByKey, value: ctx.status.approvedBy }] : []),
  ]);
  // The message people acted on shows how it ended (executed, rolled back, read…), not just the
  // decision that started the execution.
  const editFinal = ctx.messageRef && !ctx.mainMessageFinal && OUTCOMES_AFTER_EXECUTION.includes(outcome);
  // The outcome is settled: a cancellation from here on changes nothing, and must not drop the edit
  // that tells it or the evidence waiting for that edit (the only record of how the steps ended).
  // Most autonomous tasks have nothing left here, and a scope entered for nothing still costs
  // promises (the SDK captures a stack for each) on every task's path.
  if (editFinal || hasWorkLeft(ctx))
    await CancellationScope.nonCancellable(async () => {
      if (editFinal) {
        // What ran can still turn out wrong: the message is where people report it. The edit records
        // the evidence waiting for it (the approval, how the steps ended).
        await closeMainMessage(
          ctx,
          finalMessageText(ctx, outcome, executedSteps, reportRead),
          outcome === 'executed' ? ['report-defect'] : [],
        );
      }
      await awaitBeside(ctx);
      await recordLeftoverEvidence(ctx);
      // After the outcome is visible: only where a post was retried, and then at most the grace.
      await awaitLateCopySweeps(ctx);
    });
  return {
    outcome,
    rung: ctx.status.rung ?? 0,
    decision: ctx.bundle!.decision,
    approvedBy: ctx.status.approvedBy,
    approvedAt: ctx.human.approval?.at ?? ctx.human.draft?.at ?? null,
    executedSteps,
    reportRead,
    events: ctx.status.events,
    error,
    ...(ctx.edits.length > 0 ? { edits: ctx.edits } : {}),
  };
}

/**
 * Closes a cancelled task's message. Once a step began, people are told what ran and what stays
 * done, with the button to report a defect, in a message of its own where none was posted yet
 * (rung 3 posts only when its steps are done): a cancellation never hides what ran.
 */
async function tellCancelled(ctx: TaskContext): Promise<void> {
  const runs = ctx.stepRuns.filter((run) => run !== undefined);
  const began = runs.filter(
    (run) => run.status === 'ran' || run.status === 'failed' || run.status === 'outcome-unknown',
  ).length;
  const undone = runs.filter((run) => run.compensation?.undone === true).length;
  const kept = runs.filter((run) => run.status === 'ran' && run.compensation?.undone !== true).length;
  const evidence = evidenceOf(ctx, 'cancelled', began > 0 ? { detail: `${began} step(s) began` } : {});
  if (began === 0) return closeMainMessage(ctx, CANCELLED_TEXT, [], 'not-run', [evidence]);
  const text = cancelledAfterStepsText({ began, kept, undone, totalSteps: ctx.input.task.steps.length });
  const actions: LadderAction[] = kept > 0 ? ['report-defect'] : [];
  if (ctx.messageRef) return closeMainMessage(ctx, text, actions, 'not-run', [evidence]);
  await post(
    ctx,
    'cancelled',
    { ...baseNotification(ctx, 'outcome', text), actions, facts: { steps: stepsFacts(ctx, 'not-run') } },
    true,
    evidence,
  );
  ctx.mainMessageFinal = true;
}

const OUTCOMES_AFTER_EXECUTION: readonly TaskOutcome[] = [
  'executed',
  'failed',
  'rolled-back',
  'rollback-failed',
];

/** What each rung does, one file each in `rungs/`: what is asked, what counts as an answer, what happens next. */
const RUNGS: readonly ((ctx: TaskContext) => Promise<RungResult>)[] = [
  suggest, // 0
  draft, // 1
  (ctx) => confirmThenExecute(ctx), // 2
  executeWithinBounds, // 3
  executeWithRollback, // 4
  executeAndReport, // 5
];

/** Registered before the first await so no early update or signal is dropped. */
function registerHandlers(ctx: TaskContext): void {
  setHandler(statusQuery, () => ctx.status);
  setHandler(taskRequestQuery, () => ctx.input.task);
  setHandler(submittedRequestQuery, () =>
    ctx.submittedSteps ? { ...ctx.input.task, steps: ctx.submittedSteps } : ctx.input.task,
  );
  setHandler(awaitDecisionUpdate, async () => {
    await condition(() => ctx.status.decision !== null || ctx.status.phase === 'done');
    return ctx.status;
  });

  const receipt = (by: string, at: string): Receipt => ({ accepted: true, by, at });
  const expectWaiting = (what: Exclude<Waiting, null>): void => {
    if (ctx.status.phase === 'done') throw new Error(`task already finished (${ctx.status.outcome})`);
    if (ctx.withdrawnAt) throw new Error(`the agent withdrew this task at ${ctx.withdrawnAt}`);
    // Two clicks can land in one workflow task, before the workflow moves on from the first answer:
    // the second is refused here rather than silently overwriting who decided.
    const earlier = answeredAlready(what);
    if (earlier) throw new Error(`already answered by ${earlier.by} at ${earlier.at}`);
    if (ctx.answering?.what === what)
      throw new Error(`already answered by ${ctx.answering.by} (being recorded)`);
    if (ctx.waiting !== what) {
      throw new Error(
        `task is not waiting for ${what === 'approval' ? 'an approval' : what === 'outcome' ? 'an answer about an unknown outcome' : `a ${what} answer`} (phase: ${ctx.status.phase})`,
      );
    }
  };
  const answeredAlready = (what: Exclude<Waiting, null>): { by: string; at: string } | undefined => {
    const h = ctx.human;
    switch (what) {
      case 'approval':
        // An edit being applied counts too: no approval of the steps it replaces slips in meanwhile.
        return h.approval ?? h.rejection ?? h.edit;
      case 'suggestion':
        return h.suggestion;
      case 'draft':
        return h.draft;
      case 'report':
        return h.reportRead;
      case 'outcome':
        return h.outcome;
    }
  };
  /** The class's approvers, and the members of every group an unanswered request was escalated to. */
  const approvers = (): readonly string[] =>
    ctx.escalatedApprovers.length === 0
      ? (ctx.bundle?.decision.approvers ?? [])
      : [...(ctx.bundle?.decision.approvers ?? []), ...ctx.escalatedApprovers];
  /**
   * The proof comes first: until the signature checks out, the claimed person is nobody, and the
   * authority checks below would only tell an impostor whose name to use.
   */
  const expectProof = (answer: string, args: Proven, person: string): void => {
    checkAnswerProof(ctx.bundle?.answerTrust, ctx.workflowId, answer, args, person);
  };
  /**
   * Wraps a validator so every refusal is kept in the status (who claimed what, and why). Kept in
   * memory: a refused update never reaches history, so after a worker restart the list starts anew;
   * frontends log every refusal too.
   */
  const recordingRefusals =
    <A extends { by?: string; approver?: string }>(
      answer: string,
      check: (args: A) => void,
      who: (args: A) => unknown = (args) => args.by ?? args.approver,
    ) =>
    (args: A): void => {
      try {
        check(args);
      } catch (err) {
        const refusals = (ctx.status.refusals ??= []);
        refusals.push({
          at: workflowNowIso(),
          answer,
          by: String(who(args) ?? '?').slice(0, 40),
          reason: (err as Error).message.slice(0, 300),
        });
        if (refusals.length > MAX_REFUSALS_KEPT) refusals.splice(0, refusals.length - MAX_REFUSALS_KEPT);
        throw err;
      }
    };
  /** The away approver `user` answers for, when `user` is not an approver themself. */
  const standingInFor = (user: string): string | undefined =>
    approvers().includes(user)
      ? undefined
      : standInFor(
          ctx.bundle?.standIns?.filter((s) => approvers().includes(s.approver)),
          user,
          workflowNowMs(),
        );
  /** An approver of the class, or a stand-in for one who is away (never on their own request). */
  const expectAnswerer = (user: string): void => {
    const forApprover = standingInFor(user);
    if (!approvers().includes(user) && forApprover === undefined) {
      throw new Error(
        `${user} is not an approver for task class "${ctx.input.task.taskClass}" (approvers: ${approvers().join(', ')})`,
      );
    }
    if (forApprover !== undefined && user === ctx.input.task.requester) {
      throw new Error(
        `${user} stands in for ${forApprover} but requested this task: a stand-in never answers their own request`,
      );
    }
  };
  /** {@link expectAnswerer}, and the two-person rule: a yes never comes from who asked. */
  const expectApprover = (user: string): void => {
    expectAnswerer(user);
    if (ctx.bundle?.decision.twoPersonRule && user === ctx.input.task.requester) {
      throw new Error(`two-person rule: ${user} requested this task and cannot approve it`);
    }
  };

  /**
   * Who answers an approval or a draft, for the check against the policy in force: an approver of
   * the class, a member of a group the request was escalated to, or a stand-in for an approver.
   */
  const answererOf = (user: string): ApproverClaim => {
    const d = ctx.bundle!.decision;
    const onBehalfOf = standingInFor(user);
    const escalatedTo = d.approvers.includes(user)
      ? []
      : (d.approval.escalateTo ?? []).filter((g) => g.members.includes(user)).map((g) => g.group);
    return {
      user,
      taskClass: ctx.input.task.taskClass,
      escalatedTo,
      ...(onBehalfOf !== undefined ? { onBehalfOf } : {}),
    };
  };

  /**
   * What `person` answers `what` as, for the check against the policy in force: the requester's
   * own answer to a suggestion needs no authority from the policy, so it has none.
   */
  const claimOf = (what: Exclude<Waiting, null>, person: string): AnswererClaim | undefined => {
    const { taskClass, requester, agent } = ctx.input.task;
    switch (what) {
      case 'approval':
      case 'draft':
        return answererOf(person);
      case 'suggestion':
        return person === requester ? undefined : answererOf(person);
      case 'outcome':
        return {
          kind: 'owner-or-approver',
          user: person,
          taskClass,
          agentId: agent.id,
          escalatedTo: answererOf(person).escalatedTo,
        };
      case 'report':
        return { kind: 'reader', user: person, taskClass, agentId: agent.id, requester };
    }
  };

  /**
   * Validators check the keys and the people in force when the task was decided; before an
   * accepted answer takes effect, the worker's policy now must still list its key (a key revoked
   * since is refused) and still let its person give it (an approver or report reader removed since,
   * an owner replaced, a stand-in whose absence ended, is refused). Until that answer is settled, a
   * second one is refused, so only one can take effect.
   */
  const confirmKeyInForce = async (
    what: Exclude<Waiting, null>,
    args: Proven & { by?: string; approver?: string },
  ): Promise<void> => {
    if (!args.proof) return; // a claimed identity under the demo switch: no key to check
    const person = args.by ?? args.approver ?? '?';
    ctx.answering = { what, by: person };
    try {
      const answerer = claimOf(what, person);
      const check = await lookingUp.answerKeyInForce.executeWithOptions(
        { summary: timelineLabel.answerKeyInForce() },
        [{ keyId: args.proof.keyId, ...(answerer ? { answerer } : {}) }],
      );
      if (!check.inForce)
        throw ApplicationFailure.nonRetryable(check.reason ?? 'answer key not in force', 'AnswerRefused');
    } finally {
      ctx.answering = null;
    }
    // The task may have moved on while the key was checked (expired, cancelled).
    if (ctx.waiting !== what || ctx.status.phase === 'done') {
      throw ApplicationFailure.nonRetryable(
        `task is no longer waiting for this answer (phase: ${ctx.status.phase})`,
        'AnswerRefused',
      );
    }
  };

  /**
   * The handler of an answer the validator accepted: its time is fixed first (the key check
   * replays at another time), the signing key is confirmed in force, then `store` records it.
   */
  const acceptAnswer =
    <A extends Proven & { by?: string; approver?: string }>(
      what: Exclude<Waiting, null>,
      by: (args: A) => string,
      store: (args: A, at: string) => void,
    ) =>
    async (args: A): Promise<Receipt> => {
      const at = workflowNowIso();
      await confirmKeyInForce(what, args);
      store(args, at);
      return receipt(by(args), at);
    };

  setHandler(
    editStepsUpdate,
    acceptAnswer(
      'approval',
      (a) => a.approver,
      (a, at) => {
        const checked = checkStepEdits(ctx.bundle?.editRules, ctx.input.task.steps, a.steps);
        if (checked.ok) ctx.human.edit = { by: a.approver, at, steps: a.steps, edits: checked.edits };
      },
    ),
    {
      validator: recordingRefusals(editStepsUpdate.name, (args: EditStepsArgs) => {
        expectWaiting('approval');
        expectProof(editStepsUpdate.name, args, args.approver);
        expectApprover(args.approver);
        if (args.stepsHash !== ctx.input.stepsHash)
          throw new Error(
            'this edit is of a different version of the steps; reload the request and edit what will run',
          );
        const checked = checkStepEdits(ctx.bundle?.editRules, ctx.input.task.steps, args.steps);
        if (!checked.ok) throw new Error(`edit refused: ${checked.errors.join('; ')}`);
      }),
    },
  );
  setHandler(
    approveUpdate,
    acceptAnswer(
      'approval',
      (a) => a.approver,
      (a, at) => {
        const onBehalfOf = standingInFor(a.approver);
        ctx.human.approval = { by: a.approver, at, ...(onBehalfOf ? { onBehalfOf } : {}) };
      },
    ),
    {
      validator: recordingRefusals(approveUpdate.name, (args: ApproveArgs) => {
        expectWaiting('approval');
        expectProof(approveUpdate.name, args, args.approver);
        expectApprover(args.approver);
        if (args.stepsHash !== ctx.input.stepsHash) {
          throw new Error(
            'this approval is for a different version of the steps; reload the request and approve what will run',
          );
        }
        const typed = ctx.bundle!.decision.typedConfirmation;
        if (typed.required && args.typedConfirmation !== typed.expected) {
          throw new Error(`typed confirmation does not match: type "${typed.expected}" exactly`);
        }
      }),
    },
  );
  setHandler(
    rejectUpdate,
    acceptAnswer(
      'approval',
      (a) => a.approver,
      (a, at) => {
        const onBehalfOf = standingInFor(a.approver);
        ctx.human.rejection = { by: a.approver, reason: a.reason, at, ...(onBehalfOf ? { onBehalfOf } : {}) };
      },
    ),
    {
      validator: recordingRefusals(rejectUpdate.name, (args: RejectArgs) => {
        expectWaiting('approval');
        expectProof(rejectUpdate.name, args, args.approver);
        // A stand-in may say no for the approver they stand in for, as they may say yes.
        expectAnswerer(args.approver);
        if (!args.reason?.trim()) throw new Error('a rejection needs a reason');
      }),
    },
  );
  setHandler(
    resolveSuggestionUpdate,
    acceptAnswer(
      'suggestion',
      (a) => a.by,
      (a, at) => {
        ctx.human.suggestion = { by: a.by, resolution: a.resolution, at };
      },
    ),
    {
      validator: recordingRefusals(resolveSuggestionUpdate.name, (args: ResolveSuggestionArgs) => {
        expectWaiting('suggestion');
        expectProof(resolveSuggestionUpdate.name, args, args.by);
        if (args.by !== ctx.input.task.requester && !approvers().includes(args.by)) {
          throw new Error(`${args.by} is neither the requester nor an approver of this task`);
        }
        if (args.resolution !== 'done' && args.resolution !== 'dismissed')
          throw new Error('resolution must be done or dismissed');
      }),
    },
  );
  setHandler(
    reviewDraftUpdate,
    acceptAnswer(
      'draft',
      (a) => a.by,
      (a, at) => {
        ctx.human.draft = { by: a.by, accept: a.accept, reason: a.reason, at };
      },
    ),
    {
      validator: recordingRefusals(reviewDraftUpdate.name, (args: ReviewDraftArgs) => {
        expectWaiting('draft');
        expectProof(reviewDraftUpdate.name, args, args.by);
        expectApprover(args.by);
      }),
    },
  );
  setHandler(
    resolveOutcomeUpdate,
    acceptAnswer(
      'outcome',
      (a) => a.by,
      (a, at) => {
        ctx.human.outcome = { by: a.by, question: a.question, answer: a.answer, at };
      },
    ),
    {
      validator: recordingRefusals(resolveOutcomeUpdate.name, (args: ResolveOutcomeArgs) => {
        expectWaiting('outcome');
        expectProof(resolveOutcomeUpdate.name, args, args.by);
        const owner = ctx.bundle?.owner ?? null;
        if (args.by !== owner && !approvers().includes(args.by)) {
          throw new Error(
            `${args.by} is neither the agent's owner${owner ? ` (${owner})` : ''} nor an approver of "${ctx.input.task.taskClass}" (approvers: ${approvers().join(', ') || 'none'})`,
          );
        }
        const question = ctx.status.outcomeUnknown;
        if (!question || args.question !== question.id) {
          throw new Error(
            `this answer is about question ${String(args.question)}, but the task asks ${question ? `question ${question.id} (step ${question.step + 1})` : 'nothing now'}; reload and answer what is asked`,
          );
        }
        if (!question.answers.includes(args.answer)) {
          throw new Error(
            `"${String(args.answer)}" is not an answer to this question (expected ${question.answers.join(', ')})`,
          );
        }
      }),
    },
  );
  setHandler(
    markReportReadUpdate,
    acceptAnswer(
      'report',
      (a) => a.by,
      (a, at) => {
        ctx.human.reportRead = { by: a.by, at };
      },
    ),
    {
      validator: recordingRefusals(markReportReadUpdate.name, (args: ReportReadArgs) => {
        expectWaiting('report');
        expectProof(markReportReadUpdate.name, args, args.by);
        const readers = ctx.bundle?.reportReaders ?? [];
        if (!readers.includes(args.by)) {
          throw new Error(
            `${args.by} may not mark this report read (readers for "${ctx.input.task.taskClass}": ${readers.join(', ') || 'none'})`,
          );
        }
      }),
    },
  );

  /**
   * The agent may withdraw its task only while nothing of it can have run: while it is decided, or
   * while its question is open and no answer to it is taken or being checked. Checked here, in the
   * workflow, so an approval that lands first always wins over a withdrawal sent after the agent
   * last looked.
   */
  const expectWithdrawable = (): void => {
    const { phase, outcome } = ctx.status;
    if (phase === 'done') throw new Error(`already finished (${outcome})`);
    if (ctx.withdrawnAt) throw new Error(`already withdrawn at ${ctx.withdrawnAt}`);
    if (ctx.stepsBegan && phase === 'awaiting-human')
      throw new Error(
        'has begun its steps and now waits for a person after a fallback: once its steps start, only a person can stop it',
      );
    const open =
      (phase === 'deciding' && !ctx.stepsBegan) ||
      (phase === 'awaiting-human' &&
        ctx.waiting !== null &&
        ctx.answering === null &&
        answeredAlready(ctx.waiting) === undefined);
    if (!open)
      throw new Error(
        `is ${phase === 'awaiting-human' ? 'answered, and its steps are about to start' : phase}: an agent may withdraw a task only while it is decided or waits for a person; once its steps start, only a person can stop it`,
      );
  };
  setHandler(
    withdrawUpdate,
    () => {
      ctx.withdrawnAt = workflowNowIso();
      note(ctx, 'withdrawn by the agent');
      return { accepted: true as const, at: ctx.withdrawnAt };
    },
    {
      // Kept in the status as other refusals are, under the agent's name: it is the one who asked.
      validator: recordingRefusals(
        withdrawUpdate.name,
        (_args: WithdrawArgs) => expectWithdrawable(),
        () => ctx.input.task.agent.id,
      ),
    },
  );
}

// Worker versioning: a task finishes on the code it started with (workflows/worker-versioning.ts).
pinToStartingVersion(delegatedTask);
