import type { RedirectPlace } from '../policy/redirect-place';
import type { StepEdit } from '../policy/step-edits';
import type { TaskRequest } from '../policy/task';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { isSlackUserId, temporalUiLink } from '../policy/slack-ids';
import {
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import type { LadderAction } from '../slack/action-ids';
import type { Notification } from '../activities/notify/notifier';
import type { OutcomeEvent } from '../activities/outcomes';
import type { DecisionBundle, StepDescription } from '../activities/task-activities';
import type { Decision } from '../policy/decide';
import { stepOutcomeFacts, type StepFacts, type StepStatus } from '../slack/blocks/task-facts';
import { ActivityProfiles, LocalActivityProfiles } from './activity-profiles';
import type { DelegatedTaskInput, OutcomeAnswer, StepEditRecord, TaskOutcome, TaskStatus } from './messages';
import { RungKey, WaitingOnKey } from './search-attributes';
import { taskDetails, timelineLabel, type TaskStoryFacts } from './task-story';

export const quick = proxyActivities<LadderActivities>(ActivityProfiles.quick);
export const deciding = proxyLocalActivities<LadderActivities>(LocalActivityProfiles.decision);
export const notifying = proxyActivities<LadderActivities>(ActivityProfiles.notify);
export const acting = proxyActivities<LadderActivities>(ActivityProfiles.action);
export const compensating = proxyActivities<LadderActivities>(ActivityProfiles.compensation);
export const lookingUp = proxyLocalActivities<LadderActivities>(LocalActivityProfiles.lookup);
const sweeping = proxyActivities<LadderActivities>(ActivityProfiles.cleanup);

/** The human answers a task can be waiting for, set by update handlers. */
export interface HumanAnswers {
  suggestion?: { by: string; resolution: 'done' | 'dismissed'; at: string };
  draft?: { by: string; accept: boolean; reason?: string; at: string };
  /** `onBehalfOf`: the approver who is away, when their stand-in answered. */
  approval?: { by: string; at: string; onBehalfOf?: string };
  rejection?: { by: string; reason: string; at: string; onBehalfOf?: string };
  /** Narrowed steps an approver sent, until the request is asked again with them. */
  edit?: { by: string; at: string; steps: TaskRequest['steps']; edits: StepEdit[] };
  reportRead?: { by: string; at: string };
  /** The answer to the outcome question being asked now; cleared when the next is asked. */
  outcome?: { by: string; question: string; answer: OutcomeAnswer; at: string };
}

/** Which human answer the workflow is waiting for now; update validators refuse anything else. */
export type Waiting = 'suggestion' | 'draft' | 'approval' | 'report' | 'outcome' | null;

/** Everything one delegated task carries between its rung modules. */
export interface TaskContext {
  input: DelegatedTaskInput;
  workflowId: string;
  bundle: DecisionBundle | null;
  status: TaskStatus;
  human: HumanAnswers;
  waiting: Waiting;
  /** An accepted answer whose key is being checked; a second answer meanwhile is refused. */
  answering: { what: Exclude<Waiting, null>; by: string } | null;
  /** Ref of the main Slack message, updated in place when the task is decided. */
  messageRef: string | null;
  /** Whether the main message was posted in its final form already (no closing edit needed). */
  mainMessageFinal: boolean;
  /** Outcome questions asked so far: numbers each (`q1`, `q2`, …) so an answer names the one it saw. */
  outcomeQuestionsAsked: number;
  /** A step whose outcome was still unknown when the task was cancelled; reported, never assumed. */
  unresolvedOutcome: { step: number; stage: 'execute' | 'compensate' } | null;
  /** Running sweeps for late copies of retried posts; the task awaits them before it ends. */
  lateSweeps: Promise<void>[];
  /**
   * Work started beside the task's critical path (a message edit, outcome evidence): the task
   * awaits it before it ends, so nothing is lost, but a step never waits for it.
   */
  beside: Promise<void>[];
  /** The last edit of the main message: edits are chained so they land in the order made. */
  lastMessageEdit: Promise<void>;
  /**
   * Outcome evidence waiting for the next edit of the main message, which records it with what
   * the edit itself tells of; whatever is left when the task ends is recorded on its own.
   */
  evidenceToRecord: OutcomeEvent[];
  /** Edits of the main message made so far: a deferred edit skips itself when a later one came. */
  mainMessageEdits: number;
  uiLink: string;
  /** A fall back to confirmation after the decision; the details tell it with its reason. */
  fellBack: TaskStoryFacts['fellBack'];
  /** Steps that ran to completion so far. */
  executedSteps: number;
  /** Why the task did not execute cleanly, once known (the details show it). */
  error: string | null;
  /** Rung 5: whether the report was read in time, once known. */
  reportRead: boolean | null;
  /** The `WaitingOn` search attribute as last upserted: who may answer now (sorted Slack ids). */
  waitingOnIds: readonly string[];
  /** Each step as its action describes it, once described (rungs 0 and 2); null before. */
  described: readonly { description: string; blastRadius: string }[] | null;
  /** What each step did so far (by index): status, result, changes, health, compensation. */
  stepRuns: Partial<StepFacts>[];
  /**
   * Members of the approver groups an unanswered request was escalated to (`onExpiry: escalate`):
   * they may answer it as the class's approvers may.
   */
  escalatedApprovers: string[];
  /** Narrowing edits of the steps before approval, in order; the task's input holds the steps as edited. */
  edits: StepEditRecord[];
  /** When the agent withdrew the task (before any step, see `withdrawUpdate`); null while it has not. */
  withdrawnAt: string | null;
  /**
   * True once the steps began to run (`runSteps`): from then on the agent may not withdraw the
   * task, even when a fallback later waits for a person; only a person can stop it.
   */
  stepsBegan: boolean;
  /** The steps as submitted, kept once an approver's edit replaces them in the input; null before. */
  submittedSteps: TaskRequest['steps'] | null;
}

/** The fields of a new {@link TaskContext} that only the task itself fills in. */
export function freshStory(): Pick<
  TaskContext,
  | 'fellBack'
  | 'executedSteps'
  | 'error'
  | 'reportRead'
  | 'waitingOnIds'
  | 'described'
  | 'stepRuns'
  | 'escalatedApprovers'
  | 'edits'
  | 'withdrawnAt'
  | 'stepsBegan'
  | 'submittedSteps'
> {
  return {
    fellBack: null,
    executedSteps: 0,
    error: null,
    reportRead: null,
    waitingOnIds: [],
    described: null,
    stepRuns: [],
    escalatedApprovers: [],
    edits: [],
    withdrawnAt: null,
    stepsBegan: false,
    submittedSteps: null,
  };
}

/** Adds what became known of step `index` (it ran, its health, its compensation…) to what messages show. */
export function recordStep(ctx: TaskContext, index: number, facts: Partial<StepFacts>): void {
  ctx.stepRuns[index] = { ...ctx.stepRuns[index], ...facts };
}

/**
 * Activity options that place step `index` on its host's task queue, when the decision pinned the
 * task's host-bound steps to a host (DecisionBundle.host); otherwise none, and the step runs on the
 * workflow's own queue. Every activity of a pinned step uses it, so a retry, a health check or a
 * compensation never runs where the step's files are not.
 */
export function onStepHost(ctx: TaskContext, index: number): { taskQueue?: string } {
  const host = ctx.bundle?.host;
  return host?.steps.includes(index) ? { taskQueue: host.queue } : {};
}

/**
 * Each step in its action's words (validated again), kept for every later message of the task:
 * the first time from the decision, which describes the steps of a task that asks a person first;
 * after an edit, a fallback from an autonomous rung or a decision without them, by a look-up.
 */
export async function describeForPeople(ctx: TaskContext): Promise<StepDescription[]> {
  const described =
    ctx.described === null && ctx.bundle?.described
      ? ctx.bundle.described
      : await lookingUp.describeSteps.executeWithOptions({ summary: timelineLabel.describeSteps() }, [
          ctx.input.task.steps,
        ]);
  ctx.described = described.map(({ description, blastRadius }) => ({ description, blastRadius }));
  return described;
}

/**
 * Every step of the task as messages show it: in its action's words where described, with what
 * it did so far. A step with no record yet is `pending` (`to-run` while it still may run,
 * `not-run` once it will not, `suggested` at rung 0).
 */
export function stepsFacts(ctx: TaskContext, pending: StepStatus): StepFacts[] {
  return ctx.input.task.steps.map((step, i) => {
    const described = ctx.described?.[i];
    const run = ctx.stepRuns[i] ?? {};
    return {
      status: pending,
      ...run,
      what: described?.description ?? run.what ?? stepOutcomeFacts(step, undefined).what,
      ...(described ? { blastRadius: described.blastRadius } : {}),
    };
  });
}

export function decisionOf(ctx: TaskContext): Decision {
  if (!ctx.bundle) throw new Error('no decision yet');
  return ctx.bundle.decision;
}

/** The notification every message of this task starts from. */
export function baseNotification(ctx: TaskContext, kind: Notification['kind'], text: string): Notification {
  const d = ctx.bundle?.decision;
  return {
    kind,
    workflowId: ctx.workflowId,
    agentId: ctx.input.task.agent.id,
    taskClass: ctx.input.task.taskClass,
    channel: d?.channel ?? '',
    title: ctx.input.task.title,
    text,
    fields: {
      rung: String(ctx.status.rung ?? ''),
      environment: ctx.input.task.environment,
      requester: ctx.input.task.requester,
      policy: d?.policyVersion ?? '',
    },
    link: ctx.uiLink,
  };
}

/**
 * Posts a notification once per `key` (retries are safe); the first main message becomes the one
 * updated later. `evidence` (see {@link evidenceOf}) is recorded by the same activity, before it
 * posts: the outcome a message tells of, without an activity of its own.
 */
export async function post(
  ctx: TaskContext,
  key: string,
  notification: Notification,
  main = false,
  evidence?: OutcomeEvent,
): Promise<string> {
  const fullKey = `${ctx.workflowId}/${key}`;
  const { ref, attempt, sweepAfterMs } = await notifying.notify.executeWithOptions(
    { summary: timelineLabel.notify(notification, evidence?.kind) },
    [{ key: fullKey, notification, ...(evidence ? { evidence } : {}) }],
  );
  // A post that needed a retry may have a slower twin still on its way to Slack.
  if ((attempt ?? 1) > 1 && sweepAfterMs !== undefined)
    sweepLateCopies(ctx, { key: fullKey, keepRef: ref, sweepAfterMs });
  if (main) ctx.messageRef = ref;
  return ref;
}

/**
 * Edits the main message in place: outcome, who, when, no more answer buttons (`actions` may
 * offer follow-ups such as reporting a defect), and every step with what it did so far (steps not
 * run yet read as `pending`: `to-run` right after an approval, `not-run` once nothing more runs).
 * `evidence` (the outcomes the edit tells of) is recorded by the same activity, before the edit;
 * with no main message, by `recordOutcome`, so it is never lost.
 */
export async function closeMainMessage(
  ctx: TaskContext,
  text: string,
  actions: LadderAction[] = [],
  pending: StepStatus = 'not-run',
  evidence: readonly OutcomeEvent[] = [],
): Promise<void> {
  return editMessage(ctx, ctx.messageRef, text, actions, pending, evidence);
}

/** {@link closeMainMessage} of the message `ref` (null: none was posted; the evidence is still recorded). */
async function editMessage(
  ctx: TaskContext,
  ref: string | null,
  text: string,
  actions: LadderAction[],
  pending: StepStatus,
  evidence: readonly OutcomeEvent[],
): Promise<void> {
  const records = [...ctx.evidenceToRecord.splice(0), ...evidence];
  ctx.mainMessageEdits++;
  if (!ref) return recordEach(records);
  // Built now, sent after the edits before it: a slow earlier edit never overwrites a later one.
  const notification = {
    ...baseNotification(ctx, 'outcome', text),
    actions,
    facts: { steps: stepsFacts(ctx, pending) },
  };
  const summary = timelineLabel.updateMessage(
    text,
    records.map((e) => e.kind),
  );
  const send = (): Promise<void> =>
    notifying.updateNotification.executeWithOptions({ summary }, [
      { ref, notification, ...(records.length > 0 ? { evidence: records } : {}) },
    ]);
  // An edit carrying evidence is the only record of it: a cancellation must not drop it with the edit.
  const edit = ctx.lastMessageEdit.then(() =>
    records.length > 0 ? CancellationScope.nonCancellable(send) : send(),
  );
  ctx.lastMessageEdit = edit.catch(() => undefined);
  await edit;
}

/**
 * Replaces the nudges `refs` (reminders, escalations, expiry warnings posted with a question's
 * buttons) with `text` and no buttons, once the question is closed: all at once, each one Slack
 * update. Ordered with nothing else: nothing else edits a nudge.
 */
export async function closeNudges(ctx: TaskContext, refs: readonly string[], text: string): Promise<void> {
  const notification = {
    ...baseNotification(ctx, 'outcome', text),
    actions: [],
    facts: { steps: stepsFacts(ctx, 'to-run') },
  };
  const summary = timelineLabel.updateMessage(text);
  await Promise.all(
    refs.map((ref) => notifying.updateNotification.executeWithOptions({ summary }, [{ ref, notification }])),
  );
}

/**
 * Edits the main message as {@link closeMainMessage} does, unless another edit of it comes within
 * `withinMs` (how the steps ended, after a quick step): that edit then tells this too and records
 * `evidence`, and the task makes one edit instead of two. A step still running by then gets this
 * edit, so people see the answer landed, and so does this message when a newer main message replaced
 * it meanwhile. The evidence is queued at once, so no edit can miss it.
 */
export async function closeMainMessageUnlessSuperseded(
  ctx: TaskContext,
  text: string,
  pending: StepStatus,
  evidence: readonly OutcomeEvent[],
  withinMs: number,
): Promise<void> {
  recordWithNextEdit(ctx, ...evidence);
  const edits = ctx.mainMessageEdits;
  const ref = ctx.messageRef;
  try {
    await condition(() => ctx.mainMessageEdits > edits || ctx.messageRef !== ref, withinMs, {
      summary: timelineLabel.messageEditGrace(),
    });
  } catch (err) {
    // Cancelled meanwhile: the cancellation's own edit tells it and records the evidence.
    if (isCancellation(err)) return;
    throw err;
  }
  // Read from the state, not from the wait's result: when the grace timer fires in the activation
  // that also starts the outcome edit (both arrived while no worker had the workflow, e.g. across a
  // server restart), the timer wins the wait, and this edit, chained after that one, would leave
  // the message saying "executing" over how the task ended.
  if (ctx.mainMessageEdits > edits && ctx.messageRef === ref) return;
  // Not told by a later edit, or a newer main message took over (an announcement after a fallback):
  // this message still shows its buttons.
  await editMessage(ctx, ref, text, [], pending, []);
}

/**
 * Queues `evidence` for the next edit of the main message, which records it with what it tells
 * (see {@link closeMainMessage}); {@link recordLeftoverEvidence} records what no edit took.
 */
export function recordWithNextEdit(ctx: TaskContext, ...evidence: OutcomeEvent[]): void {
  ctx.evidenceToRecord.push(...evidence);
}

/** Records the evidence no edit of the main message took (the task is ending). */
export async function recordLeftoverEvidence(ctx: TaskContext): Promise<void> {
  await recordEach(ctx.evidenceToRecord.splice(0));
}

/** Records each of `evidence` in order, one `recordOutcome` each. */
async function recordEach(evidence: readonly OutcomeEvent[]): Promise<void> {
  for (const e of evidence) await recordEvidence(e);
}

/**
 * Runs `work` beside the task's critical path: what follows does not wait for it, and the task
 * awaits it (with {@link awaitBeside}) before it ends.
 */
export function beside(ctx: TaskContext, work: Promise<void>): void {
  ctx.beside.push(work);
}

/** Waits for everything started with {@link beside}; a failure there fails the task as before. */
export async function awaitBeside(ctx: TaskContext): Promise<void> {
  while (ctx.beside.length > 0) await Promise.all(ctx.beside.splice(0));
}

/** The evidence of `kind` this task gives its agent's trust ledger, at the rung it runs at. */
export function evidenceOf(
  ctx: TaskContext,
  kind: OutcomeEvent['kind'],
  extra: Partial<OutcomeEvent> = {},
): OutcomeEvent {
  return {
    workflowId: ctx.workflowId,
    agentId: ctx.input.task.agent.id,
    taskClass: ctx.input.task.taskClass,
    rung: ctx.status.rung ?? 0,
    kind,
    ...extra,
  };
}

/** Records evidence for the agent's trust ledger (and the outcome log); once per task and kind. */
export async function record(
  ctx: TaskContext,
  kind: OutcomeEvent['kind'],
  extra: Partial<OutcomeEvent> = {},
): Promise<void> {
  await recordEvidence(evidenceOf(ctx, kind, extra));
}

/**
 * Sends `evidence` to the agent's trust ledger (and the outcome log), labelled on the timeline.
 * Outside cancellation: what happened stays evidence whether or not the task is cancelled after.
 */
export function recordEvidence(evidence: OutcomeEvent): Promise<void> {
  return CancellationScope.nonCancellable(() =>
    notifying.recordOutcome.executeWithOptions({ summary: timelineLabel.recordOutcome(evidence.kind) }, [
      evidence,
    ]),
  );
}

/**
 * Whether the task's steps run on the agent's own authority: decided at rung 3 or above and never
 * sent to a person since (a fallback puts a person's approval behind them).
 */
export function onOwnAuthority(ctx: TaskContext): boolean {
  return (ctx.status.rung ?? 0) >= 3 && ctx.fellBack === null;
}

/**
 * What redirects of a step's requests must fit besides the host bound (a step ref's `place`): the
 * task's environment, and its class's `bounds.requests` when `bounded` (nobody approved the step).
 */
export function redirectPlace(ctx: TaskContext, bounded: boolean): RedirectPlace {
  const task = ctx.input.task;
  return { environment: task.environment, ...(bounded ? { boundedBy: task.taskClass } : {}) };
}

/** Sets the rung the task runs at, upserted with `also` in one command (one event, one visibility write). */
export function setRung(ctx: TaskContext, rung: number, also: SearchAttributeUpdatePair[] = []): void {
  ctx.status.rung = rung;
  ctx.status.decision = ctx.bundle?.decision ?? null;
  upsertSearchAttributes([...also, { key: RungKey, value: rung }]);
}

/**
 * The task falls back to confirmation (rung 2) after its decision: the `Rung` search attribute and
 * the details say so, with `reason`. `beforeStep` is the index of the step not yet run, or null
 * when the fallback came before any (the quota refused the run).
 */
export function fallBackToConfirmation(ctx: TaskContext, reason: string, beforeStep: number | null): void {
  ctx.fellBack = { from: ctx.status.rung ?? decisionOf(ctx).effectiveRung, reason, beforeStep };
  setRung(ctx, 2);
  tellStory(ctx);
}

export function note(ctx: TaskContext, event: string): void {
  ctx.status.events.push(event);
}

/**
 * Marks the task done. Who it waited on is cleared with `also` (e.g. the outcome) in one upsert.
 */
export function finish(
  ctx: TaskContext,
  outcome: TaskOutcome,
  also: SearchAttributeUpdatePair[] = [],
): TaskOutcome {
  ctx.status.outcome = outcome;
  ctx.status.phase = 'done';
  ctx.status.waitingOn = null;
  ctx.waiting = null;
  const clear: SearchAttributeUpdatePair[] =
    ctx.waitingOnIds.length > 0 ? [{ key: WaitingOnKey, value: null }] : [];
  ctx.waitingOnIds = [];
  const updates = [...also, ...clear];
  if (updates.length > 0) upsertSearchAttributes(updates);
  tellStory(ctx);
  return outcome;
}

/**
 * Sets the `WaitingOn` search attribute to the Slack user ids who may answer now (anything else,
 * such as `channel` or `#ops`, is left out), or clears it with none. Upserts only on a change, so
 * a repeated call costs no event. Dashboards query `WaitingOn = "U…"`.
 */
export function setWaitingOn(ctx: TaskContext, who: readonly string[]): void {
  const ids = [...new Set(who.filter((id) => isSlackUserId(id)))].sort();
  if (ids.length === ctx.waitingOnIds.length && ids.every((id, i) => id === ctx.waitingOnIds[i])) return;
  ctx.waitingOnIds = ids;
  upsertSearchAttributes([{ key: WaitingOnKey, value: ids.length > 0 ? ids : null }]);
}

/** Adds `who` (when a Slack user id) to those the task waits on: an escalation reached them. */
export function addWaitingOn(ctx: TaskContext, who: string): void {
  setWaitingOn(ctx, [...ctx.waitingOnIds, who]);
}

/** The task's facts as the Temporal UI's story tells them (see {@link taskDetails}). */
export function storyOf(ctx: TaskContext): TaskStoryFacts {
  const d = ctx.bundle?.decision ?? null;
  return {
    phase: ctx.status.phase,
    outcome: ctx.status.outcome,
    rung: ctx.status.rung,
    decision: d && {
      effectiveRung: d.effectiveRung,
      earnedRung: d.earnedRung,
      reasons: d.reasons,
      refused: d.refused,
    },
    fellBack: ctx.fellBack,
    stepsTotal: ctx.input.task.steps.length,
    currentStep: ctx.status.currentStep,
    executedSteps: ctx.executedSteps,
    waiting: ctx.waiting ? { what: ctx.waiting, on: ctx.waitingOnIds } : null,
    answers: ctx.human,
    reportRead: ctx.reportRead,
    error: ctx.error,
    events: ctx.status.events,
  };
}

/**
 * Updates the workflow's current details (what the Temporal UI shows under the summary) from the
 * task's facts: called at each phase and at the end. No event, no round trip.
 */
export function tellStory(ctx: TaskContext): void {
  setCurrentDetails(taskDetails(storyOf(ctx)));
}

export function uiLinkFor(baseUrl: string | undefined): string {
  const info = workflowInfo();
  return baseUrl ? temporalUiLink(baseUrl, info.namespace, info.workflowId) : '';
}

/**
 * After a post whose earlier attempt may still land a copy (Slack has no idempotency key for
 * `chat.postMessage`): waits the grace the worker names (2 minutes by default), then removes every
 * copy but the one this task holds. Runs beside the task, so a duplicate does not outlive the
 * grace while the task waits for people; nothing is scheduled on the usual path.
 */
function sweepLateCopies(
  ctx: TaskContext,
  post: { key: string; keepRef: string; sweepAfterMs: number },
): void {
  ctx.lateSweeps.push(
    CancellationScope.nonCancellable(async () => {
      await sleep(post.sweepAfterMs, { summary: timelineLabel.sweepGrace() });
      try {
        const removed = await sweeping.removeDuplicateNotifications.executeWithOptions(
          { summary: timelineLabel.sweepLateCopies() },
          [{ key: post.key, keepRef: post.keepRef }],
        );
        if (removed > 0) note(ctx, `removed ${removed} late copy(ies) of a message that needed a retry`);
      } catch (err) {
        // The copy people act on stays; a failed sweep leaves an extra message, never loses one.
        note(ctx, `could not sweep late copies of ${post.key}: ${(err as Error).message}`);
      }
    }),
  );
}

/**
 * Whether the task still has work it must finish before it ends: bookkeeping started beside it,
 * evidence no edit took, or late-copy sweeps.
 */
export function hasWorkLeft(ctx: TaskContext): boolean {
  return ctx.beside.length > 0 || ctx.evidenceToRecord.length > 0 || ctx.lateSweeps.length > 0;
}

/** Waits for the sweeps started by {@link sweepLateCopies}; at once when there were none. */
export async function awaitLateCopySweeps(ctx: TaskContext): Promise<void> {
  await Promise.all(ctx.lateSweeps.splice(0));
}
