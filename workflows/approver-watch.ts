import { continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import type { Notification } from '../activities/notify/notifier';
import {
  approverStats,
  checkReviewer,
  clearWatchFlag,
  newApproverWatch,
  recordWatchedAnswer,
  recordWatchedDefect,
  type ApproverWatchState,
  type WatchFlag,
} from '../policy/approver-watch';
import { approverReviewedText, approverUnderReviewWording } from '../slack/blocks/approver-watch-wording';
import { ActivityProfiles } from './activity-profiles';
import { refuseAsFailure } from './answer-check';
import type { UsedAnswersCarry } from './used-answers';
import {
  recordWatchedAnswersUpdate,
  reviewApproverUpdate,
  taskClassOfWatch,
  watchedApproversQuery,
  watchedDefectSignal,
  type ReviewApproverArgs,
  type WatchedApproverView,
  type WatchedDefectArgs,
} from './approver-watch-messages';
import { authorityEntity } from './authority-entity';
import { workflowNowIso, workflowNowMs } from './clock';
import type { ControlAuthority } from './messages';

const judging = proxyActivities<LadderActivities>(ActivityProfiles.quick);
const notifying = proxyActivities<LadderActivities>(ActivityProfiles.notify);

/** The owners of the class the watch is for: its `owners`, or the admins when it names none. */
function ownersOf(a: ControlAuthority, taskClass: string): string[] {
  return a.classOwners?.[taskClass] ?? a.admins;
}

/**
 * The rubber-stamp watch of one task class (`control/<queue>/approver-watch/<class>`): per
 * approver, how fast they approve, how much of what they are asked they approve, and how many
 * tasks they approved were later found defective, over the policy's `approverWatch.period`.
 *
 * When someone approves in seconds at near 100% while defects escape (every threshold from the
 * policy), the class's owners are told in its channel and directly, and that approver's approvals
 * stop counting towards promotion (the task's outcome activity asks here before it records one)
 * until an owner reviews them with a signed answer. Kept beside the agents' ledgers, not inside
 * them; bounded by approvers × the newest 500 answers each.
 */
export async function approverWatch(
  initial?: ApproverWatchState,
  carriedAuthority?: ControlAuthority,
  carriedAnswers?: UsedAnswersCarry,
): Promise<void> {
  const { workflowId } = workflowInfo();
  const taskClass = taskClassOfWatch(workflowId);
  const state: ApproverWatchState = initial ?? newApproverWatch(taskClass);
  const entity = authorityEntity(carriedAuthority, carriedAnswers);
  /** Flags to tell the owners about, in order; told by the main loop so a handler never waits on Slack. */
  const toTell: (WatchFlag & { approver: string })[] = [];

  const expectReview = (args: ReviewApproverArgs, a: ControlAuthority): void => {
    entity.checkAnswer(a, reviewApproverUpdate.name, args, args.by);
    if (!a.taskClasses.includes(taskClass))
      throw new Error(`unknown task class "${taskClass}" (declared: ${a.taskClasses.join(', ')})`);
    checkReviewer({ by: args.by, approver: args.approver, taskClass }, ownersOf(a, taskClass));
    if (!state.approvers[args.approver]?.flag)
      throw new Error(`${args.approver} is not under review in ${taskClass}`);
  };

  setHandler(recordWatchedAnswersUpdate, async (answers) => {
    const rule = (await entity.loaded()).approverWatch;
    if (!rule) return answers.map(() => ({ counts: true }));
    const now = workflowNowMs();
    const counted = answers.map((answer) => {
      const judged = recordWatchedAnswer(state, answer, rule, now);
      if (judged.newlyFlagged) toTell.push(judged.newlyFlagged);
      return { counts: judged.counts };
    });
    entity.changed();
    return counted;
  });
  setHandler(watchedDefectSignal, (args: WatchedDefectArgs) => {
    const rule = entity.authority()?.approverWatch;
    if (!rule) return;
    const flagged = recordWatchedDefect(state, args, rule, workflowNowMs());
    if (flagged) toTell.push(flagged);
    entity.changed();
  });
  setHandler(
    reviewApproverUpdate,
    async (args) => {
      const authority = await entity.loaded();
      refuseAsFailure(() => expectReview(args, authority));
      entity.take(authority, args);
      const flag = state.approvers[args.approver]!.flag!;
      clearWatchFlag(state, args.approver, {
        by: args.by,
        atMs: workflowNowMs(),
        ...(args.note ? { note: args.note } : {}),
      });
      entity.changed();
      const at = workflowNowIso();
      if (flag.messageRef) {
        const told = flagNotification({ ...flag, approver: args.approver }, authority, '');
        await notifying.updateNotification({
          ref: flag.messageRef,
          notification: {
            ...told,
            channel: '',
            kind: 'outcome',
            text: `${told.text}\n${approverReviewedText({ approver: args.approver, by: args.by, at, note: args.note })}`,
            actions: [],
          },
        });
      }
      return { accepted: true, by: args.by, at };
    },
    { validator: (args) => void (entity.authority() && expectReview(args, entity.authority()!)) },
  );
  setHandler(watchedApproversQuery, (): WatchedApproverView[] =>
    Object.entries(state.approvers).map(([approver, record]) => ({
      approver,
      taskClass,
      ...approverStats(record),
      flag: record.flag,
      reviewed: record.reviewed ?? null,
    })),
  );

  const flagNotification = (
    flag: WatchFlag & { approver: string },
    authority: ControlAuthority,
    channel: string,
  ): Notification => {
    const owners = ownersOf(authority, taskClass);
    const wording = approverUnderReviewWording({ ...flag, taskClass, owners });
    return {
      kind: 'approver-review',
      workflowId,
      agentId: 'every agent of the class',
      taskClass,
      channel,
      title: wording.title,
      text: wording.text,
      fields: { 'under review': flag.approver, owners: owners.join(', ') },
      subject: flag.approver,
      actions: ['review-approver'],
    };
  };
  const tellOwners = async (): Promise<void> => {
    while (toTell.length > 0) {
      const flag = toTell.shift()!;
      const authority = await entity.loaded();
      const owners = ownersOf(authority, taskClass);
      const channel = (await judging.classChannel({ taskClass })) ?? owners[0];
      const notification = flagNotification(flag, authority, channel);
      const key = `${workflowId}/flag-${flag.approver}-${flag.atMs}`;
      const { ref } = await notifying.notify({ key, notification });
      const kept = state.approvers[flag.approver]?.flag;
      if (kept && kept.atMs === flag.atMs) kept.messageRef = ref;
      // Each owner hears it directly too: a channel message is easy to miss.
      for (const owner of owners)
        await notifying.notify({ key: `${key}/dm-${owner}`, notification: { ...notification, to: owner } });
    }
  };

  const carry = await entity.runUntilContinueAsNew(tellOwners, () => toTell.length > 0);
  await tellOwners();
  await continueAsNew<typeof approverWatch>(state, carry, entity.usedAnswers());
}
