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

/**
 * Objects and arrays nest at most this deep in a request. Deeper ones pass `JSON.stringify` yet
 * overflow the stack of code that walks them by recursion (the steps hash an approval carries):
 * 4,000 levels in 60 KB did, and the agent was told to retry what could never pass.
 */
export const MAX_NESTING = 64;

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
  const deep = tooDeep(raw);
  if (deep !== undefined)
    fatal.push(`${deep}: nested more than ${MAX_NESTING} levels deep, at most ${MAX_NESTING} per task`);
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
  if (Array.isArray(r.steps)) errors.push(...hiddenParamObjections(r.steps));
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
/** The path of the first value nested deeper than {@link MAX_NESTING}, or undefined. Iterative. */
function tooDeep(raw: unknown): string | undefined {
  const pending: { value: unknown; depth: number; path: (string | number)[] }[] = [
    { value: raw, depth: 0, path: [] },
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { value, depth, path } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_NESTING) return formatPath(path);
    for (const [k, v] of Array.isArray(value) ? value.entries() : Object.entries(value))
      if (typeof v === 'object' && v !== null)
        pending.push({ value: v, depth: depth + 1, path: [...path, k] });
  }
  return undefined;
}

/** A UTF-16 surrogate without its other half: no character, and each encoder makes something else of it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

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
      const lone = LONE_SURROGATE.exec(value);
      if (nul && lone)
        found.push(
          `${formatPath(pathOf(path))}: contains half of a UTF-16 surrogate pair (U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}) at character ${lone.index + 1}: no character, and Slack would show another one`,
        );
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

/**
 * Characters that make what an approver reads differ from what runs: the bidirectional embeddings,
 * overrides and isolates and the direction marks reorder the text around them ("Trojan Source":
 * `echo "ok \u202E ; rm -rf data"` shows reordered); the rest show as nothing (zero-width spaces
 * and joiners, word joiner, invisible operators, byte-order mark, soft hyphen, Hangul fillers, tag
 * characters, …). Each with its name, for the error message.
 */
const REORDERING: [number, string][] = [
  [0x061c, 'Arabic letter mark'],
  [0x200e, 'left-to-right mark'],
  [0x200f, 'right-to-left mark'],
  [0x202a, 'left-to-right embedding'],
  [0x202b, 'right-to-left embedding'],
  [0x202c, 'pop directional formatting'],
  [0x202d, 'left-to-right override'],
  [0x202e, 'right-to-left override'],
  [0x2066, 'left-to-right isolate'],
  [0x2067, 'right-to-left isolate'],
  [0x2068, 'first strong isolate'],
  [0x2069, 'pop directional isolate'],
];
const SHOWING_NOTHING: [number, string][] = [
  [0x00ad, 'soft hyphen'],
  [0x034f, 'combining grapheme joiner'],
  [0x115f, 'Hangul choseong filler'],
  [0x1160, 'Hangul jungseong filler'],
  [0x17b4, 'Khmer vowel inherent aq'],
  [0x17b5, 'Khmer vowel inherent aa'],
  [0x180e, 'Mongolian vowel separator'],
  [0x200b, 'zero-width space'],
  [0x200c, 'zero-width non-joiner'],
  [0x200d, 'zero-width joiner'],
  [0x2060, 'word joiner'],
  [0x2061, 'function application'],
  [0x2062, 'invisible times'],
  [0x2063, 'invisible separator'],
  [0x2064, 'invisible plus'],
  [0x206a, 'inhibit symmetric swapping'],
  [0x206b, 'activate symmetric swapping'],
  [0x206c, 'inhibit Arabic form shaping'],
  [0x206d, 'activate Arabic form shaping'],
  [0x206e, 'national digit shapes'],
  [0x206f, 'nominal digit shapes'],
  [0x3164, 'Hangul filler'],
  [0xfeff, 'zero-width no-break space, a byte-order mark'],
  [0xffa0, 'halfwidth Hangul filler'],
  [0xfff9, 'interlinear annotation anchor'],
  [0xfffa, 'interlinear annotation separator'],
  [0xfffb, 'interlinear annotation terminator'],
  ...Array.from({ length: 8 }, (_, i): [number, string] => [0x1d173 + i, 'musical symbol format character']),
  ...Array.from({ length: 0x80 }, (_, i): [number, string] => [0xe0000 + i, 'a tag character']),
];
const PARAM_CHARACTERS: ReadonlyMap<number, { name: string; reorders: boolean }> = new Map([
  ...REORDERING.map(([code, name]): [number, { name: string; reorders: boolean }] => [
    code,
    { name, reorders: true },
  ]),
  ...SHOWING_NOTHING.map(([code, name]): [number, { name: string; reorders: boolean }] => [
    code,
    { name, reorders: false },
  ]),
]);

