import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { answerTask } from '../../client/answer-task';
import { readTaskRequest } from '../../client/task-request';
import { own } from '../../policy/own';
import { withValueAt } from '../../policy/step-edits';
import { taskRequestQuery } from '../../workflows/messages';
import {
  EDIT_INPUT_ID,
  editStepsModal,
  parseEditField,
  readFieldText,
  type EditModalContent,
} from '../blocks/edit-modal';
import { parseTaskModalMetadata, VIEW_IDS } from '../blocks/modals';
import { escapeMrkdwn } from '../blocks/escape';
import type { SlackDeps } from '../deps';
import { stepsModalMetadata, type ButtonClick } from './button-click';
import { notRecordedText, refusedText } from './answers';
import { tellUser } from './ephemeral';
import { textOf } from './views';

/**
 * "Edit…" on an approval request: opens the modal at once (the trigger id lasts 3 s), then reads
 * the task and fills in one field per param the class lets an approver narrow. A task that cannot
 * be read (gone, or its worker not answering) is said in the modal itself, where the person is
 * looking; only when no modal opened are they told in the channel.
 */
export async function openEditSteps(
  click: ButtonClick,
  stepsHash: string,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  const metadata = stepsModalMetadata(click, stepsHash);
  const opened = await client.views.open({
    trigger_id: click.triggerId ?? '',
    view: editStepsModal(metadata),
  });
  const content = await readEditable(click.workflowId, deps);
  if (opened.view?.id)
    await client.views.update({ view_id: opened.view.id, view: editStepsModal(metadata, content) });
  // Plain text for the modal (it escapes it); escaped here for the ephemeral message.
  else if ('unreadable' in content) await tellUser(client, deps.log, click, escapeMrkdwn(content.unreadable));
}

/** The task's steps and its class's edit rules, or why they could not be read, in a person's words. */
async function readEditable(workflowId: string, deps: SlackDeps): Promise<EditModalContent> {
  const read = await readTaskRequest(deps.temporal, workflowId);
  if ('task' in read)
    return { steps: read.task.steps, rules: own(deps.policy().taskClasses, read.task.taskClass)?.edits };
  if (read.missing) return { unreadable: `No task ${workflowId}: nothing to edit.` };
  deps.log.warn({ workflowId, err: read.error }, 'task not read for Edit…');
  return { unreadable: `Could not read ${workflowId}: ${read.error}. Close this and click Edit… again.` };
}

/**
 * The modal's submission: each field read as its rule expects (an unreadable one stays on its
 * field), then the steps as they are now with those values sent as the approver's signed edit; the
 * workflow decides whether each narrows, and the person is told its answer.
 */
export function registerEditViews(app: App, deps: SlackDeps): void {
  app.view(VIEW_IDS.editSteps, async ({ ack, body, view, client }) => {
    const metadata = parseTaskModalMetadata(view.private_metadata);
    const values = view.state.values as Record<string, Record<string, { value?: unknown }>>;
    const changes: { step: number; path: string; value: unknown }[] = [];
    const errors: Record<string, string> = {};
    for (const [blockId, inputs] of Object.entries(values)) {
      const field = parseEditField(blockId);
      if (!field) continue;
      const read = readFieldText(field.rule, textOf(inputs[EDIT_INPUT_ID]?.value));
      if ('error' in read) errors[blockId] = read.error;
      else changes.push({ step: field.step, path: field.path, value: read.value });
    }
    if (!metadata?.stepsHash) {
      await ack({
        response_action: 'errors',
        errors: { [Object.keys(values)[0] ?? '']: 'This form is out of date: click Edit again.' },
      });
      return;
    }
    if (Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const who = { user: body.user.id, channel: metadata.channel, workflowId: metadata.workflowId };
    try {
      const task = await deps.temporal.workflow.getHandle(metadata.workflowId).query(taskRequestQuery);
      const steps = task.steps.map((step, i) =>
        changes
          .filter((c) => c.step === i)
          .reduce(
            (s, c) => ({ ...s, params: withValueAt(s.params, c.path, c.value) as typeof s.params }),
            step,
          ),
      );
      const result = await answerTask(
        deps.temporal,
        metadata.workflowId,
        who.user,
        { kind: 'edit', stepsHash: metadata.stepsHash, steps },
        deps.signer,
        metadata.shown,
        deps.answerDelivery,
      );
      if (!result.ok) return tellUser(client, deps.log, who, refusedText(result.reason));
      deps.log.info({ user: who.user, workflowId: metadata.workflowId }, 'steps edited from Slack');
      await tellUser(
        client,
        deps.log,
        who,
        `Edit recorded at ${result.receipt.at}: the task is decided again and asked about again with your changes.`,
      );
    } catch (err) {
      deps.log.error({ ...who, err: (err as Error).message }, 'edit from Slack failed');
      await tellUser(client, deps.log, who, notRecordedText(err));
    }
  });
}
