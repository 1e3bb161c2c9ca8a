import type { KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { batchBlockerOf, type BatchBlocker, type PendingApproval } from '../../client/pending-tasks';
import { BATCH_ACTION_IDS } from '../action-ids';
import { escapeMrkdwn, link, mention } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';

// The batch-answer modals: pick a task class, see its approval requests with their steps, select
// several and approve or reject them at once. Pure builders. Each answer is still sent on its own
// and checked by its task's workflow; these views only shape what a person can ask for.

/** callback_ids of the batch modals; the batch listener routes on them. */
export const BATCH_VIEW_IDS = {
  /** The list of requests of one class, answered on submit. */
  answer: 'ladder_batch',
  /** Which task class to answer in (when several have requests). */
  pick: 'ladder_batch_pick',
  /** Shown while requests are read or answers are sent, and with the outcome; nothing to submit. */
  info: 'ladder_batch_info',
} as const;

/** block_ids of the batch modal's inputs (equal to their action ids, as Ladder's other modals do). */
export const BATCH_BLOCKS = {
  tasks: BATCH_ACTION_IDS.tasks,
  decision: BATCH_ACTION_IDS.decision,
  reason: BATCH_ACTION_IDS.reason,
  taskClass: BATCH_ACTION_IDS.taskClass,
} as const;

/** Slack's limits for a modal that this file builds within. */
export const MODAL_LIMITS = {
  blocks: 100,
  checkboxOptions: 10,
  titleText: 24,
  labelText: 2000,
} as const;

/** The most requests one batch offers to select: Slack allows 10 checkbox options. */
export const BATCH_SELECTABLE = MODAL_LIMITS.checkboxOptions;
/** The most requests shown that cannot be batched (each names why). */
export const BATCH_BLOCKED_SHOWN = 5;
/** Characters of one step's parameters shown; the Temporal UI link has them all. */
const PARAMS_SHOWN = 400;

/** Where a batch came from and what it listed: carried in the modal's private_metadata. */
export interface BatchMetadata {
  /** The task class. */
  c: string;
  /** The channel `/ladder pending` was typed in; the outcome is told there (a DM when absent). */
  ch?: string;
  /** 1 when opened from the App Home (it is published again after). */
  h?: 1;
  /** Every request the modal lists, in order: `[workflowId, stepsHash]`; option values index it. */
  t: [string, string][];
}

/** What a batch modal is opened with, before the class is known. */
export interface BatchOrigin {
  channel?: string;
  home?: boolean;
}

/** Reads a batch modal's private_metadata; undefined when it is not one. Pure. */
export function parseBatchMetadata(raw: string | undefined): BatchMetadata | undefined {
  try {
    const m = JSON.parse(raw ?? '') as Partial<BatchMetadata>;
    if (typeof m.c !== 'string' || !Array.isArray(m.t)) return undefined;
    const t = m.t.filter(
      (e): e is [string, string] =>
        Array.isArray(e) &&
        typeof e[0] === 'string' &&
        typeof e[1] === 'string' &&
        /^[0-9a-f]{64}$/.test(e[1]),
    );
    if (t.length !== m.t.length) return undefined;
    return {
      c: m.c,
      t,
      ...(typeof m.ch === 'string' ? { ch: m.ch } : {}),
      ...(m.h === 1 ? { h: 1 as const } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Reads the picker modal's private_metadata (where the batch came from). Pure. */
export function parseBatchOrigin(raw: string | undefined): BatchOrigin {
  try {
    const m = JSON.parse(raw ?? '') as { ch?: unknown; h?: unknown };
    return {
      ...(typeof m.ch === 'string' ? { channel: m.ch } : {}),
      ...(m.h === 1 ? { home: true } : {}),
    };
  } catch {
    return {};
  }
}

const originMetadata = (origin: BatchOrigin) => ({
  ...(origin.channel ? { ch: origin.channel } : {}),
  ...(origin.home ? { h: 1 as const } : {}),
});

const plain = (text: string) => ({ type: 'plain_text' as const, text });
const section = (text: string): KnownBlock => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, BLOCK_LIMITS.sectionText) },
});
const context = (text: string): KnownBlock => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: truncate(text, BLOCK_LIMITS.contextElementText) }],
});
const option = (value: string, text: string): PlainTextOption => ({
  text: plain(truncate(text, BLOCK_LIMITS.optionText)),
  value: truncate(value, BLOCK_LIMITS.optionValue),
});

