import { condition } from '@temporalio/workflow';
import type { Notification } from '../../activities/notify/notifier';
import {
  addWaitingOn,
  baseNotification,
  note,
  post,
  setWaitingOn,
  tellStory,
  type TaskContext,
  type Waiting,
} from '../task-context';
import { timelineLabel } from '../task-story';

/** A nudge while a question waits: at `atMs` after asking, `text` goes to `to` (a user or `channel`). */
export interface Nudge {
  atMs: number;
  kind: Notification['kind'];
  to: string;
  key: string;
  text: string;
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
  /** When the question expires unanswered, in ms after it was asked. */
  expireAfterMs: number;
  /** Reminders and escalations before expiry, in any order (those at or after expiry are dropped). */
  nudges?: readonly Nudge[];
}

/**
 * Asks a person: posts the question as the task's main message, accepts only the answer it
 * expects, nudges on the policy's timeline, and waits until answered or expired. `waiting` is set
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
  const nudges = [...(question.nudges ?? [])]
    .filter((n) => n.atMs < question.expireAfterMs)
    .sort((a, b) => a.atMs - b.atMs);
  let waited = 0;
  let answered = false;
  for (const nudge of nudges) {
    const summary = timelineLabel.answerWait(question.expects, nudge.to);
    if (await condition(question.answered, Math.max(0, nudge.atMs - waited), { summary })) {
      answered = true;
      break;
    }
    waited = nudge.atMs;
    note(ctx, `${question.expects} unanswered after ${Math.round(nudge.atMs / 1000)} s: pinged ${nudge.to}`);
    await post(ctx, nudge.key, {
      ...baseNotification(ctx, nudge.kind, nudge.text),
      to: nudge.to,
    });
    // Escalated: the contact is now one of those the task waits on.
    addWaitingOn(ctx, nudge.to);
    tellStory(ctx);
  }
  if (!answered) {
    const summary = timelineLabel.answerWait(question.expects, null);
    answered = await condition(question.answered, Math.max(0, question.expireAfterMs - waited), { summary });
  }
  ctx.waiting = null;
  ctx.status.waitingOn = null;
  setWaitingOn(ctx, []);
  return answered;
}
