import { formatPath } from './checks';

/**
 * Size limits on a task request, checked at submission (every entry point: CLI, Slack, HTTP API,
 * MCP) before any workflow starts.
 *
 * Why: a task's whole request is the workflow's start input, and every step costs several history
 * events (activity scheduled/started/completed, the undo record, status) that carry its params
 * again. Temporal refuses a payload over 2 MB ("Failed to start Workflow", no reason given) and
 * terminates a workflow whose history passes 50 MB (or 51,200 events) with no saga unwind, no
 * message and no outcome: effects already made stay made. These limits keep the largest task
 * that passes far below both (50 steps × 64 KiB × a handful of events ≈ 16 MB worst case, and a
 * 256 KiB request well under the 2 MB payload limit), so a task is either refused clearly at
 * submission or runs to an outcome.
 */

/** At most this many steps per task: each step costs several history events (50 MB history limit). */
export const MAX_STEPS = 50;

/** Each step's params at most this many bytes as JSON (UTF-8): they are repeated in several events. */
export const MAX_STEP_PARAMS_BYTES = 64 * 1024;

/** The whole request at most this many bytes as JSON (UTF-8): it is the start payload (2 MB limit). */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** A task's title at most this many characters: it goes into the workflow summary and every message. */
export const MAX_TITLE_CHARS = 200;

/** Bytes as whole KiB, rounded up, so 64 KiB + 1 byte reads as 65 KiB, not as the limit itself. */
function kib(bytes: number): string {
  return `${Math.ceil(bytes / 1024)} KiB`;
}

