import { temporalUiLink } from '../../policy/slack-ids';
import { own } from '../../policy/own';
import type { App } from '@slack/bolt';
import { EvidenceError, reportDefect } from '../../client/evidence';
import { submitTask, TaskValidationError } from '../../client/submit-task';
import { validateTaskRequest } from '../../policy/validate-task';
import type { LoadedPolicy } from '../../policy/loader';
import { agentOfLedgerId } from '../../workflows/messages';
import {
  DELEGATE_FIELDS,
  modalErrors,
  parseTaskModalMetadata,
  VIEW_IDS,
  type DelegateField,
  type DelegateMetadata,
} from '../blocks/modals';
import type { SlackDeps } from '../deps';
import { tellUser } from './ephemeral';
import { answerAndTell, auditFromSlack } from './answers';

/** Slack's `view.state.values`: block_id → action_id → the element's state. */
type StateValues = Record<
  string,
  Record<string, { value?: string | null; selected_option?: { value?: string } | null }>
>;

/** The value of one input (text or select) of a submitted modal; '' when empty. Pure. */
export function inputValue(values: StateValues | undefined, id: string): string {
  const state = values?.[id]?.[id];
  return (state?.selected_option?.value ?? state?.value ?? '').trim();
}

/**
 * Turns a submitted delegate modal into a task request, or the errors to show on its fields.
 * Pure: validation is the same {@link validateTaskRequest} every other submit path uses, with the
 * requester set to the verified Slack user.
 */
export function taskFromDelegateModal(
  values: StateValues | undefined,
  metadata: DelegateMetadata,
  user: string,
  policy: LoadedPolicy,
  actions: SlackDeps['actions'],
): { ok: true; task: unknown } | { ok: false; errors: Partial<Record<DelegateField, string>> } {
  const field = (id: DelegateField): string => inputValue(values, id);
  let params: unknown;
  try {
    params = JSON.parse(field('params') || '{}');
  } catch (err) {
    return { ok: false, errors: { params: `expected JSON: ${(err as Error).message}` } };
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params))
    return { ok: false, errors: { params: 'expected a JSON object such as {"key": "value"}' } };
  const agentId = field('agent');
  const agent = own(policy.agents, agentId);
  const raw = {
    taskId: metadata.taskId,
    agent: { id: agentId, model: agent?.model ?? '', promptVersion: agent?.promptVersion ?? '' },
    taskClass: field('task_class'),
    title: field('title'),
    requester: user,
    environment: field('environment'),
    ...(field('resource') ? { resource: field('resource') } : {}),
    steps: [{ action: field('action'), params }],
  };
  const checked = validateTaskRequest(raw, policy, actions);
  if (!checked.ok) return { ok: false, errors: modalErrors(checked.errors) };
  return { ok: true, task: raw };
}

/**
 * Modal submissions: delegate (validated before the ack, so errors land on the fields), reject
 * with a reason, report a defect, disagree with an audit, and approve with typed confirmation. The
 * ack closes the modal before any call to Temporal, and answers to a task go to its workflow as
 * updates with no status query first; results reach the person ephemerally.
 */
