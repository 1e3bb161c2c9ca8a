import type { App } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { answerTask, type TaskAnswer } from '../../client/answer-task';
import { mapBounded } from '../../client/map-bounded';
import { approvalCountsByClass, pendingApprovals } from '../../client/pending-tasks';
import { own } from '../../policy/own';
import { temporalUiLink } from '../../policy/slack-ids';
import { BATCH_ACTION_IDS } from '../action-ids';
import {
  BATCH_BLOCKED_SHOWN,
  BATCH_BLOCKS,
  BATCH_SELECTABLE,
  BATCH_VIEW_IDS,
  batchInfoModal,
  batchLoadingModal,
  batchModal,
  batchOptionLabels,
  batchPickerModal,
  batchResultBlocks,
  batchResultText,
  parseBatchMetadata,
  parseBatchOrigin,
  type BatchAnswerResult,
  type BatchMetadata,
  type BatchOrigin,
} from '../blocks/batch-modal';
import type { SlackDeps } from '../deps';
import { textOf } from './views';
import { shownMessageOf } from '../shown-message';
import { publishHome } from './app-home';

/** Answers of one batch in flight at once: a batch is at most ten, and each task is its own update. */
const ANSWER_CONCURRENCY = 4;

/** Slack's `view.state.values` for the batch inputs; read with type guards (a payload may carry anything). */
type BatchState = Record<
  string,
  Record<
    string,
    {
      value?: unknown;
      selected_option?: { value?: unknown } | null;
      selected_options?: unknown;
    }
  >
>;

/** What a batch submission asks for, read before the ack. */
export type BatchReading =
  | { ok: false; errors: Record<string, string> }
  | {
      ok: true;
      metadata: BatchMetadata;
      decision: 'approve' | 'reject';
      reason: string;
      /** Indexes into `metadata.t`, each once, in the order selected. */
      selected: string[];
    };

/**
 * Reads a submitted batch modal: the requests selected, approve or reject, and the reason. Errors
 * land on their fields (a rejection needs a reason; something must be selected). Selected values
 * are passed on as given, even ones the form never offered: the listener answers only what its
 * metadata lists, and each task's workflow decides. Pure.
 */
export function readBatchSubmission(
  values: BatchState | undefined,
  rawMetadata: string | undefined,
): BatchReading {
  const metadata = parseBatchMetadata(rawMetadata);
  if (!metadata)
    return {
      ok: false,
      errors: { [BATCH_BLOCKS.decision]: 'This form is out of date: open the batch again.' },
    };
  const options = values?.[BATCH_BLOCKS.tasks]?.[BATCH_ACTION_IDS.tasks]?.selected_options;
  const selected = [
    ...new Set(
      (Array.isArray(options) ? (options as { value?: unknown }[]) : [])
        .map((o) => textOf(o?.value))
        .filter(Boolean),
    ),
    // No more answers than the modal listed requests, whatever a submission carries.
  ].slice(0, metadata.t.length);
  const decision = values?.[BATCH_BLOCKS.decision]?.[BATCH_ACTION_IDS.decision]?.selected_option?.value;
  const reason = textOf(values?.[BATCH_BLOCKS.reason]?.[BATCH_ACTION_IDS.reason]?.value).trim();
  const errors: Record<string, string> = {};
  if (selected.length === 0) errors[BATCH_BLOCKS.tasks] = 'Select at least one request.';
  if (decision !== 'approve' && decision !== 'reject')
    errors[BATCH_BLOCKS.decision] = 'Choose to approve or to reject the selected requests.';
  if (decision === 'reject' && !reason) errors[BATCH_BLOCKS.reason] = 'A rejection needs a reason.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, metadata, decision: decision as 'approve' | 'reject', reason, selected };
}

/**
 * Sends each selected answer to its task on its own, at most {@link ANSWER_CONCURRENCY} at once:
 * signed by this frontend for `user` (the verified Slack user), carrying what they were shown,
 * exactly as the task's own Approve or Reject button sends it. A value that names nothing the
 * modal listed is refused here, without a call; everything else is the workflow's to decide.
 * Never throws: a failure to reach a task is that task's refusal.
 */