/** A quick test for any of {@link PARAM_CHARACTERS}: most strings hold none and are not scanned further. */
const PARAM_CHARACTER_ANY =
  /[\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB]|\u034F|\u17B4|\u17B5|\uD834[\uDD73-\uDD7A]|\uDB40[\uDC00-\uDC7F]/;

/** The joiners, allowed inside a value between two joinable characters (see {@link hiddenParamCharacter}). */
const ZWNJ = 0x200c;
const ZWJ = 0x200d;
/** What a joiner legitimately joins: letters, marks (virama, U+FE0F), digits and symbols (emoji), outside ASCII. */
const JOINABLE = /^[\p{L}\p{M}\p{N}\p{S}\p{Extended_Pictographic}]$/u;
/** An emoji tag sequence (the flags of England, Scotland, Wales): 🏴, tag letters, cancel tag. */
const EMOJI_TAG_SEQUENCE = /\u{1F3F4}[\u{E0020}-\u{E007E}]+\u{E007F}/gu;

const isJoinable = (ch: string | undefined): boolean =>
  ch !== undefined &&
  ch.codePointAt(0)! > 0x7f &&
  !PARAM_CHARACTERS.has(ch.codePointAt(0)!) &&
  JOINABLE.test(ch);

/** `U+202E` for a code point. */
const codeName = (code: number): string => `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The first character of {@link PARAM_CHARACTERS} in `text`, with its position in characters (code
 * points, from 1), or undefined when it has none.
 *
 * In a value (`joinersAllowed`), a zero-width joiner or non-joiner between two joinable characters
 * outside ASCII is what it is for, and is allowed: emoji sequences (👩‍💻, 🏳️‍🌈), Indic conjuncts
 * (क्‍ष), Persian words (می‌خواهم). Next to ASCII, white space, another such character or at either
 * end, it only hides a difference (`r\u200Dm` reads as `rm`) and is refused. So are the tag
 * characters, except in an emoji tag sequence (🏴 followed by tags: the flag of Scotland). A key
 * allows none of them.
 */
export function hiddenParamCharacter(
  text: string,
  joinersAllowed: boolean,
): { code: number; name: string; reorders: boolean; at: number } | undefined {
  if (!PARAM_CHARACTER_ANY.test(text)) return undefined;
  const tagged = new Set<number>();
  if (joinersAllowed)
    for (const m of text.matchAll(EMOJI_TAG_SEQUENCE))
      for (let i = m.index + 2; i < m.index + m[0].length; i++) tagged.add(i);
  const chars = Array.from(text);
  let unit = 0;
  for (let i = 0; i < chars.length; unit += chars[i]!.length, i++) {
    const code = chars[i]!.codePointAt(0)!;
    const found = PARAM_CHARACTERS.get(code);
    if (!found || tagged.has(unit)) continue;
    if (
      joinersAllowed &&
      (code === ZWJ || code === ZWNJ) &&
      isJoinable(chars[i - 1]) &&
      isJoinable(chars[i + 1])
    )
      continue;
    return { code, ...found, at: i + 1 };
  }
  return undefined;
}

/** `holds U+202E (right-to-left override) at character 12; it would show reordered to the approver`. */
function hiddenParamMessage(found: NonNullable<ReturnType<typeof hiddenParamCharacter>>): string {
  return `holds ${codeName(found.code)} (${found.name}) at character ${found.at}; ${
    found.reorders
      ? 'it would show reordered to the approver'
      : 'it shows as nothing to the approver, so what they read would differ from what runs'
  }`;
}

/**
 * `text` with every character of {@link PARAM_CHARACTERS} and every C0 or C1 control spelled out
 * (`\u202E`, `\u{E0041}`), so an error that repeats it cannot itself show reordered or hide part
 * of it. Pure.
 */
export function spelledOut(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!PARAM_CHARACTER_ANY.test(text) && !/[\u0000-\u001F\u007F-\u009F]/.test(text)) return text;
  return Array.from(text, (ch) => {
    const code = ch.codePointAt(0)!;
    if (!PARAM_CHARACTERS.has(code) && code >= 0x20 && (code < 0x7f || code > 0x9f)) return ch;
    return code > 0xffff
      ? `\\u{${code.toString(16).toUpperCase()}}`
      : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }).join('');
}

/** A key as a path part: `.key`, or `["a\u200Bb"]` spelled out when it holds a hidden character. */
function keyPart(key: string): string {
  const spelled = spelledOut(key);
  return spelled === key ? `.${key}` : `["${spelledOut(key.replace(/["\\]/g, '\\$&'))}"]`;
}

