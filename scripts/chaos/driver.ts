import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask, TaskValidationError } from '../../client/submit-task';
import { statusQuery, type TaskResult, type TaskStatus } from '../../workflows/messages';
import { Gate, respondWithCli, runLadder, SlackClicker, type AnswerOutcome } from './answers';
import type { Destinations } from './destinations';
import type { ChaosStack } from './stack';
import type { AnswerKind, PlannedTask, Via } from './task-mix';

/** What a task waits for from a person. */
export type WaitingKind = 'approval' | 'suggestion' | 'draft' | 'report' | 'outcome';

/** An unknown outcome as the task's status shows it (see `TaskStatus.outcomeUnknown`). */
export interface OutcomeQuestionView {
  id?: string;
  step: number;
  stage: 'execute' | 'compensate';
  action: string;
  detail: string;
}

/** An answer the workflow accepted, with its receipt. */
export interface GivenAnswer {
  what: WaitingKind;
  answer: string;
  by: string;
  /** The receipt's time: the workflow's own time of the answer. */
  at: string;
  via: Via;
  /** For unknown outcomes: which question, and whether the effect was at its destination. */
  question?: { id: string; step: number; stage: 'execute' | 'compensate'; effectWasThere: boolean };
}

/** Everything the run knows about one task. */
export interface TaskRun {
  plan: PlannedTask;
  submitted: boolean;
  /** Why it could not be submitted (a mix error, or the run gave up). */
  submitError?: string;
  status?: TaskStatus;
  answers: GivenAnswer[];
  /** Every answer tried, accepted or not, for the report's details. */
  attempts: { what: WaitingKind; answer: string; by: string; via: Via; ok: boolean; reason?: string }[];
  /** When the run first saw the task waiting for the current answer. */
  waitingSince?: number;
  /** Slack answers given through the CLI because the message with the button never showed. */
  slackFallbacks: number;
  done: boolean;
  result?: TaskResult;
  /** How the workflow closed when it did not complete (failed, terminated, timed out…). */
  closedAs?: string;
  /** Set when the server said the workflow does not exist. */
  notFound: boolean;
  // scheduling
  answering: boolean;
  polling: boolean;
  nextPollAt: number;
  nextAnswerAt: number;
  answerFailures: number;
}

const POLL_EVERY_MS = 2_000;
const POLL_CONCURRENCY = 6;
const RPC_DEADLINE_MS = 8_000;
/** How long a Slack answer waits for its message before the person uses the CLI instead. */
const SLACK_MESSAGE_GRACE_MS = 90_000;

/** What a task waits for now, read from its status; null when it waits for nobody. */
export function waitingKind(status: TaskStatus): WaitingKind | null {
  if (status.phase === 'outcome-unknown' && outcomeQuestionOf(status)) return 'outcome';
  if (status.phase === 'awaiting-report-read') return 'report';
  if (status.phase !== 'awaiting-human' || !status.waitingOn) return null;
  if (status.waitingOn.startsWith('approvers')) return 'approval';
  if (status.waitingOn.startsWith('reviewers')) return 'draft';
  if (status.waitingOn.startsWith('requester')) return 'suggestion';
  return status.rung === 0 ? 'suggestion' : status.rung === 1 ? 'draft' : 'approval';
}