export async function answerBatch(
  deps: Pick<SlackDeps, 'temporal' | 'signer' | 'log' | 'answerDelivery'>,
  user: string,
  reading: Extract<BatchReading, { ok: true }>,
  shown: ReturnType<typeof shownMessageOf>,
  /** The modal's checkbox labels by value: each request is named in the outcome as it was shown. */
  labels: Record<string, string> = {},
): Promise<BatchAnswerResult[]> {
  const { metadata } = reading;
  const results = await mapBounded(
    reading.selected,
    ANSWER_CONCURRENCY,
    async (value): Promise<BatchAnswerResult> => {
      const entry = /^\d+$/.test(value) ? metadata.t[Number(value)] : undefined;
      if (!entry) return { workflowId: `#${value}`, ok: false, reason: 'not a request this batch listed' };
      const [workflowId, stepsHash] = entry;
      const answer: TaskAnswer =
        reading.decision === 'approve'
          ? { kind: 'approve', stepsHash }
          : { kind: 'reject', reason: reading.reason };
      try {
        const result = await answerTask(
          deps.temporal,
          workflowId,
          user,
          answer,
          deps.signer,
          shown,
          deps.answerDelivery,
        );
        if (result.ok) {
          deps.log.info({ user, workflowId, answer: answer.kind, batch: true }, 'task answered from Slack');
          return { workflowId, ok: true, at: result.receipt.at };
        }
        deps.log.warn({ user, workflowId, reason: result.reason, batch: true }, 'slack answer refused');
        return { workflowId, ok: false, reason: result.reason };
      } catch (err) {
        deps.log.error({ user, workflowId, err: (err as Error).message }, 'batch answer failed');
        return { workflowId, ok: false, reason: `Ladder could not send it: ${(err as Error).message}` };
      }
    },
  );
  return results.map((r, i) => {
    const value = reading.selected[i];
    return Object.hasOwn(labels, value) ? { ...r, label: labels[value] } : r;
  });
}

/**
 * Opens the batch modal at once (the trigger id lasts 3 s, before any call to Temporal), then
 * fills it: the requests of `taskClass`, or, without one, the class picker (straight to the
 * class when only one has requests). A failure is shown in the modal and logged.
 */
export async function openBatchModal(
  client: WebClient,
  deps: SlackDeps,
  args: { user: string; triggerId: string; taskClass?: string; origin: BatchOrigin },
): Promise<void> {
  const opened = await client.views.open({
    trigger_id: args.triggerId,
    view: batchLoadingModal(args.taskClass),
  });
  const viewId = opened.view?.id;
  if (!viewId) throw new Error('Slack opened no view');
  let taskClass = args.taskClass;
  try {
    if (taskClass === undefined) {
      const classes = await approvalCountsByClass(deps.temporal, {
        taskQueue: deps.taskQueue,
        user: args.user,
        classes: Object.keys(deps.policy().taskClasses).sort(),
      });
      if (classes.length !== 1) {
        await client.views.update({ view_id: viewId, view: batchPickerModal(classes, args.origin) });
        return;
      }
      taskClass = classes[0].taskClass;
    }
    await fillBatchModal(client, deps, viewId, args.user, taskClass, args.origin);
  } catch (err) {
    await showFailure(client, deps, viewId, args.user, err);
  }
}

/** Reads the requests of `taskClass` for `user` and shows them in the open view `viewId`. */
async function fillBatchModal(
  client: WebClient,
  deps: SlackDeps,
  viewId: string,
  user: string,
  taskClass: string,
  origin: BatchOrigin,
): Promise<void> {
  const { tasks, more } = await pendingApprovals(deps.temporal, {
    taskQueue: deps.taskQueue,
    user,
    taskClass,
    limit: BATCH_SELECTABLE + BATCH_BLOCKED_SHOWN,
  });
  await client.views.update({
    view_id: viewId,
    view: batchModal({ taskClass, user, tasks, more, origin, uiLink: uiLinkOf(deps) }),
  });
}

async function showFailure(
  client: WebClient,
  deps: SlackDeps,
  viewId: string,
  user: string,
  err: unknown,
): Promise<void> {
  deps.log.error({ user, err: (err as Error).message }, 'batch modal could not be filled');
  await client.views
    .update({
      view_id: viewId,
      view: batchInfoModal('Answer in batch', [
        {
          type: 'section',
          text: {
            type: 'plain_text',
            text: `Ladder could not read the requests: ${(err as Error).message}`.slice(0, 3000),
          },
        },
      ]),
    })
    .catch((e: unknown) =>
      deps.log.warn({ user, err: (e as Error).message }, 'could not update the batch modal'),
    );
}

