import type { StandingApproval } from '../../policy/standing-approvals';
import { standingApprovalsBlocks } from './standing-approvals';
import type { HomeView, KnownBlock } from '@slack/types';
import type { Notification, NotificationKind } from '../../activities/notify/notifier';
import type { WaitingTask } from '../../client/waiting-on';
import { BATCH_ACTION_IDS, type LadderAction } from '../action-ids';
import { escapeMrkdwn, link } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';
import { notificationButtons } from './task-message';
import type { Away } from '../../policy/delegation';
import { homeAbsenceBlocks, homeProposalBlocks, type HomeProposal } from './app-home-sections';

/** The most tasks one Home lists: three blocks each, and the view stays under 50 blocks like a message. */
export const HOME_TASKS_LISTED = 15;

/** The most task classes offered an "Answer in batch" button (one actions block, two blocks in all). */
export const HOME_BATCH_CLASSES = 5;

/**
 * The "Answer in batch" buttons: one per class where several approval requests wait (the button's
 * value is the class; the batch modal lists its requests). Empty when none. Pure.
 */
export function homeBatchBlocks(classes: readonly { taskClass: string; count: number }[]): KnownBlock[] {
  const shown = classes.slice(0, HOME_BATCH_CLASSES);
  if (shown.length === 0) return [];
  return [
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: 'Several approval requests of one class wait on you: answer them together, each still checked on its own.',
        },
      ],
    },
    {
      type: 'actions',
      block_id: 'ladder_home_batch',
      elements: shown.map((c) => ({
        type: 'button' as const,
        action_id: BATCH_ACTION_IDS.open,
        text: {
          type: 'plain_text' as const,
          text: truncate(`Answer in batch: ${c.count} in ${c.taskClass}`, BLOCK_LIMITS.buttonText),
        },
        value: truncate(c.taskClass, BLOCK_LIMITS.buttonValue),
      })),
    },
  ];
}

/**
 * The task's start details as plain text: they are written for the Temporal UI's markdown (bold
 * headings, backslash escapes), which Slack would show literally. Pure.
 */
