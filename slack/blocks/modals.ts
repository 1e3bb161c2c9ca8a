import type { ShownMessage } from '../../policy/answer-proof';
import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import type { LoadedPolicy } from '../../policy/loader';
import { escapeMrkdwn } from './escape';
import { formatHours, type StandingScope } from '../../policy/standing-approvals';
import { BLOCK_LIMITS, truncate } from './limits';
import { targetsField } from './standing-approvals';

/** callback_ids of Ladder's modals; the view listeners route on them. */
export const VIEW_IDS = {
  delegate: 'ladder_delegate',
  reject: 'ladder_reject',
  typedApprove: 'ladder_approve_typed',
  defect: 'ladder_defect',
  auditDisagree: 'ladder_audit_disagree',
  allowStanding: 'ladder_allow_standing',
  editSteps: 'ladder_edit_steps',
} as const;

/** block_id = action_id of every delegate-modal input, so errors can be placed on their field. */
export const DELEGATE_FIELDS = [
  'agent',
  'task_class',
  'title',
  'environment',
  'action',
  'params',
  'resource',
] as const;
export type DelegateField = (typeof DELEGATE_FIELDS)[number];

/** What the delegate modal carries between opening and submission (private_metadata, JSON). */
export interface DelegateMetadata {
  /** Chosen when the modal opens, so submitting twice starts one task. */
  taskId: string;
  /** Where `/ladder delegate` was typed; confirmations go there. */
  channel: string;
}

const option = (value: string, text = value): PlainTextOption => ({
  text: { type: 'plain_text', text: truncate(text, BLOCK_LIMITS.optionText) },
  value: truncate(value, BLOCK_LIMITS.optionValue),
});

const plainInput = (
  id: DelegateField | 'reason' | 'typed' | typeof STANDING_FIELDS.uses,
  label: string,
  options: {
    multiline?: boolean;
    initial?: string;
    optional?: boolean;
    hint?: string;
    placeholder?: string;
  } = {},
): InputBlock => ({
  type: 'input',
  block_id: id,
  optional: options.optional ?? false,
  label: { type: 'plain_text', text: label },
  ...(options.hint ? { hint: { type: 'plain_text' as const, text: truncate(options.hint, 2000) } } : {}),
  element: {
    type: 'plain_text_input',
    action_id: id,
    multiline: options.multiline ?? false,
    ...(options.initial !== undefined ? { initial_value: options.initial } : {}),
    ...(options.placeholder
      ? { placeholder: { type: 'plain_text' as const, text: options.placeholder } }
      : {}),
  },
});

const selectInput = (id: DelegateField, label: string, values: string[]): InputBlock => ({
  type: 'input',
  block_id: id,
  label: { type: 'plain_text', text: label },
  element: {
    type: 'static_select',
    action_id: id,
    options: values.slice(0, BLOCK_LIMITS.selectOptions).map((v) => option(v)),
    ...(values.length === 1 ? { initial_option: option(values[0]) } : {}),
  },
});

/**
 * The `/ladder delegate` modal: agent, task class, action and environment chosen from what the
 * policy declares (selects, no free text), params as JSON. Pure.
 */
export function delegateModal(policy: LoadedPolicy, metadata: DelegateMetadata): ModalView {
  const actions = [...new Set(Object.values(policy.taskClasses).flatMap((c) => c.actions))].sort();
  return {
    type: 'modal',
    callback_id: VIEW_IDS.delegate,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Delegate a task' },
    submit: { type: 'plain_text', text: 'Start' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      selectInput('agent', 'Agent', Object.keys(policy.agents).sort()),
      selectInput('task_class', 'Task class', Object.keys(policy.taskClasses).sort()),
      plainInput('title', 'Title', { placeholder: 'What should be done, in one line' }),
      // Only what the policy names: free text let `prod` slip past a pin written for `production`.
      // A policy that names none accepts any name; then nothing is pre-filled either.
      policy.environments
        ? selectInput('environment', 'Environment', policy.environments)
        : plainInput('environment', 'Environment', { placeholder: 'e.g. staging' }),
      selectInput('action', 'Action', actions),
      plainInput('params', 'Params (JSON)', {
        multiline: true,
        initial: '{}',
        hint: 'The action\'s parameters, e.g. {"file": "demo-service/config.json", "set": {"maxConnections": 50}}',
      }),
      plainInput('resource', 'Resource', {
        optional: true,
        hint: 'What the task changes; approvers type it when the policy asks for typed confirmation.',
      }),
    ],
  };
}

/** Maps a task validation error (`path: message`) to the modal field it belongs to. */
export function fieldForError(error: string): DelegateField {
  const path = error.split(':')[0];
  if (path.startsWith('agent')) return 'agent';
  if (path.startsWith('taskClass')) return 'task_class';
  if (path.startsWith('environment')) return 'environment';
  if (path.startsWith('resource')) return 'resource';
  if (/^steps\[\d+\]\.action\b/.test(path)) return 'action';
  if (path.startsWith('steps')) return 'params';
  return 'title';
}

