import { own } from '../policy/own';
import { valueAt, whyNotNarrower, withValueAt, type EditRule, type EditRules } from '../policy/step-edits';
import { readFieldText } from '../slack/blocks/edit-modal';

type Step = { action: string; params: Record<string, unknown> };

/** A `--set` that cannot be read at all (a usage error: exit 2), naming the argument. */
export class SetSyntaxError extends Error {}

/** A `--set` that reads but is not an edit the class allows (bad input: exit 1), naming the argument. */
export class SetValueError extends Error {}

/** One `--set` as typed: the step (0-based), the param path inside its params, the value's text. */
export interface SetArgument {
  text: string;
  step: number | undefined;
  path: string;
  value: string;
}

const PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Reads one `--set` argument: `<path>=<value>`, `<step>.<path>=<value>` or
 * `steps.<step>.params.<path>=<value>` (steps 0-based, as refusals name them). Pure.
 *
 * @throws {SetSyntaxError} naming the argument when it has no `=`, no path, or a path with other
 *   characters than letters, digits, `_`, `-` and dots.
 */
export function parseSetArgument(text: string): SetArgument {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new SetSyntaxError(`--set ${text}: expected <param path>=<value>, such as timeoutMs=30000`);
  let path = text.slice(0, eq).trim();
  const value = text.slice(eq + 1);
  if (!PATH.test(path))
    throw new SetSyntaxError(
      `--set ${text}: "${path}" is not a param path (letters, digits, _ and - joined by dots, such as body.replicas)`,
    );
  let step: number | undefined;
  const full = /^steps\.(\d{1,3})\.params\.(.+)$/.exec(path);
  const short = /^(\d{1,3})\.(.+)$/.exec(path);
  if (full) [step, path] = [Number(full[1]), full[2]];
  else if (short) [step, path] = [Number(short[1]), short[2]];
  return { text, step, path, value };
}

/**
 * The task's steps with every `--set` applied, each checked the way the workflow will check it
 * (the path is one the class's `edits` let an approver change; the value reads as its rule expects
 * and narrows the value it replaces), so a mistake is named before anything is sent. The workflow
 * checks the edit again against the policy in force and has the last word. Pure.
 *
 * @throws {SetSyntaxError} when an argument cannot be read.
 * @throws {SetValueError} naming the argument and what is wrong: no such step, a path the class
 *   does not let an approver change, a value of the wrong kind, a value that does not narrow.
 */
export function applySetArguments(
  steps: readonly Step[],
  rules: EditRules | undefined,
  sets: readonly string[],
): Step[] {
  if (sets.length === 0)
    throw new SetSyntaxError(
      'edit needs at least one --set <param path>=<value>, such as --set timeoutMs=30000',
    );
  const edited = steps.map((s) => ({ ...s, params: s.params }));
  for (const text of sets) {
    const set = parseSetArgument(text);
    if (set.step === undefined && steps.length !== 1)
      throw new SetValueError(
        `--set ${text}: the task has ${steps.length} steps; name one, as <step>.${set.path}=… (0 to ${steps.length - 1})`,
      );
    const index = set.step ?? 0;
    const step = edited[index];
    if (!step)
      throw new SetValueError(
        `--set ${text}: no step ${index} (the task has steps 0 to ${steps.length - 1})`,
      );
    const allowed = own(rules ?? {}, step.action) ?? {};
    const rule: EditRule | undefined = own(allowed, set.path);
    const where = `steps.${index}.params.${set.path}`;
    if (!rule) {
      const editable = Object.keys(allowed);
      throw new SetValueError(
        `--set ${text}: ${where} is not a param an approver may change for ${step.action} (${editable.length > 0 ? `editable: ${editable.join(', ')}` : 'the class lets nothing be edited'})`,
      );
    }
    const from = valueAt(steps[index].params, set.path);
    if (from === undefined)
      throw new SetValueError(`--set ${text}: step ${index} has no ${set.path} to narrow`);
    const read = readFieldText(rule, set.value);
    if ('error' in read) throw new SetValueError(`--set ${text}: ${read.error} (${where} is ${rule})`);
    const why = whyNotNarrower(rule, from, read.value);
    if (why)
      throw new SetValueError(
        `--set ${text}: ${where}: ${why} (only ${rule} is allowed: widening is refused)`,
      );
    edited[index] = { ...step, params: withValueAt(step.params, set.path, read.value) as Step['params'] };
  }
  return edited;
}
