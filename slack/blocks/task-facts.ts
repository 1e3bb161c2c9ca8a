/**
 * The structured facts a task message carries beside its one-line text: each step with what it
 * did (its result, old → new values or a short diff, its health check, its compensation), who may
 * answer and until when, and a report's read deadline. Workflows fill these in from what their
 * activities returned; `taskFactsBlocks` (./task-facts-blocks.ts) turns them into Block Kit.
 *
 * Pure and import-free: workflows import this module into the deterministic workflow sandbox.
 * Everything here that came from an agent (descriptions, params, outputs) is plain text, escaped
 * only when rendered.
 */

/** Where a step stands when the message is written. */
export type StepStatus =
  /** Not run yet, and it still may be (waiting for an answer, or approved and about to run). */
  | 'to-run'
  /** Ran to completion. */
  | 'ran'
  /** Started and failed (or was interrupted). */
  | 'failed'
  /** Never ran, and will not (rejected, expired, an earlier step failed). */
  | 'not-run'
  /** Nobody knows whether it ran: a person must check. */
  | 'outcome-unknown'
  /** Rung 0: proposed for a person to do; Ladder runs nothing. */
  | 'suggested';

/** One value a step changed, where its action reports the value before. */
export interface ValueChange {
  key: string;
  /** The value before (JSON), or null when the key did not exist. */
  from: string | null;
  /** The value after (JSON). */
  to: string;
}

/** One step of a task, as a message shows it. */
export interface StepFacts {
  /** What the step does, in its action's words where known (from `describeSteps`), else from its params. */
  what: string;
  /** The action's blast radius, where it was described. */
  blastRadius?: string;
  status: StepStatus;
  /** What the action reports it did: `HTTP 200`, `exit code 0`, `created (12 bytes)`. */
  result?: string;
  /** Old → new values, where the action reports the old ones. */
  changes?: readonly ValueChange[];
  /** A short line diff (`-`/`+` lines), where the action reports old and new content. */
  diff?: string;
  /** The last health check of this step after it ran (rung 4+). */
  health?: { healthy: boolean; detail: string };
  /** The saga's compensation of this step, once it ran: undone, or why it could not be. */
  compensation?: { undone: boolean; detail: string };
  /** Why the step failed. */
  error?: string;
}

/** Who may answer a question, who may not and why, and until when. */
export interface AnswerFacts {
  /** Who may answer (Slack ids or names), in the policy's order. */
  mayAnswer: readonly string[];
  /** People of the class who may not answer this one, each with the rule that excludes them. */
  excluded?: readonly { who: string; rule: ExclusionRule }[];
  /** Stand-ins among `mayAnswer`: each answers for an approver who is away, until then (ISO). */
  standIns?: readonly { who: string; for: string; until: string }[];
  /** When the question expires unanswered (ISO), if it does. */
  expiresAt?: string;
  /** What happens then: the policy's `onExpiry` of the class (default `reject`). */
  onExpiry?: ExpiryFacts;
  /** When the approvers are warned before expiry (ISO), if they are. */
  warnAt?: string;
}

/** Why someone of the class may not answer: under the two-person rule, the task's requester. */
export type ExclusionRule = 'two-person-rule';

/**
 * What happens when a question expires: rejected (nothing runs), it keeps waiting (reminded, never
 * expired), or it goes to the next approver group of the class's chain (`group`, its members).
 */
export type ExpiryFacts =
  | { then: 'reject' }
  | { then: 'keep-waiting' }
  | { then: 'escalate'; group: string; members: readonly string[] };

/** A rung-5 report's read SLA, as its message shows it. */
export interface ReportFacts {
  /** Who may mark it read. */
  readers: readonly string[];
  /** When it must be read by (ISO). */
  readBy: string;
  /** The next contact pinged if it stays unread, and when (ISO); absent when none is left. */
  nextEscalation?: { at: string; to: string };
}

/** Everything structured a task message shows beside its text. */
export interface TaskFacts {
  steps?: readonly StepFacts[];
  answer?: AnswerFacts;
  report?: ReportFacts;
}

/** The longest value shown on either side of an old → new change, in characters. */
const VALUE_CHARS = 120;
/** The most diff lines a step shows; the Temporal UI has the rest. */
const DIFF_LINES = 12;
/** Content larger than this (either side) is summarised in bytes, not diffed, to keep workflow tasks short. */
const DIFF_MAX_CHARS = 16_000;
/** The tail of a command's output a step shows. */
const OUTPUT_CHARS = 300;