/**
 * Groups validation errors by field in the shape `ack({ response_action: 'errors', errors })`
 * wants; several errors on one field are joined, within Slack's per-field limit.
 */
export function modalErrors(errors: string[]): Record<string, string> {
  const byField: Record<string, string[]> = {};
  for (const e of errors) (byField[fieldForError(e)] ??= []).push(e);
  return Object.fromEntries(
    Object.entries(byField).map(([field, list]) => [
      field,
      truncate(list.join('; '), BLOCK_LIMITS.viewError),
    ]),
  );
}

/** Where a task modal's answer goes: the task, and the channel to answer the person in. */
export interface TaskModalMetadata {
  workflowId: string;
  /** Audit modals only: the audit being answered. */
  auditId?: string;
  channel?: string;
  /** Approve modals only: the steps the clicked message showed. */
  stepsHash?: string;
  /**
   * Typed-approve modals only: the name to type, from the button (the workflow checks it again);
   * absent when the name did not fit in the button, and then only the workflow checks it.
   */
  resource?: string;
  /** Reject modals only: the rejection is of a rung-1 draft (sent as a decline, not a rejection). */
  draft?: true;
  /** The message whose button opened the modal: the answer carries it (what the person saw). */
  shown?: ShownMessage;
}

/** Reads a task modal's private_metadata; undefined when it is not ours. Pure. */
export function parseTaskModalMetadata(raw: string | undefined): TaskModalMetadata | undefined {
  try {
    const m = JSON.parse(raw ?? '') as Partial<TaskModalMetadata>;
    if (typeof m.workflowId !== 'string') return undefined;
    // Only a well-formed message reference travels on with the answer.
    const { shown, ...rest } = m as TaskModalMetadata;
    const wellFormed =
      shown !== undefined && typeof shown.ref === 'string' && /^[0-9a-f]{64}$/.test(String(shown.sha256));
    return wellFormed ? { ...rest, shown: { ref: shown.ref, sha256: shown.sha256 } } : rest;
  } catch {
    return undefined;
  }
}

/**
 * A modal about one task: `intro` (mrkdwn, already escaped) above `input`, submitted as `submit`,
 * carrying `metadata` back to the view listener. Without `submit` (and `input`) it only tells,
 * closed with `close`. Pure.
 */
function taskModal(view: {
  callbackId: string;
  metadata: object;
  title: string;
  submit?: string;
  close?: string;
  intro: string;
  input?: KnownBlock;
}): ModalView {
  return {
    type: 'modal',
    callback_id: view.callbackId,
    private_metadata: JSON.stringify(view.metadata),
    title: { type: 'plain_text', text: view.title },
    ...(view.submit !== undefined ? { submit: { type: 'plain_text' as const, text: view.submit } } : {}),
    close: { type: 'plain_text', text: view.close ?? 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(view.intro, BLOCK_LIMITS.sectionText) } },
      ...(view.input ? [view.input] : []),
    ],
  };
}

/**
 * Modal asking for a rejection reason: of a rung-2 request, or of a rung-1 draft when
 * `metadata.draft`. Pure.
 *
 * @param about - shown after the task's id, e.g. who the approvers are; '' for nothing.
 */
export function rejectModal(metadata: TaskModalMetadata, about = ''): ModalView {
  const what = metadata.draft ? 'the draft of ' : '';
  return taskModal({
    callbackId: VIEW_IDS.reject,
    metadata,
    title: 'Reject',
    submit: 'Reject',
    intro: `Rejecting ${what}*${escapeMrkdwn(metadata.workflowId)}*${about ? ` (${escapeMrkdwn(about)})` : ''}.`,
    input: plainInput('reason', 'Why?', {
      multiline: true,
      placeholder: 'The agent and its owner will see this',
    }),
  });
}

/**
 * Modal that approves only when the approver types the resource name (policy `typedConfirmation`).
 * Without `resource` (a name too long for the button or the modal's metadata) it asks for the
 * name the request shows. Pure.
 */
export function typedApproveModal(given: TaskModalMetadata & { stepsHash: string }): ModalView {
  // Slack refuses a view whose private_metadata is past its limit: the workflow checks the name anyway.
  const fits = JSON.stringify(given).length <= BLOCK_LIMITS.privateMetadata;
  const metadata = fits ? given : { ...given, resource: undefined };
  const ask =
    metadata.resource !== undefined
      ? `type *${escapeMrkdwn(metadata.resource)}* to approve.`
      : 'type the name the request shows to approve.';
  return taskModal({
    callbackId: VIEW_IDS.typedApprove,
    metadata,
    title: 'Approve',
    submit: 'Approve',
    intro: `Approving *${escapeMrkdwn(metadata.workflowId)}*.\nThis task class needs typed confirmation: ${ask}`,
    input: plainInput('typed', 'Resource name'),
  });
}