export function registerViews(app: App, deps: SlackDeps): void {
  app.view(VIEW_IDS.delegate, async ({ ack, body, view, client }) => {
    const user = body.user.id;
    let metadata: DelegateMetadata;
    try {
      metadata = JSON.parse(view.private_metadata) as DelegateMetadata;
      if (typeof metadata.taskId !== 'string') throw new Error('no task id');
    } catch {
      await ack({
        response_action: 'errors',
        errors: { title: 'This form is out of date: close it and run /ladder delegate again.' },
      });
      return;
    }
    const policy = deps.policy();
    const built = taskFromDelegateModal(
      view.state.values as StateValues,
      metadata,
      user,
      policy,
      deps.actions,
    );
    if (!built.ok) {
      // Errors only on fields the modal has: Slack refuses an errors map naming unknown blocks.
      const errors = Object.fromEntries(
        Object.entries(built.errors).filter(([k]) => (DELEGATE_FIELDS as readonly string[]).includes(k)),
      );
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const where = { channel: metadata.channel || undefined, user };
    try {
      const submission = await submitTask(deps.temporal, built.task, {
        taskQueue: deps.taskQueue,
        policy,
        actions: deps.actions,
        uiBaseUrl: deps.uiBaseUrl,
      });
      deps.log.info(
        { user, workflowId: submission.workflowId, existing: submission.existing },
        'task delegated from Slack',
      );
      await tellUser(
        client,
        deps.log,
        where,
        `${submission.existing ? 'Already started' : 'Started'}: *${submission.task.title}* as \`${submission.workflowId}\` (<${temporalUiLink(deps.uiBaseUrl, deps.temporal.options.namespace, submission.workflowId)}|Temporal UI>).`,
      );
    } catch (err) {
      const message = err instanceof TaskValidationError ? err.errors.join('; ') : (err as Error).message;
      deps.log.error({ user, err: message }, 'delegate from Slack failed');
      await tellUser(client, deps.log, where, `The task was not started: ${message}`);
    }
  });

  app.view(VIEW_IDS.reject, async ({ ack, body, view, client }) => {
    const metadata = parseTaskModalMetadata(view.private_metadata);
    const reason = inputValue(view.state.values as StateValues, 'reason');
    if (!metadata) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'This form is out of date: click Reject again.' },
      });
      return;
    }
    if (!reason) {
      await ack({ response_action: 'errors', errors: { reason: 'A rejection needs a reason.' } });
      return;
    }
    await ack();
    const who = { user: body.user.id, channel: metadata.channel, workflowId: metadata.workflowId };
    try {
      // The button that opened the modal said whether it rejects a draft; the workflow refuses the
      // answer if the task is not waiting for that kind, so no status query is needed first.
      await answerAndTell(
        who,
        metadata.draft ? { kind: 'decline', reason } : { kind: 'reject', reason },
        client,
        deps,
      );
    } catch (err) {
      deps.log.error({ ...who, err: (err as Error).message }, 'rejection from Slack failed');
      await tellUser(client, deps.log, who, `Ladder could not record that: ${(err as Error).message}`);
    }
  });

  app.view(VIEW_IDS.defect, async ({ ack, body, view, client }) => {
    const metadata = parseTaskModalMetadata(view.private_metadata);
    const text = inputValue(view.state.values as StateValues, 'reason');
    if (!metadata) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'This form is out of date: click the button again.' },
      });
      return;
    }
    if (!text) {
      await ack({ response_action: 'errors', errors: { reason: 'Say what went wrong.' } });
      return;
    }
    await ack();
    const who = { user: body.user.id, channel: metadata.channel };
    try {
      const caller = { taskQueue: deps.taskQueue, signer: deps.signer };
      const { agentId, taskClass } = await reportDefect(deps.temporal, caller, deps.policy(), {
        workflowId: metadata.workflowId,
        by: body.user.id,
        text,
      });
      deps.log.warn({ user: body.user.id, workflowId: metadata.workflowId }, 'defect reported from Slack');
      await tellUser(
        client,
        deps.log,
        who,
        `Defect recorded against ${agentId} in ${taskClass}; its owner is told.`,
      );
    } catch (err) {
      const refused = err instanceof EvidenceError;
      deps.log[refused ? 'warn' : 'error'](
        { ...who, err: (err as Error).message },
        'defect report not recorded',
      );
      await tellUser(
        client,
        deps.log,
        who,
        `${refused ? 'Refused' : 'Ladder could not record that'}: ${(err as Error).message}`,
      );
    }
  });

  app.view(VIEW_IDS.auditDisagree, async ({ ack, body, view, client }) => {
    const metadata = parseTaskModalMetadata(view.private_metadata);
    const reason = inputValue(view.state.values as StateValues, 'reason');
    const agentId = agentOfLedgerId(metadata?.workflowId ?? '');
    if (!metadata?.auditId || !agentId) {
      await ack({
        response_action: 'errors',
        errors: { reason: 'This form is out of date: click Disagree again.' },
      });
      return;
    }
    if (!reason) {
      await ack({ response_action: 'errors', errors: { reason: 'Say what was wrong.' } });
      return;
    }
    await ack();
    const who = {
      user: body.user.id,
      channel: metadata.channel,
      workflowId: metadata.workflowId,
      agentId,
      auditId: metadata.auditId,
    };
    try {
      await auditFromSlack(who, false, reason, client, deps);
    } catch (err) {
      deps.log.error({ user: who.user, err: (err as Error).message }, 'audit verdict from Slack failed');
      await tellUser(client, deps.log, who, `Ladder could not record that: ${(err as Error).message}`);
    }
  });

  app.view(VIEW_IDS.typedApprove, async ({ ack, body, view, client }) => {
    const metadata = parseTaskModalMetadata(view.private_metadata);
    const typed = inputValue(view.state.values as StateValues, 'typed');
    if (!metadata?.stepsHash) {
      await ack({
        response_action: 'errors',
        errors: { typed: 'This form is out of date: click Approve again.' },
      });
      return;
    }
    // Shown on the field at once; the workflow checks it again, authoritatively.
    if (metadata.resource !== undefined && typed !== metadata.resource) {
      await ack({
        response_action: 'errors',
        errors: { typed: `Type "${metadata.resource}" exactly to approve.` },
      });
      return;
    }
    await ack();
    const who = { user: body.user.id, channel: metadata.channel, workflowId: metadata.workflowId };
    try {
      await answerAndTell(
        who,
        { kind: 'approve', stepsHash: metadata.stepsHash, typedConfirmation: typed },
        client,
        deps,
      );
    } catch (err) {
      deps.log.error({ ...who, err: (err as Error).message }, 'approval from Slack failed');
      await tellUser(client, deps.log, who, `Ladder could not record that: ${(err as Error).message}`);
    }
  });
}