/** A modal with something to read and nothing to submit: loading, working, or the outcome. Pure. */
export function batchInfoModal(title: string, blocks: KnownBlock[]): ModalView {
  return {
    type: 'modal',
    callback_id: BATCH_VIEW_IDS.info,
    title: plain(truncate(title, MODAL_LIMITS.titleText)),
    close: plain('Close'),
    blocks: blocks.slice(0, MODAL_LIMITS.blocks),
  };
}

/** The modal shown at once while the requests are read (the trigger id expires in 3 s). Pure. */
export function batchLoadingModal(taskClass?: string): ModalView {
  return batchInfoModal('Answer in batch', [
    section(
      `:hourglass_flowing_sand: Reading the approval requests${taskClass ? ` in *${escapeMrkdwn(taskClass)}*` : ''} that wait on you…`,
    ),
  ]);
}

/**
 * Which task class to answer in: the classes with requests waiting on the person, with how many.
 * With none, says so and offers nothing to submit. Pure.
 */
export function batchPickerModal(
  classes: readonly { taskClass: string; count: number }[],
  origin: BatchOrigin,
): ModalView {
  if (classes.length === 0)
    return batchInfoModal('Answer in batch', [section('No approval requests wait on you now.')]);
  const options = classes
    .slice(0, BLOCK_LIMITS.selectOptions)
    .map((c) => option(c.taskClass, `${c.taskClass} (${c.count} waiting)`));
  return {
    type: 'modal',
    callback_id: BATCH_VIEW_IDS.pick,
    private_metadata: JSON.stringify(originMetadata(origin)),
    title: plain('Answer in batch'),
    submit: plain('Next'),
    close: plain('Cancel'),
    blocks: [
      section('Approval requests of one task class are answered together. Which class?'),
      {
        type: 'input',
        block_id: BATCH_BLOCKS.taskClass,
        label: plain('Task class'),
        element: {
          type: 'static_select',
          action_id: BATCH_ACTION_IDS.taskClass,
          options,
          ...(options.length === 1 ? { initial_option: options[0] } : {}),
        },
      },
    ],
  };
}

/** Why a request is not offered for batch approval, in words for the person. Pure. */
export function blockerText(blocker: BatchBlocker): string {
  switch (blocker.kind) {
    case 'two-person-rule':
      return 'two-person rule: you requested it, so another approver must approve it';
    case 'typed-confirmation':
      return `needs typed confirmation (type *${escapeMrkdwn(blocker.expected)}*): answer it on its own message`;
    case 'steps-changed':
      return 'its steps were edited while this was read: answer it on its own message, which shows what will run';
  }
}

/** One request as the batch lists it: what it is, who asked, and every step with its parameters. */
function requestText(
  task: PendingApproval,
  number: number | null,
  uiLink: (workflowId: string) => string,
): string {
  const head = `${number === null ? '' : `*[${number}]* `}*${escapeMrkdwn(task.title)}*`;
  const facts = [
    `${escapeMrkdwn(task.agentId)} · ${escapeMrkdwn(task.environment)}`,
    `requested by ${mention(task.requester)}`,
    ...(task.resource !== undefined ? [`resource ${escapeMrkdwn(task.resource)}`] : []),
  ].join(' · ');
  const steps = task.steps.map(
    (s, i) =>
      `• step ${i + 1}/${task.steps.length}: \`${escapeMrkdwn(s.action)}\` ${escapeMrkdwn(truncate(JSON.stringify(s.params), PARAMS_SHOWN))}`,
  );
  const uiLine = link(uiLink(task.workflowId), 'Open in Temporal UI');
  const body = [head, facts, ...steps].join('\n');
  return `${truncate(body, BLOCK_LIMITS.sectionText - uiLine.length - 1)}\n${uiLine}`;
}

