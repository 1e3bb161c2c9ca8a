import { temporalUiLink } from '../../policy/slack-ids';
import { own } from '../../policy/own';
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
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
  type TaskModalMetadata,
} from '../blocks/modals';
import { escapeMrkdwn } from '../blocks/escape';
import { entityCaller, type SlackDeps } from '../deps';
import { tellUser } from './ephemeral';
import { answerAndTell, auditFromSlack, notRecordedText, refusedText } from './answers';

/**
 * Slack's `view.state.values`: block_id → action_id → the element's state. Typed as Slack sends
 * them, but read through {@link textOf}: a forged or odd payload may carry anything.
 */
type StateValues = Record<
  string,
  Record<string, { value?: unknown; selected_option?: { value?: unknown } | null }>
>;

/**
 * `value` when it is a string, else '' (absent, null, or a forged non-string): a modal reader
 * then answers with its field's error rather than throwing before the ack. Pure.
 */
export function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** The value of one input (text or select) of a submitted modal, trimmed; '' when empty or not text. Pure. */
export function inputValue(values: StateValues | undefined, id: string): string {
  const state = values?.[id]?.[id];
  return (textOf(state?.selected_option?.value) || textOf(state?.value)).trim();
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
        `${submission.existing ? 'Already started' : 'Started'}: *${escapeMrkdwn(submission.task.title)}* as \`${submission.workflowId}\` (<${temporalUiLink(deps.uiBaseUrl, deps.temporal.options.namespace, submission.workflowId)}|Temporal UI>).`,
      );
    } catch (err) {
      const message = err instanceof TaskValidationError ? err.errors.join('; ') : (err as Error).message;
      deps.log.error({ user, err: message }, 'delegate from Slack failed');
      await tellUser(client, deps.log, where, `The task was not started: ${escapeMrkdwn(message)}`);
    }
  });

  onTaskModal(app, deps, VIEW_IDS.reject, 'rejection from Slack failed', (values, metadata, user) => {
    if (!metadata) return refuseField('reason', 'This form is out of date: click Reject again.');
    const reason = inputValue(values, 'reason');
    if (!reason) return refuseField('reason', 'A rejection needs a reason.');
    const who = { user, channel: metadata.channel, workflowId: metadata.workflowId, shown: metadata.shown };
    // The button that opened the modal said whether it rejects a draft; the workflow refuses the
    // answer if the task is not waiting for that kind, so no status query is needed first.
    const answer = metadata.draft
      ? { kind: 'decline' as const, reason }
      : { kind: 'reject' as const, reason };
    return { who, run: (client) => answerAndTell(who, answer, client, deps) };
  });

  onTaskModal(app, deps, VIEW_IDS.defect, 'defect report not recorded', (values, metadata, user) => {
    if (!metadata) return refuseField('reason', 'This form is out of date: click the button again.');
    const text = inputValue(values, 'reason');
    if (!text) return refuseField('reason', 'Say what went wrong.');
    const who = { user, channel: metadata.channel };
    return {
      who,
      run: async (client) => {
        const caller = entityCaller(deps);
        try {
          const { agentId, taskClass } = await reportDefect(deps.temporal, caller, deps.policy(), {
            workflowId: metadata.workflowId,
            by: user,
            text,
          });
          deps.log.warn({ user, workflowId: metadata.workflowId }, 'defect reported from Slack');
          await tellUser(
            client,
            deps.log,
            who,
            `Defect recorded against ${agentId} in ${taskClass}; its owner is told.`,
          );
        } catch (err) {
          if (!(err instanceof EvidenceError)) throw err;
          deps.log.warn({ ...who, err: err.message }, 'defect report not recorded');
          await tellUser(client, deps.log, who, refusedText(err.message));
        }
      },
    };
  });

  onTaskModal(
    app,
    deps,
    VIEW_IDS.auditDisagree,
    'audit verdict from Slack failed',
    (values, metadata, user) => {
      const agentId = agentOfLedgerId(metadata?.workflowId ?? '');
      if (!metadata?.auditId || !agentId)
        return refuseField('reason', 'This form is out of date: click Disagree again.');
      const reason = inputValue(values, 'reason');
      if (!reason) return refuseField('reason', 'Say what was wrong.');
      const who = {
        user,
        channel: metadata.channel,
        workflowId: metadata.workflowId,
        agentId,
        auditId: metadata.auditId,
      };
      return { who, run: (client) => auditFromSlack(who, false, reason, client, deps) };
    },
  );

  onTaskModal(app, deps, VIEW_IDS.typedApprove, 'approval from Slack failed', (values, metadata, user) => {
    if (!metadata?.stepsHash) return refuseField('typed', 'This form is out of date: click Approve again.');
    const typed = inputValue(values, 'typed');
    // Shown on the field at once; the workflow checks it again, authoritatively.
    if (metadata.resource !== undefined && typed !== metadata.resource)
      return refuseField('typed', `Type "${metadata.resource}" exactly to approve.`);
    const who = { user, channel: metadata.channel, workflowId: metadata.workflowId, shown: metadata.shown };
    const answer = { kind: 'approve' as const, stepsHash: metadata.stepsHash, typedConfirmation: typed };
    return { who, run: (client) => answerAndTell(who, answer, client, deps) };
  });
}

/** Where a task modal's outcome is told: the person, in the channel the modal came from. */
type Where = { user: string; channel: string | undefined };

/** What a task modal's submission means: an error on one field (the modal stays open), or work to do. */
type TaskModalReading =
  { field: string; error: string } | { who: Where; run: (client: WebClient) => Promise<void> };

function refuseField(field: string, error: string): TaskModalReading {
  return { field, error };
}

/**
 * Listens for submissions of one task modal: `read` checks the submission before the ack (an
 * error lands on its field), the ack closes the modal, and then the work runs; a failure is
 * logged as `failure` and told to the person, so nothing fails silently.
 */
function onTaskModal(
  app: App,
  deps: SlackDeps,
  viewId: string,
  failure: string,
  read: (values: StateValues, metadata: TaskModalMetadata | undefined, user: string) => TaskModalReading,
): void {
  app.view(viewId, async ({ ack, body, view, client }) => {
    const reading = read(
      view.state.values as StateValues,
      parseTaskModalMetadata(view.private_metadata),
      body.user.id,
    );
    if ('error' in reading) {
      await ack({ response_action: 'errors', errors: { [reading.field]: reading.error } });
      return;
    }
    await ack();
    try {
      await reading.run(client);
    } catch (err) {
      deps.log.error({ ...reading.who, err: (err as Error).message }, failure);
      await tellUser(client, deps.log, reading.who, notRecordedText(err));
    }
  });
}