/**
 * Every key and string value inside every step's params (at any depth: an HTTP body, a config
 * value, an undo request's headers) that holds a character which reorders the text around it or
 * shows as nothing, as `steps[0].params.command: holds U+202E (right-to-left override) at character
 * 12; it would show reordered to the approver`. Approvers decide on these params as Slack, the CLI
 * and the Temporal UI show them, so what they read must be what runs. One error per string: its
 * first such character.
 *
 * Allowed: tabs, line breaks and every other printable character (emoji, non-Latin scripts); in
 * values, joiners where they join (see {@link hiddenParamCharacter}). C0 controls other than NUL
 * (reported by {@link limitObjections}) are left to the actions: file content may hold them.
 * Pure; iterative (deep params cannot overflow the stack) and linear in the params' size.
 */
export function hiddenParamObjections(steps: readonly unknown[]): string[] {
  // Parts are `.key`, `[3]` or `["a\u200Bb"]`, linked to their parent and spelled out only for an
  // error: copying each node's path would cost time quadratic in depth.
  type Path = { part: string; parent: Path } | null;
  const pathOf = (p: Path): string => {
    let out = '';
    for (let at = p; at !== null; at = at.parent) out = `${at.part}${out}`;
    return out;
  };
  type Pending = { value: unknown; path: Path } | { error: string };
  const found: string[] = [];
  steps.forEach((step, index) => {
    const root = `steps[${index}].params`;
    const pending: Pending[] = [{ value: (step as { params?: unknown } | null)?.params, path: null }];
    // Children are pushed last-first, so errors come out in the request's order.
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      if ('error' in next) {
        found.push(next.error);
        continue;
      }
      const { value, path } = next;
      if (typeof value === 'string') {
        const hidden = hiddenParamCharacter(value, true);
        if (hidden) found.push(`${root}${pathOf(path)}: ${hiddenParamMessage(hidden)}`);
      } else if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--)
          pending.push({ value: value[i], path: { part: `[${i}]`, parent: path } });
      } else if (typeof value === 'object' && value !== null) {
        const entries = Object.entries(value);
        for (let i = entries.length - 1; i >= 0; i--) {
          const [key, child] = entries[i]!;
          const part: Path = { part: keyPart(key), parent: path };
          pending.push({ value: child, path: part });
          const hidden = hiddenParamCharacter(key, false);
          // The key's own error before anything inside it.
          if (hidden)
            pending.push({ error: `${root}${pathOf(part)}: the key ${hiddenParamMessage(hidden)}` });
        }
      }
    }
  });
  return found;
}