/**
 * The batch modal for one task class: each request with its steps; those `user` may approve in a
 * batch numbered and offered as checkboxes (at most {@link BATCH_SELECTABLE}), the others shown with
 * why they cannot be (at most {@link BATCH_BLOCKED_SHOWN}); approve or reject, and a reason for a
 * rejection. `more` requests wait beyond those listed; the modal says so. Everything agents wrote
 * is escaped. Within Slack's limits: under 100 blocks, 10 options, 3,000 characters of metadata.
 * Pure. With nothing selectable it offers nothing to submit.
 */
export function batchModal(args: {
  taskClass: string;
  user: string;
  tasks: readonly PendingApproval[];
  /** Requests waiting on the person beyond `tasks`. */
  more: number;
  origin: BatchOrigin;
  uiLink: (workflowId: string) => string;
}): ModalView {
  const { user } = args;
  const withBlockers = args.tasks.map((task) => ({ task, blocker: batchBlockerOf(task, user) }));
  let selectable = withBlockers.filter((t) => !t.blocker).slice(0, BATCH_SELECTABLE);
  const blocked = withBlockers.filter((t) => t.blocker).slice(0, BATCH_BLOCKED_SHOWN);
  // The metadata lists every request shown; Slack refuses a view past 3,000 characters of it.
  const metadataOf = (list: typeof selectable): BatchMetadata => ({
    c: args.taskClass,
    ...originMetadata(args.origin),
    t: [...list, ...blocked].map(({ task }) => [task.workflowId, task.stepsHash]),
  });
  while (
    selectable.length > 0 &&
    JSON.stringify(metadataOf(selectable)).length > BLOCK_LIMITS.privateMetadata
  )
    selectable = selectable.slice(0, -1);
  const metadata = metadataOf(selectable);
  const notListed = args.more + (withBlockers.filter((t) => !t.blocker).length - selectable.length);
  const cls = `*${escapeMrkdwn(args.taskClass)}*`;

  const blocks: KnownBlock[] = [
    section(
      selectable.length > 0
        ? `${selectable.length} approval request${selectable.length === 1 ? '' : 's'} in ${cls} can be answered together. Select them, then approve or reject.`
        : `No approval request in ${cls} can be answered in a batch by you now.`,
    ),
    context(
      'Each answer goes to its task on its own, exactly as its Approve or Reject button would send it, and the task checks it; you are told which were accepted and which refused, and why.',
    ),
  ];
  selectable.forEach(({ task }, i) => {
    blocks.push({ type: 'divider' }, section(requestText(task, i + 1, args.uiLink)));
  });
  if (selectable.length > 0) {
    blocks.push(
      { type: 'divider' },
      {
        type: 'input',
        block_id: BATCH_BLOCKS.tasks,
        label: plain('Answer these'),
        element: {
          type: 'checkboxes',
          action_id: BATCH_ACTION_IDS.tasks,
          options: selectable.map(({ task }, i) => option(String(i), `[${i + 1}] ${task.title}`)),
        },
      },
      {
        type: 'input',
        block_id: BATCH_BLOCKS.decision,
        label: plain('Answer'),
        element: {
          type: 'static_select',
          action_id: BATCH_ACTION_IDS.decision,
          placeholder: plain('Approve or reject'),
          options: [option('approve', 'Approve the selected'), option('reject', 'Reject the selected')],
        },
      },
      {
        type: 'input',
        block_id: BATCH_BLOCKS.reason,
        optional: true,
        label: plain('Reason (needed to reject)'),
        element: {
          type: 'plain_text_input',
          action_id: BATCH_ACTION_IDS.reason,
          multiline: true,
          placeholder: plain('The agents and their owners will see this'),
        },
      },
    );
  }
  if (blocked.length > 0) {
    blocks.push({ type: 'divider' }, section('*Not in this batch* (answer each on its own message):'));
    for (const { task, blocker } of blocked) {
      blocks.push(section(`${requestText(task, null, args.uiLink)}\n:no_entry: ${blockerText(blocker!)}`));
    }
  }
  if (notListed > 0)
    blocks.push(
      context(
        `${notListed} more request${notListed === 1 ? '' : 's'} in ${cls} wait${notListed === 1 ? 's' : ''} on you beyond these: answer these, then open the batch again.`,
      ),
    );
  return {
    type: 'modal',
    callback_id: BATCH_VIEW_IDS.answer,
    private_metadata: JSON.stringify(metadata),
    title: plain(truncate(`Answer: ${args.taskClass}`, MODAL_LIMITS.titleText)),
    ...(selectable.length > 0 ? { submit: plain('Send answers') } : {}),
    close: plain(selectable.length > 0 ? 'Cancel' : 'Close'),
    blocks,
  };
}