/** UTF-8 size of `value` as JSON, or `undefined` when it cannot be serialised (cycle, BigInt, too deep). */
function jsonBytes(value: unknown): number | undefined {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The limits a raw task request breaks, as `path: message` naming the field and the limit, e.g.
 * `steps: 10000 steps, at most 50 per task` or `steps[3].params: 80 KiB, at most 64 KiB`.
 *
 * `fatal` is true when the request is too large to look at further (whole size, step count, not
 * JSON): the caller refuses with these errors alone rather than validating thousands of steps.
 * Pure; cost is linear in the request's size, which is bounded first.
 */
export function limitObjections(raw: unknown): { errors: string[]; fatal: boolean } {
  const total = jsonBytes(raw);
  if (total === undefined)
    return {
      errors: ['request: cannot be read as JSON (a cycle, a BigInt or nesting too deep)'],
      fatal: true,
    };
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as {
    steps?: unknown;
    title?: unknown;
    resource?: unknown;
  };
  const fatal: string[] = [];
  if (Array.isArray(r.steps) && r.steps.length > MAX_STEPS)
    fatal.push(`steps: ${r.steps.length} steps, at most ${MAX_STEPS} per task`);
  if (total > MAX_REQUEST_BYTES)
    fatal.push(`request: ${kib(total)} as JSON, at most ${kib(MAX_REQUEST_BYTES)} per task`);
  if (fatal.length > 0) return { errors: fatal, fatal: true };

  const errors: string[] = [];
  if (typeof r.title === 'string' && r.title.length > MAX_TITLE_CHARS)
    errors.push(`title: ${r.title.length} characters, at most ${MAX_TITLE_CHARS}`);
  for (const field of ONE_LINE_FIELDS) {
    const value = (r as Record<string, unknown>)[field];
    if (typeof value === 'string') {
      const found = hiddenCharacter(value);
      if (found) errors.push(`${field}: ${found}; it is shown to approvers as one line of plain text`);
    }
  }
  if (typeof r.resource === 'string') errors.push(...typedNameObjections(r.resource));
  if (Array.isArray(r.steps)) {
    r.steps.forEach((step: unknown, i) => {
      const params = (step as { params?: unknown } | null)?.params;
      const size = params === undefined ? 0 : (jsonBytes(params) ?? 0);
      if (size > MAX_STEP_PARAMS_BYTES)
        errors.push(`steps[${i}].params: ${kib(size)}, at most ${kib(MAX_STEP_PARAMS_BYTES)}`);
    });
  }
  errors.push(...walkObjections(raw, true));
  return { errors, fatal: false };
}

/**
 * Fields people read to decide (in Slack, the CLI, the Temporal UI) and, for `resource`, type to
 * confirm: one line of plain text, so nothing in them may move the cursor, restyle a terminal
 * (ESC), break the line, or reorder what is shown (bidirectional overrides: "Trojan Source").
 */
const ONE_LINE_FIELDS = ['title', 'resource'] as const;

/**
 * C0 and C1 control characters and DEL (NUL is reported for every string by {@link walkObjections}),
 * the Unicode line and paragraph separators, and the bidirectional embedding, override and isolate
 * controls.
 */
// eslint-disable-next-line no-control-regex
const HIDDEN = /[\u0001-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/;

/** Characters that show as nothing: zero-width spaces and joiners, direction marks, word joiners, BOM. */
const INVISIBLE = /[\u061C\u180E\u200B-\u200F\u2060-\u2064\uFEFF]/;
/** The most characters Slack's text input takes, where an approver types the resource to confirm. */
export const MAX_TYPED_NAME = 3000;

/**
 * What would keep an approver from typing `resource` to confirm: space at either end (the
 * confirmation box trims what is typed), characters that show as nothing, or more than Slack's
 * input takes. A task with such a resource could never be approved under typed confirmation.
 */
function typedNameObjections(resource: string): string[] {
  const errors: string[] = [];
  if (resource.trim() !== resource)
    errors.push('resource: starts or ends with white space; an approver could not type it to confirm');
  const invisible = INVISIBLE.exec(resource);
  if (invisible)
    errors.push(
      `resource: contains U+${invisible[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (an invisible character) at character ${invisible.index + 1}; an approver could not type it to confirm`,
    );
  if (resource.length > MAX_TYPED_NAME)
    errors.push(
      `resource: ${resource.length} characters, at most ${MAX_TYPED_NAME} (what Slack's confirmation box takes)`,
    );
  return errors;
}

/** `contains U+001B (a control character) at character 7`, or undefined when `text` has none. */
function hiddenCharacter(text: string): string | undefined {
  const match = HIDDEN.exec(text);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0);
  const kind =
    code >= 0x2000
      ? code >= 0x2028 && code <= 0x2029
        ? 'a line separator'
        : 'a bidirectional control'
      : 'a control character';
  return `contains U+${code.toString(16).toUpperCase().padStart(4, '0')} (${kind}) at character ${match.index + 1}`;
}

/**
 * Keys named `__proto__` anywhere in a raw request, as `path: message`. JSON.parse makes such a key
 * an own property; schemas then drop it without a word and object spreads make it a prototype, so
 * entry points that parse with a schema before {@link limitObjections} sees the raw request (the
 * HTTP API, the MCP server) call this on exactly what they received. Pure; linear in its size.
 */
export function prototypeKeyObjections(raw: unknown): string[] {
  return walkObjections(raw, false);
}

/**
 * Every string (and object key) in the request that contains a NUL character, by path: NUL ends
 * strings in C, shells and many files, so what an approver reads would differ from what runs. And
 * every key named `__proto__` (see {@link prototypeKeyObjections}).
 */
function walkObjections(raw: unknown, nul: boolean): string[] {
  type Path = { part: string | number; parent: Path } | null;
  const pathOf = (p: Path): (string | number)[] => {
    const parts: (string | number)[] = [];
    for (let at = p; at !== null; at = at.parent) parts.unshift(at.part);
    return parts;
  };
  const found: string[] = [];
  // Iterative, with shared parent links for paths, so a deeply nested request that JSON.stringify
  // accepted costs linear time and cannot overflow the stack here. Children are pushed last-first
  // so they are visited, and reported, in the request's order.
  const pending: { value: unknown; path: Path }[] = [{ value: raw, path: null }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value === 'string') {
      if (nul && value.includes('\u0000'))
        found.push(`${formatPath(pathOf(path))}: contains a NUL character (\\u0000)`);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        pending.push({ value: value[i], path: { part: i, parent: path } });
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!;
        if (nul && k.includes('\u0000'))
          found.push(
            `${formatPath(pathOf({ part: k.split('\u0000').join('\\u0000'), parent: path }))}: key contains a NUL character (\\u0000)`,
          );
        else if (k === '__proto__')
          found.push(
            `${formatPath(pathOf({ part: k, parent: path }))}: a key named "__proto__" is refused (objects would take it as their prototype, or drop it without a word)`,
          );
        else pending.push({ value: v, path: { part: k, parent: path } });
      }
    }
  }
  return found;
}