/** The unknown-outcome question in a status, if it asks one. */
export function outcomeQuestionOf(status: TaskStatus): OutcomeQuestionView | undefined {
  return (status as { outcomeUnknown?: OutcomeQuestionView | null }).outcomeUnknown ?? undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Drives the tasks: submits them (at most `maxActive` in flight at once), polls each one's
 * status, answers what it asks as a person would (Slack click or signed CLI, by the right person),
 * and collects each result once its workflow has closed.
 */
export class Driver {
  readonly runs: TaskRun[];
  private stopped = false;
  private readonly cli = new Gate(3);
  private readonly clicker: SlackClicker;
  private readonly actions = createActionRegistry();

  constructor(
    private readonly stack: ChaosStack,
    plans: PlannedTask[],
    private readonly destinations: Destinations,
    private readonly maxActive: number,
  ) {
    this.runs = plans.map((plan) => ({
      plan,
      submitted: false,
      answers: [],
      attempts: [],
      slackFallbacks: 0,
      done: false,
      notFound: false,
      answering: false,
      polling: false,
      nextPollAt: 0,
      nextAnswerAt: 0,
      answerFailures: 0,
    }));
    this.clicker = new SlackClicker(stack.emulator);
  }

  /** Tasks whose workflow was started (or found started). */
  submittedCount(): number {
    return this.runs.filter((r) => r.submitted).length;
  }
  /** Tasks whose workflow has closed. */
  finishedCount(): number {
    return this.runs.filter((r) => r.done).length;
  }
  /** Whether every task has closed or could not be submitted: nothing is left to wait for. */
  allSettled(): boolean {
    return this.runs.every((r) => r.done || r.submitError !== undefined);
  }
  /** Tasks whose workflow is running and waiting for an answer the run has not given yet. */
  waitingCount(): number {
    return this.runs.filter((r) => !r.done && r.waitingSince !== undefined).length;
  }

  /**
   * Tasks submitted and still working. One whose status says done is not counted: it may stay
   * open a while (sweeping late copies of Slack posts that needed a retry) but works no more.
   */
  inFlight(): number {
    return this.runs.filter((r) => r.submitted && !r.done && r.status?.phase !== 'done').length;
  }

  /** Submits every task in order, never more than `maxActive` in flight at once. */
  async submitAll(): Promise<void> {
    for (const run of this.runs) {
      while (!this.stopped && this.inFlight() >= this.maxActive) await sleep(100);
      if (this.stopped) return;
      await this.submit(run);
    }
  }

  /** Polls unfinished tasks until {@link stop}. */
  async pollAll(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.stopped) {
      const now = Date.now();
      for (const run of this.runs) {
        if (inFlight.size >= POLL_CONCURRENCY) break;
        if (!run.submitted || run.done || run.polling || run.nextPollAt > now) continue;
        run.polling = true;
        const p: Promise<void> = this.poll(run).finally(() => {
          run.polling = false;
          inFlight.delete(p);
        });
        inFlight.add(p);
      }
      await sleep(100);
    }
    await Promise.all(inFlight);
  }

  /** Stops submitting and polling (answers in flight finish). */
  stop(): void {
    this.stopped = true;
  }

  /** One last look at every unfinished task (status, or whether it closed meanwhile). */
  async finalLook(): Promise<void> {
    for (const run of this.runs.filter((r) => r.submitted && !r.done)) {
      const handle = this.stack.client.workflow.getHandle(run.plan.workflowId);
      await this.finishIfClosed(run, handle).catch(() => undefined);
      if (run.done) continue;
      run.status = await this.stack.client
        .withDeadline(Date.now() + RPC_DEADLINE_MS, () => handle.query(statusQuery))
        .catch(() => run.status);
    }
  }

  private async submit(run: TaskRun): Promise<void> {
    const { plan } = run;
    for (const f of plan.seedFiles) {
      const path = join(this.stack.workspaceRoot, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, f.content);
    }
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        if (plan.submitViaCli) await this.submitWithCli(plan);
        else
          await submitTask(this.stack.client, plan.request, {
            taskQueue: this.stack.taskQueue,
            policy: this.stack.policy,
            actions: this.actions,
          });
        run.submitted = true;
        run.nextPollAt = Date.now() + 300;
        return;
      } catch (err) {
        if (err instanceof TaskValidationError || err instanceof RefusedSubmission) {
          run.submitError = `refused at submission: ${err.message}`;
          return;
        }
        // Temporal unreachable (the dev server is being restarted): the same task id is safe to retry.
        if (attempt >= 300) {
          run.submitError = `not submitted after ${attempt} tries: ${(err as Error).message}`;
          return;
        }
        await sleep(1000);
      }
    }
  }

  private async submitWithCli(plan: PlannedTask): Promise<void> {
    const file = join(this.stack.dir, 'tasks', `${plan.request.taskId}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(plan.request, null, 2));
    const run = await this.cli.run(() => runLadder(this.stack.env, ['submit', file]));
    if (run.code === 0 && /^(Already submitted|Submitted): /m.test(run.out)) return;
    if (/invalid task request|may not submit/.test(run.err)) throw new RefusedSubmission(run.err.trim());
    throw new Error(`ladder submit exited ${run.code}: ${run.err.trim().slice(0, 200)}`);
  }

  private async poll(run: TaskRun): Promise<void> {
    const client = this.stack.client;
    const handle = client.workflow.getHandle(run.plan.workflowId);
    run.nextPollAt = Date.now() + POLL_EVERY_MS;
    try {
      // Asked of the server first: a workflow that failed still answers queries (from its
      // history), so only its description tells that it closed.
      if (await this.finishIfClosed(run, handle)) return;
      const status = await client.withDeadline(Date.now() + RPC_DEADLINE_MS, () => handle.query(statusQuery));
      run.status = status;
      // Done but open: usually closed a moment later; after a retried Slack post, after its sweep.
      if (status.phase === 'done') return;
      const waiting = waitingKind(status);
      if (!waiting) run.waitingSince = undefined;
      else {
        run.waitingSince ??= Date.now();
        if (!run.answering && Date.now() >= run.nextAnswerAt) void this.answer(run, waiting, status);
      }
    } catch {
      // The server may be restarting, or the worker (queries need one) may be down: next time.
    }
  }

  /** Marks the task done (with its result) once its workflow has closed; returns whether it has. */
  private async finishIfClosed(run: TaskRun, handle: WorkflowHandle): Promise<boolean> {
    const client = this.stack.client;
    let described;
    try {
      described = await client.withDeadline(Date.now() + RPC_DEADLINE_MS, () => handle.describe());
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) run.notFound = true;
      throw err;
    }
    run.notFound = false;
    const state = described.status.name;
    if (state === 'RUNNING') return false;
    if (state === 'COMPLETED')
      run.result = (await client.withDeadline(Date.now() + RPC_DEADLINE_MS, () =>
        handle.result(),
      )) as TaskResult;
    else {
      run.closedAs = state;
      // The failure says why (e.g. which activity ran out of attempts).
      await client
        .withDeadline(Date.now() + RPC_DEADLINE_MS, () => handle.result())
        .catch((err: Error) => (run.closedAs = `${state}: ${describeFailure(err)}`));
    }
    run.done = true;
    run.waitingSince = undefined;
    return true;
  }

  private async answer(run: TaskRun, waiting: WaitingKind, status: TaskStatus): Promise<void> {
    run.answering = true;
    try {
      const outcome =
        waiting === 'outcome'
          ? await this.answerOutcome(run, status)
          : await this.answerPerson(run, waiting, status);
      if (outcome && !outcome.ok) {
        run.answerFailures++;
        run.nextAnswerAt = Date.now() + Math.min(15_000, 1000 * run.answerFailures);
      }
    } catch (err) {
      run.attempts.push({
        what: waiting,
        answer: '?',
        by: '?',
        via: 'cli',
        ok: false,
        reason: (err as Error).message,
      });
      run.nextAnswerAt = Date.now() + 5000;
    } finally {
      run.answering = false;
    }
  }

  /** Approvals, suggestions, drafts and reports: the planned answer, by the right person. */
  private async answerPerson(
    run: TaskRun,
    waiting: Exclude<WaitingKind, 'outcome'>,
    status: TaskStatus,
  ): Promise<AnswerOutcome | undefined> {
    // One accepted answer per question: a second would only be refused (and would hide a lost one).
    if (run.answers.some((a) => a.what === waiting)) return undefined;
    const decision = status.decision;
    if (!decision) return { ok: false, reason: 'no decision in the status yet' };
    const planned = plannedAnswer(run.plan, waiting);
    const by = this.answerer(run, waiting, decision.approvers);
    const typed = decision.typedConfirmation.required ? decision.typedConfirmation.expected : undefined;
    let via: Via = planned.via;
    // A typed confirmation is a modal in Slack: an operator types it on the CLI instead.
    if (typed !== undefined && planned.kind === 'approve') via = 'cli';
    if (
      via === 'slack' &&
      run.waitingSince !== undefined &&
      Date.now() - run.waitingSince > SLACK_MESSAGE_GRACE_MS
    ) {
      via = 'cli';
      run.slackFallbacks++;
    }
    const outcome =
      via === 'slack'
        ? await this.clicker.click(
            waiting === 'report' ? (decision.report?.channel ?? decision.channel) : decision.channel,
            run.plan.workflowId,
            planned.kind,
            by,
          )
        : await respondWithCli(this.stack.env, this.cli, run.plan.workflowId, planned.kind, by, {
            typed: planned.kind === 'approve' ? typed : undefined,
            reason:
              planned.kind === 'reject' || planned.kind === 'decline'
                ? 'the chaos run turns this one down'
                : undefined,
          });
    run.attempts.push({
      what: waiting,
      answer: planned.kind,
      by,
      via,
      ok: outcome.ok,
      reason: outcome.ok ? undefined : outcome.reason,
    });
    if (outcome.ok)
      run.answers.push({ what: waiting, answer: planned.kind, by: outcome.by, at: outcome.at, via });
    return outcome;
  }

  /**
   * An unknown outcome, answered as a person would after checking the destination: "ran" when the
   * step's effect (or undo) is there, "run again" when it is not; by the agent's owner, on the CLI.
   */
  private async answerOutcome(run: TaskRun, status: TaskStatus): Promise<AnswerOutcome | undefined> {
    const q = outcomeQuestionOf(status)!;
    const id = q.id ?? `${q.step}/${q.stage}`;
    if (run.answers.some((a) => a.question?.id === id)) return undefined;
    const effect = run.plan.steps[q.step];
    if (!effect) return { ok: false, reason: `question about step ${q.step}, which the task does not have` };
    const there = await this.destinations.isThere(effect, q.stage);
    const answer = there ? 'ran' : 'run-again';
    const by = this.owner(run);
    // The question checked, by id: the CLI never answers whichever question is open now.
    const outcome = await respondWithCli(this.stack.env, this.cli, run.plan.workflowId, answer, by, {
      question: q.id,
    });
    run.attempts.push({
      what: 'outcome',
      answer,
      by,
      via: 'cli',
      ok: outcome.ok,
      reason: outcome.ok ? undefined : outcome.reason,
    });
    if (outcome.ok)
      run.answers.push({
        what: 'outcome',
        answer,
        by: outcome.by,
        at: outcome.at,
        via: 'cli',
        question: { id, step: q.step, stage: q.stage, effectWasThere: there },
      });
    return outcome;
  }

  private owner(run: TaskRun): string {
    return this.stack.policy.agents[run.plan.request.agent.id]!.owner;
  }

  /** Who answers: an approver other than the requester, the requester for suggestions, the owner for reports. */
  private answerer(run: TaskRun, waiting: WaitingKind, approvers: readonly string[]): string {
    const requester = run.plan.request.requester;
    if (waiting === 'suggestion') return requester;
    if (waiting === 'report' || waiting === 'outcome') return this.owner(run);
    const others = approvers.filter((a) => a !== requester);
    const pool = others.length > 0 ? others : approvers;
    return pool[run.plan.index % pool.length];
  }
}

/** Raised when `ladder submit` refused the task itself (not a connection problem). */
class RefusedSubmission extends Error {}

/** The plan's answer when it fits what the task asks; else what a person would give (fallbacks). */
function plannedAnswer(
  plan: PlannedTask,
  waiting: Exclude<WaitingKind, 'outcome'>,
): { kind: AnswerKind; via: Via } {
  const fits: Record<typeof waiting, AnswerKind[]> = {
    approval: ['approve', 'reject'],
    suggestion: ['done', 'dismiss'],
    draft: ['accept', 'decline'],
    report: ['read'],
  };
  if (plan.answer && fits[waiting].includes(plan.answer.kind)) return plan.answer;
  return { kind: fits[waiting][0], via: plan.answer?.via ?? 'cli' };
}

/** An error and its causes, one line: what a workflow failure says about why. */
function describeFailure(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err as (Error & { cause?: unknown }) | undefined;
    e && parts.length < 4;
    e = e.cause as typeof e
  )
    parts.push(
      (e as { activityType?: string }).activityType
        ? `${e.message} (${(e as { activityType?: string }).activityType})`
        : e.message,
    );
  return parts.join(': ');
}