/** How one answer of a batch went: the task's receipt, or its refusal in the validator's words. */
export type BatchAnswerResult = (
  { workflowId: string; ok: true; at: string } | { workflowId: string; ok: false; reason: string }
) & {
  /** The request as the modal's checkbox named it (`[2] title`), when it offered one. */
  label?: string;
};

/** The checkbox labels of a batch modal as shown, by option value (plain text). Pure. */
export function batchOptionLabels(blocks: unknown): Record<string, string> {
  const list = Array.isArray(blocks)
    ? (blocks as { block_id?: unknown; element?: { options?: unknown } }[])
    : [];
  const options = list.find((b) => b?.block_id === BATCH_BLOCKS.tasks)?.element?.options;
  const labels: Record<string, string> = {};
  for (const o of Array.isArray(options) ? (options as { value?: unknown; text?: { text?: unknown } }[]) : [])
    if (typeof o?.value === 'string' && typeof o.text?.text === 'string') labels[o.value] = o.text.text;
  return labels;
}

/** A result's task: its label and id (mrkdwn, escaped), or the id alone. */
const named = (r: BatchAnswerResult): string =>
  r.label ? `${escapeMrkdwn(r.label)} (${escapeMrkdwn(r.workflowId)})` : escapeMrkdwn(r.workflowId);

/** A batch's outcome as text: the summary line, then one line per task. Pure. */
export function batchResultText(
  decision: 'approve' | 'reject',
  results: readonly BatchAnswerResult[],
): string {
  const accepted = results.filter((r) => r.ok);
  const refused = results.filter((r) => !r.ok);
  const verb = decision === 'approve' ? 'approved' : 'rejected';
  return [
    `Batch: ${accepted.length} ${verb}, ${refused.length} refused.`,
    ...accepted.map((r) => `:white_check_mark: ${verb}: ${named(r)}`),
    ...refused.map((r) => `:x: refused: ${named(r)}: ${escapeMrkdwn(r.reason)}`),
  ].join('\n');
}

/**
 * A batch's outcome as blocks (for the modal and the message): which requests were accepted and
 * which refused, each refusal with the task's own reason. Within 50 blocks (a batch holds at most
 * {@link BATCH_SELECTABLE} plus what a forged submission adds, capped). Pure.
 */
export function batchResultBlocks(
  decision: 'approve' | 'reject',
  results: readonly BatchAnswerResult[],
  uiLink: (workflowId: string) => string,
): KnownBlock[] {
  const accepted = results.filter((r) => r.ok);
  const refused = results.filter((r): r is Extract<BatchAnswerResult, { ok: false }> => !r.ok);
  const verb = decision === 'approve' ? 'approved' : 'rejected';
  const line = (r: BatchAnswerResult): string =>
    `${r.label ? `*${escapeMrkdwn(r.label)}* ` : ''}${link(uiLink(r.workflowId), r.workflowId)}`;
  const blocks: KnownBlock[] = [
    section(
      `*Batch answered:* ${accepted.length} ${verb}, ${refused.length} refused (each task checked its answer on its own).`,
    ),
  ];
  if (accepted.length > 0)
    blocks.push(
      section(
        `:white_check_mark: *${verb[0].toUpperCase()}${verb.slice(1)}*\n${accepted.map((r) => `• ${line(r)}`).join('\n')}`,
      ),
    );
  for (const r of refused.slice(0, BLOCK_LIMITS.blocksPerMessage - blocks.length - 1))
    blocks.push(section(`:x: *Refused:* ${line(r)}\n${escapeMrkdwn(r.reason)}`));
  return blocks;
}
