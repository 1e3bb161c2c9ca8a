import { CancelledFailure, condition } from '@temporalio/workflow';
import type { Notification } from '../../activities/notify/notifier';
import { nudgeClosedText } from '../../slack/blocks/task-wording';
import {
  addWaitingOn,
  baseNotification,
  beside,
  closeNudges,
  decisionOf,
  note,
  post,
  setWaitingOn,
  tellStory,
  type TaskContext,
  type Waiting,
} from '../task-context';
import { timelineLabel } from '../task-story';
import type { AnswerFacts } from '../../slack/blocks/task-facts';

/**
 * A nudge while a question waits: at `atMs` after asking, `text` goes to `to` (a user or
 * `channel`), with `also` (the question's buttons and facts, so it can be answered from there).
 */
export interface Nudge {
  atMs: number;
  kind: Notification['kind'];
  to: string;
  key: string;
  text: string;
  also?: Pick<Notification, 'actions' | 'fields' | 'facts' | 'subject'>;
}

/** What rungs 0–2 ask a person, and what counts as an answer. */
export interface Question {
  /** Which answer the update validators accept while this question is open. */
  expects: Exclude<Waiting, null>;
  /** Who the task waits on, as the status shows it. */
  waitingOn: string;
  /** The Slack ids who may answer (the `WaitingOn` search attribute); escalation contacts join them. */
  answerers: readonly string[];
  /** Key of the message (once per task); it becomes the task's main message. */
  key: string;
  /** The message with its answer buttons. */
  message: Notification;
  /** Whether the answer has arrived (set by the update handler). */
  answered: () => boolean;
  /** When the question expires unanswered, in ms after it was asked; null: it never does. */
  expireAfterMs: number | null;
  /** Reminders and escalations before expiry, in any order (those at or after expiry are dropped). */
  nudges?: readonly Nudge[];
}

/**
 * Asks a person: posts the question as the task's main message, accepts only the answer it
 * expects, nudges on the policy's timeline, and waits until answered or expired (never expired
 * when `expireAfterMs` is null). `waiting` is set
 * before posting, so a click the moment the message shows is accepted.
 *
 * @returns whether an answer came before expiry.
 */
export async function askHuman(ctx: TaskContext, question: Question): Promise<boolean> {
  ctx.status.waitingOn = question.waitingOn;
  ctx.waiting = question.expects;
  setWaitingOn(ctx, question.answerers);
  await post(ctx, question.key, question.message, true);
  // 'awaiting-human' means the question is out.
  ctx.status.phase = 'awaiting-human';
  tellStory(ctx);
  const expireAfterMs = question.expireAfterMs ?? Infinity;
  const nudges = [...(question.nudges ?? [])]
    .filter((n) => n.atMs < expireAfterMs)
    .sort((a, b) => a.atMs - b.atMs);
  let waited = 0;
  let answered = false;
  // The agent's withdrawal ends the wait as an answer would; it is told apart once the wait ends.
  const settled = (): boolean => question.answered() || ctx.withdrawnAt !== null;
  /** Nudges posted with the question's buttons: closed with it, so no button outlives it. */
  const withButtons: string[] = [];
  for (const nudge of nudges) {
    const summary = timelineLabel.answerWait(question.expects, nudge.to);
    if (await condition(settled, Math.max(0, nudge.atMs - waited), { summary })) {
      answered = true;
      break;
    }
    waited = nudge.atMs;
    note(ctx, `${question.expects} unanswered after ${Math.round(nudge.atMs / 1000)} s: pinged ${nudge.to}`);
    const base = baseNotification(ctx, nudge.kind, nudge.text);
    // A contact who may not answer (the agent's owner, say) is told, without buttons they could
    // only be refused by, and the task is not listed as waiting on them.
    const mayAnswer = nudge.to === 'channel' || question.answerers.includes(nudge.to);
    const ref = await post(ctx, nudge.key, {
      ...base,
      ...nudge.also,
      ...(mayAnswer ? {} : { actions: [] }),
      fields: { ...base.fields, ...nudge.also?.fields },
      to: nudge.to,
    });
    if (mayAnswer && (nudge.also?.actions?.length ?? 0) > 0) withButtons.push(ref);
    // Escalated: the contact is now one of those the task waits on.
    if (mayAnswer) addWaitingOn(ctx, nudge.to);
    tellStory(ctx);
  }
  if (!answered) {
    const summary = timelineLabel.answerWait(question.expects, null);
    if (question.expireAfterMs === null) {
      // Kept waiting, as the policy says: only an answer (or a cancellation) ends the wait.
      await condition(settled);
      answered = true;
    } else {
      answered = await condition(settled, Math.max(0, question.expireAfterMs - waited), {
        summary,
      });
    }
  }
  ctx.waiting = null;
  ctx.status.waitingOn = null;
  setWaitingOn(ctx, []);
  const withdrawn = ctx.withdrawnAt !== null && !question.answered();
  // Beside the steps: the path from the answer to the first step stays as short as it was.
  if (withButtons.length > 0)
    beside(
      ctx,
      closeNudges(
        ctx,
        withButtons,
        nudgeClosedText(question.expects, withdrawn ? 'withdrawn' : answered ? 'answered' : 'expired'),
      ),
    );
  // Ends the task as a cancellation does: the question's message is closed, nothing runs.
  if (withdrawn) throw new CancelledFailure('withdrawn by the agent');
  return answered;
}

/**
 * Who of `pool` may approve (or review) this task: all of them, but under the two-person rule not
 * the task's requester, who is then named with the rule (as the update validators decide).
 */
export function approversOf(
  ctx: TaskContext,
  pool: readonly string[],
): Pick<AnswerFacts, 'mayAnswer' | 'excluded'> {
  const requester = ctx.input.task.requester;
  const all = [...new Set(pool)];
  if (!decisionOf(ctx).twoPersonRule || !all.includes(requester)) return { mayAnswer: all };
  return {
    mayAnswer: all.filter((a) => a !== requester),
    excluded: [{ who: requester, rule: 'two-person-rule' }],
  };
}