/** What a step's own record says it did: the fields of {@link StepFacts} an action reports. */
export type StepOutcomeFacts = Pick<StepFacts, 'what' | 'result' | 'changes' | 'diff'>;

/**
 * What one step did, from its params and the record its action returned (the undo record of
 * `config.set`, `file.write`, `http.request` and `shell.exec`); for an action whose record this
 * does not know, its name. Reads defensively: a record of another shape yields less, never an
 * error. Pure.
 */
export function stepOutcomeFacts(
  step: { action: string; params: unknown },
  record: unknown,
): StepOutcomeFacts {
  const p = asObject(step.params);
  const r = asObject(record);
  switch (step.action) {
    case 'config.set': {
      const set = asObject(p.set);
      const previous = asObject(r.previous);
      const changes = Object.keys(set).map((key): ValueChange => {
        const before = asObject(previous[key]);
        return {
          key,
          from: before.absent === false ? shortJson(before.value) : null,
          to: shortJson(set[key]),
        };
      });
      return {
        what: `set ${Object.keys(set).join(', ')} in ${String(p.file ?? '?')}`,
        ...(typeof p.reloadUrl === 'string' ? { result: `reload requested (POST ${p.reloadUrl})` } : {}),
        changes,
      };
    }
    case 'file.write': {
      const content = typeof p.content === 'string' ? p.content : '';
      const previous = typeof r.previous === 'string' ? r.previous : r.previous === null ? null : undefined;
      const what = `write ${String(p.path ?? '?')}`;
      if (previous === undefined) return { what };
      if (previous === null)
        return { what, result: `created (${content.length} characters)`, diff: lineDiff('', content) };
      if (previous === content) return { what, result: 'unchanged (same content)' };
      return {
        what,
        result: `replaced ${previous.length} with ${content.length} characters`,
        diff: lineDiff(previous, content),
      };
    }
    case 'http.request':
      return {
        what: `${String(p.method ?? 'request')} ${String(p.url ?? '?')}`,
        ...(typeof r.status === 'number' ? { result: `HTTP ${r.status}` } : {}),
      };
    case 'shell.exec': {
      const output = typeof r.output === 'string' ? r.output.trimEnd() : '';
      const tail = output.length > OUTPUT_CHARS ? `…${output.slice(-OUTPUT_CHARS)}` : output;
      return {
        what: `run \`${String(p.command ?? '?')}\``,
        ...(typeof r.exitCode === 'number'
          ? { result: `exit code ${r.exitCode}${tail ? `; output: ${tail}` : ''}` }
          : {}),
      };
    }
    default:
      return { what: step.action };
  }
}

/**
 * A short line diff of `before` → `after`: the lines between their common head and tail, removed
 * with `-` and added with `+`, at most {@link DIFF_LINES} lines (then how many more). Not a
 * minimal diff, but never a wrong one; empty when nothing differs, and a size summary when either
 * side is too large to compare inside a workflow task. Pure.
 */
export function lineDiff(before: string, after: string): string {
  if (before === after) return '';
  if (before.length > DIFF_MAX_CHARS || after.length > DIFF_MAX_CHARS)
    return `(too large to show: ${before.length} → ${after.length} characters)`;
  const a = before === '' ? [] : before.split('\n');
  const b = after === '' ? [] : after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const lines = [
    ...a.slice(head, a.length - tail).map((l) => `-${l}`),
    ...b.slice(head, b.length - tail).map((l) => `+${l}`),
  ];
  if (lines.length <= DIFF_LINES) return lines.join('\n');
  return [...lines.slice(0, DIFF_LINES), `… ${lines.length - DIFF_LINES} more line(s)`].join('\n');
}

/** One line per changed step for a digest: what it did and its old → new values. Pure. */
export function changeSummary(steps: readonly StepFacts[]): string {
  return steps
    .filter((s) => s.status === 'ran')
    .map((s) => {
      const changes = (s.changes ?? []).map((c) => `${c.key}: ${c.from ?? '(none)'} → ${c.to}`);
      return [s.what, ...changes, ...(s.result && changes.length === 0 ? [s.result] : [])].join('; ');
    })
    .join(' | ');
}

function asObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function shortJson(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}
