import type { KnownBlock, ModalView } from '@slack/types';
import type { EditRule, EditRules } from '../../policy/step-edits';
import { valueAt } from '../../policy/step-edits';
import { escapeMrkdwn } from './escape';
import { BLOCK_LIMITS, truncate } from './limits';
import { VIEW_IDS, type TaskModalMetadata } from './modals';

/** What each rule lets an approver do, as the modal's hint says it. */
const RULE_HINT: Readonly<Record<EditRule, string>> = {
  lower: 'a lower number only',
  subset: 'fewer of these items only (a JSON list)',
  subpath: 'a path inside this one only',
};

/** The action_id of every field's input (the block id says which param it is). */
export const EDIT_INPUT_ID = 'value';

/** Most editable fields in one modal (Slack allows 100 blocks; each field is one). */
export const MAX_EDIT_FIELDS = 40;

/** The block id of one editable param: `edit:<step>:<rule>:<path>`, read back by {@link parseEditField}. Pure. */
export const editFieldId = (step: number, rule: EditRule, path: string): string =>
  `edit:${step}:${rule}:${path}`;

/** Reads {@link editFieldId}; undefined for any other block id. Pure. */
export function parseEditField(blockId: string): { step: number; rule: EditRule; path: string } | undefined {
  const m = /^edit:(\d{1,3}):(lower|subset|subpath):([A-Za-z0-9_.-]{1,200})$/.exec(blockId);
  return m ? { step: Number(m[1]), rule: m[2] as EditRule, path: m[3] } : undefined;
}

/** A value as the field shows it: paths as they are, numbers and lists as JSON. Pure. */
export const fieldText = (rule: EditRule, value: unknown): string =>
  rule === 'subpath' && typeof value === 'string' ? value : JSON.stringify(value);

/**
 * The value typed into a field, as its rule expects it, or why it cannot be read (shown on the
 * field; the workflow decides whether it narrows). Pure.
 */
export function readFieldText(rule: EditRule, text: string): { value: unknown } | { error: string } {
  if (rule === 'subpath') return text.trim() ? { value: text.trim() } : { error: 'Expected a path.' };
  try {
    const value: unknown = JSON.parse(text);
    if (rule === 'lower' && typeof value !== 'number') return { error: 'Expected a number.' };
    if (rule === 'subset' && !Array.isArray(value)) return { error: 'Expected a JSON list, such as ["eu"].' };
    return { value };
  } catch {
    return { error: rule === 'lower' ? 'Expected a number.' : 'Expected a JSON list, such as ["eu"].' };
  }
}

/** What the "Edit…" modal shows: the task's steps and the class's edit rules, or why they could not be read. */
export type EditModalContent =
  | { steps: readonly { action: string; params: Record<string, unknown> }[]; rules?: EditRules }
  | { unreadable: string };

/**
 * The "Edit…" modal: one field per param the class's `edits` let an approver narrow, prefilled
 * with the steps as they are. Without `content` (not read yet) it says it is reading; with
 * `unreadable`, why there is nothing to edit, and no submit button. Pure.
 */
export function editStepsModal(
  metadata: TaskModalMetadata & { stepsHash: string },
  content?: EditModalContent,
): ModalView {
  const steps = content && 'steps' in content ? content.steps : undefined;
  const rules = content && 'steps' in content ? content.rules : undefined;
  const fields: KnownBlock[] = [];
  steps?.forEach((step, i) => {
    for (const [path, rule] of Object.entries(rules?.[step.action] ?? {})) {
      const value = valueAt(step.params, path);
      if (value === undefined || fields.length >= MAX_EDIT_FIELDS) continue;
      fields.push({
        type: 'input',
        block_id: editFieldId(i, rule, path),
        label: { type: 'plain_text', text: truncate(`Step ${i + 1} (${step.action}): ${path}`, 2000) },
        hint: { type: 'plain_text', text: RULE_HINT[rule] },
        element: {
          type: 'plain_text_input',
          action_id: EDIT_INPUT_ID,
          initial_value: truncate(fieldText(rule, value), 3000),
        },
      });
    }
  });
  const intro =
    content && 'unreadable' in content
      ? escapeMrkdwn(content.unreadable)
      : !steps
        ? 'Reading the steps…'
        : fields.length === 0
          ? 'Nothing in these steps may be edited: the policy lets approvers narrow none of their params.'
          : `Narrowing *${escapeMrkdwn(metadata.workflowId)}* before approving: change the fields below (only to narrow them, as each says). The task is decided again and asked about again with the edited steps; its agent is told what you changed.`;
  return {
    type: 'modal',
    callback_id: VIEW_IDS.editSteps,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Edit before approving' },
    ...(fields.length > 0 ? { submit: { type: 'plain_text' as const, text: 'Send the edit' } } : {}),
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: truncate(intro, BLOCK_LIMITS.sectionText) } },
      ...fields,
    ],
  };
}