export function plainFromUiMarkdown(details: string): string {
  return details.replace(/\*\*/g, '').replace(/\\([\\`*_{}[\]()#+\-.!<>|~&])/g, '$1');
}

/** What a task waiting on a person asks of them, as the buttons of its message ask it. Pure. */
export function homeQuestionOf(task: WaitingTask): {
  kind: NotificationKind;
  actions: LadderAction[];
  subject?: string;
} {
  const s = task.status;
  if (s.phase === 'awaiting-report-read') return { kind: 'report', actions: ['mark-read', 'report-defect'] };
  if (s.phase === 'outcome-unknown' && s.outcomeUnknown)
    return {
      kind: 'outcome-unknown',
      actions: ['outcome-ran', 'outcome-run-again', 'outcome-undo'],
      subject: s.outcomeUnknown.id,
    };
  if (s.rung === 0) return { kind: 'suggestion', actions: ['done', 'dismiss'] };
  if (s.rung === 1) return { kind: 'draft', actions: ['accept', 'draft-reject'] };
  // Steps not confirmed to be the ones the hash names: no Approve here (the message has one).
  if (!task.stepsConfirmed) return { kind: 'approval-request', actions: ['reject'] };
  const typed = s.decision?.typedConfirmation.required === true;
  return { kind: 'approval-request', actions: [typed ? 'approve-typed' : 'approve', 'reject'] };
}

/** What the Home says of an approval request it offers no Approve for. */
export const HOME_STEPS_UNCONFIRMED =
  ':warning: Its steps as they are now could not be read here (they may have been edited): approve it on its request message, which shows what will run.';

/**
 * A person's App Home: what waits on them now, each task with what it will do and the same
 * buttons as its message (so an answer here is the same signed answer, checked the same way).
 * Then the promotion proposals they may decide (same buttons as the proposal's message), their
 * absence in force, and the standing approvals they granted. Everything an agent wrote is escaped.
 * Pure; within Slack's limits for a Home (at most 100 blocks: 49 for tasks, 12 for proposals, 3 for
 * the absence, 11 for standing approvals; 3,000 characters per section).
 *
 * @param total - how many tasks wait on the person in all (more than listed when over the limit).
 */
export function appHomeView(args: {
  tasks: readonly WaitingTask[];
  total: number;
  uiLink: (workflowId: string) => string;
  /** Classes with several approval requests waiting, offered as "Answer in batch" buttons. */
  batchClasses?: readonly { taskClass: string; count: number }[];
  /** The standing approvals the person granted that are in force, with the registry their Revoke buttons answer. */
  standing?: { approvals: readonly StandingApproval[]; registryId: string; nowMs: number };
  /** Open promotion proposals the person may decide (their `approvers` name them). */
  proposals?: readonly HomeProposal[];
  /** The person's own absence in force, if they are away. */
  away?: Away;
  /** The delegations registry an "I'm back" button answers; without it the Home only says `/ladder back`. */
  awayRegistryId?: string;
}): HomeView {
  const listed = args.tasks.slice(0, HOME_TASKS_LISTED);
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Waiting on you' } },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text:
            args.total === 0
              ? 'Nothing waits on you now.'
              : `${args.total} task${args.total === 1 ? '' : 's'} wait${args.total === 1 ? 's' : ''} on you${args.total > listed.length ? `; the newest ${listed.length} are here` : ''}.`,
        },
      ],
    },
    ...homeBatchBlocks(args.batchClasses ?? []),
  ];
  listed.forEach((task, i) => {
    const question = homeQuestionOf(task);
    const typed = task.status.decision?.typedConfirmation;
    const notification: Notification = {
      kind: question.kind,
      workflowId: task.workflowId,
      agentId: '',
      taskClass: '',
      channel: '',
      title: task.summary,
      text: '',
      fields: {
        stepsHash: task.status.stepsHash,
        ...(typed?.required ? { typedConfirmation: typed.expected } : {}),
      },
      ...(question.subject ? { subject: question.subject } : {}),
      actions: question.actions,
    };
    const unconfirmed = question.kind === 'approval-request' && !question.actions.some(isApprove);
    const text = [
      `*${escapeMrkdwn(task.summary)}*`,
      `rung ${task.status.rung ?? '?'} · ${escapeMrkdwn(task.status.phase)} · waiting on ${escapeMrkdwn(task.status.waitingOn ?? '')}`,
      unconfirmed ? HOME_STEPS_UNCONFIRMED : '',
      task.details ? escapeMrkdwn(plainFromUiMarkdown(task.details)) : '',
    ]
      .filter(Boolean)
      .join('\n');
    const uiLine = link(args.uiLink(task.workflowId), 'Open in Temporal UI');
    blocks.push(
      { type: 'divider' },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `${truncate(text, BLOCK_LIMITS.sectionText - uiLine.length - 1)}\n${uiLine}`,
        },
      },
      { type: 'actions', block_id: `ladder_home_${i}`, elements: notificationButtons(notification) },
    );
  });
  blocks.push(
    ...homeProposalBlocks(args.proposals ?? []),
    ...homeAbsenceBlocks(args.away, args.awayRegistryId),
  );
  const standing = args.standing?.approvals.slice(0, HOME_STANDING_LISTED) ?? [];
  if (args.standing && standing.length > 0) {
    blocks.push(
      { type: 'header', text: { type: 'plain_text', text: 'Your standing approvals' } },
      // The list's own heading counts them all; here only the person's, each with its Revoke.
      ...standingApprovalsBlocks(standing, args.standing.registryId, args.standing.nowMs).slice(1),
    );
  }
  return { type: 'home', blocks };
}

/** Whether a button approves (and so binds to a steps hash). Pure. */
function isApprove(action: LadderAction): boolean {
  return action === 'approve' || action === 'approve-typed';
}

/** Most of a person's standing approvals shown in their Home (`/ladder approvals` lists them all). */
export const HOME_STANDING_LISTED = 10;