/** Modal asking what went wrong with an executed task (a defect report demotes the agent). Pure. */
export function defectModal(metadata: TaskModalMetadata): ModalView {
  return taskModal({
    callbackId: VIEW_IDS.defect,
    metadata,
    title: 'Report a defect',
    submit: 'Report',
    intro: `Reporting a defect in *${escapeMrkdwn(metadata.workflowId)}*. The agent goes back to the policy's incident rung for this task class at once, and its owner is told.`,
    input: plainInput('reason', 'What went wrong?', { multiline: true }),
  });
}

/** Modal asking why a reviewer disagrees with a sampled autonomous outcome. Pure. */
export function auditDisagreeModal(metadata: TaskModalMetadata & { auditId: string }): ModalView {
  return taskModal({
    callbackId: VIEW_IDS.auditDisagree,
    metadata,
    title: 'Disagree',
    submit: 'Disagree',
    intro: `Audit ${escapeMrkdwn(metadata.auditId)} of ${escapeMrkdwn(metadata.workflowId)}: what was wrong?`,
    input: plainInput('reason', 'What was wrong?', { multiline: true }),
  });
}

/** block_id = action_id of the allow-standing modal's inputs. */
export const STANDING_FIELDS = { term: 'term', uses: 'uses' } as const;

/** The terms a standing approval may be given for in the modal, in ms; the class's maxTerm caps them. */
export const STANDING_TERMS_MS = [1, 4, 8, 24, 72, 168].map((h) => h * 3_600_000);

/**
 * The allow-standing modal once the task is read and no standing approval can be made from it (or
 * the task could not be read): `reason` in a person's words, nothing to submit. Pure.
 */
export function allowStandingRefusedModal(
  metadata: TaskModalMetadata & { stepsHash: string },
  reason: string,
): ModalView {
  return taskModal({
    callbackId: VIEW_IDS.allowStanding,
    metadata,
    title: 'Approve and allow',
    close: 'Close',
    intro: escapeMrkdwn(reason),
  });
}

/**
 * What a standing approval does not pin down: a grant covers places (files, keys, URLs, commands),
 * and a person looking at one request's body could take it for "this exact request".
 */
export const CONTENT_NOT_FIXED =
  'What the steps write or send there is not fixed: a covered task may write other content, set another value, or send another body and headers to the same URL.';

/**
 * Modal that approves the task and allows its agent the same action on the same targets (the
 * files, keys, URLs and commands its steps act on, listed as plain text) in the same environment
 * for a term, at most a number of times: `maxTermMs` and `maxUses` are the class's limits (the
 * registry checks them again). Pure.
 */
export function allowStandingModal(
  metadata: TaskModalMetadata & { stepsHash: string },
  limits: { maxTermMs: number; maxUses: number },
  scope?: StandingScope,
): ModalView {
  const what = scope
    ? `*${escapeMrkdwn(scope.agentId)}* to run *${escapeMrkdwn(scope.action)}* on *${escapeMrkdwn(scope.resource)}* in *${escapeMrkdwn(scope.environment)}* (${escapeMrkdwn(scope.taskClass)})`
    : 'its agent the same action on the same targets in the same environment';
  // The usual terms below the class's longest, and the longest itself.
  const offered = [...STANDING_TERMS_MS.filter((t) => t < limits.maxTermMs), limits.maxTermMs];
  const label = (ms: number): string => (ms % 86_400_000 === 0 ? `${ms / 86_400_000} d` : formatHours(ms));
  return {
    type: 'modal',
    callback_id: VIEW_IDS.allowStanding,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Approve and allow' },
    submit: { type: 'plain_text', text: 'Approve and allow' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: truncate(
            `Approving *${escapeMrkdwn(metadata.workflowId)}*, and allowing ${what} without asking, for the term and number of tasks below. ${CONTENT_NOT_FIXED} Each task it lets through says so, and \`/ladder approvals\` lists it with a Revoke button.`,
            BLOCK_LIMITS.sectionText,
          ),
        },
        ...(scope ? { fields: [targetsField(scope.targets)] } : {}),
      },
      {
        type: 'input',
        block_id: STANDING_FIELDS.term,
        label: { type: 'plain_text', text: 'For' },
        element: {
          type: 'static_select',
          action_id: STANDING_FIELDS.term,
          options: offered.map((ms) => option(String(ms), label(ms))),
          initial_option: option(String(offered[offered.length - 1]), label(offered[offered.length - 1])),
        },
      },
      plainInput(STANDING_FIELDS.uses, `At most how many tasks (1 to ${limits.maxUses})`, {
        initial: String(Math.min(10, limits.maxUses)),
      }),
    ],
  };
}