const uiLinkOf =
  (deps: SlackDeps) =>
  (workflowId: string): string =>
    temporalUiLink(deps.uiBaseUrl, deps.temporal.options.namespace, workflowId);

/**
 * Batch answers: the App Home's "Answer in batch" button, the class picker, and the batch modal's
 * submission. Every listener acks first; the submission is read before its ack (errors stay on the
 * fields), the modal then says the answers are being sent, each goes to its task on its own, and
 * the outcome (accepted, refused with the task's reason) replaces the modal and is told to the
 * person. `/ladder pending` opens the same modal (see commands.ts).
 */
export function registerBatch(app: App, deps: SlackDeps): void {
  app.action(BATCH_ACTION_IDS.open, async ({ ack, body, client }) => {
    await ack();
    const user = body.user.id;
    const b = body as { trigger_id?: string; actions?: { value?: unknown }[] };
    const value = b.actions?.[0]?.value;
    const taskClass = typeof value === 'string' && own(deps.policy().taskClasses, value) ? value : undefined;
    try {
      await openBatchModal(client, deps, {
        user,
        triggerId: b.trigger_id ?? '',
        taskClass,
        origin: { home: true },
      });
    } catch (err) {
      deps.log.error({ user, err: (err as Error).message }, 'batch modal could not be opened');
    }
  });

  app.view(BATCH_VIEW_IDS.pick, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const values = view.state.values as BatchState;
    const taskClass = textOf(
      values?.[BATCH_BLOCKS.taskClass]?.[BATCH_ACTION_IDS.taskClass]?.selected_option?.value,
    );
    if (!taskClass || !own(deps.policy().taskClasses, taskClass)) {
      await ack({
        response_action: 'errors',
        errors: { [BATCH_BLOCKS.taskClass]: 'Choose a task class the policy declares.' },
      });
      return;
    }
    await ack({ response_action: 'update', view: batchLoadingModal(taskClass) });
    try {
      await fillBatchModal(client, deps, view.id, user, taskClass, parseBatchOrigin(view.private_metadata));
    } catch (err) {
      await showFailure(client, deps, view.id, user, err);
    }
  });

  app.view(BATCH_VIEW_IDS.answer, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    const reading = readBatchSubmission(view.state.values as BatchState, view.private_metadata);
    if (!reading.ok) {
      await ack({ response_action: 'errors', errors: reading.errors });
      return;
    }
    // What the person saw and answered: this modal, as Slack delivered it with the submission.
    const shown = shownMessageOf(body);
    const count = reading.selected.length;
    await ack({
      response_action: 'update',
      view: batchInfoModal('Answer in batch', [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `:hourglass_flowing_sand: Sending ${count} answer${count === 1 ? '' : 's'}, each to its own task…`,
          },
        },
      ]),
    });
    const results = await answerBatch(deps, user, reading, shown, batchOptionLabels(view.blocks));
    const uiLink = uiLinkOf(deps);
    const blocks = batchResultBlocks(reading.decision, results, uiLink);
    await client.views
      .update({ view_id: view.id, view: batchInfoModal('Batch answered', blocks) })
      // Closed meanwhile: the message below still tells the outcome.
      .catch((err: unknown) =>
        deps.log.info({ user, err: (err as Error).message }, 'batch modal closed before its outcome'),
      );
    await tellBatchOutcome(
      client,
      deps,
      user,
      reading.metadata,
      batchResultText(reading.decision, results),
      blocks,
    );
    if (reading.metadata.h) await publishHome(client, deps, user);
  });
}

/** Tells only `user` the batch's outcome: where `/ladder pending` was typed, else in their DM. */
async function tellBatchOutcome(
  client: WebClient,
  deps: SlackDeps,
  user: string,
  metadata: BatchMetadata,
  text: string,
  blocks: KnownBlock[],
): Promise<void> {
  try {
    const channel = metadata.ch ?? (await client.conversations.open({ users: user })).channel?.id;
    if (!channel) throw new Error('no channel to answer in');
    await client.chat.postEphemeral({ channel, user, text, blocks });
  } catch (err) {
    deps.log.warn({ user, err: (err as Error).message }, 'could not tell the batch outcome');
  }
}
