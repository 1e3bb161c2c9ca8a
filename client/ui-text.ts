// Text an agent wrote, made inert for the Temporal UI, which renders workflow summaries and
// details as Markdown: an agent must not be able to put a link, an image (a request to its own
// server whenever someone opens the workflow), HTML, or text that reads differently from what it
// is in front of the people who review its tasks. Pure, deterministic and import-free, so workflow
// code may use it as well as clients.

/** Temporal's default limit on a workflow's summary, in bytes of its JSON payload (quotes included). */
export const TEMPORAL_SUMMARY_MAX_BYTES = 400;

/** Temporal's default limit on a workflow's details (static or current), in bytes of its JSON payload. */
export const TEMPORAL_DETAILS_MAX_BYTES = 20_000;

/** What a shortened text ends with. */
const ELLIPSIS = '…';

/**
 * Escaped wherever they stand: emphasis, code, links and images, HTML and autolinks, entities,
 * tables, strikethrough, headings and lists (`#`, `+`), setext and highlight (`=`), math (`$`).
 */
const ALWAYS_ESCAPED: ReadonlySet<string> = new Set([
  '\\',
  '`',
  '*',
  '_',
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  '<',
  '>',
  '#',
  '+',
  '!',
  '|',
  '~',
  '&',
  '$',
  '=',
  '@',
]);

/** Invisible characters that reorder or hide text (bidi embeddings, overrides, isolates and marks, BOM). */
function isHiddenFormatting(code: number): boolean {
  return (
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  );
}

/** Line breaks and tabs of every kind: one line is all a summary has, and a new line starts a block. */
function isBreakingSpace(code: number): boolean {
  return (code >= 0x09 && code <= 0x0d) || code === 0x85 || code === 0x2028 || code === 0x2029;
}

/** C0 and C1 control characters (NUL, ESC, DEL, …), which no one can see. */
function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

/** One line of visible text: breaks and tabs become single spaces, controls and hidden formatting go, lone surrogates become U+FFFD. */
function visibleLine(text: string): string[] {
  const out: string[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (isBreakingSpace(code) || code === 0x20) {
      if (out.length > 0 && out[out.length - 1] !== ' ') out.push(' ');
    } else if (isControl(code) || isHiddenFormatting(code)) {
      continue;
    } else if (code >= 0xd800 && code <= 0xdfff) {
      out.push('\ufffd');
    } else {
      out.push(char);
    }
  }
  while (out.length > 0 && out[out.length - 1] === ' ') out.pop();
  return out;
}

/** Whether the character at `i` needs a backslash, given its neighbours and how many digits start the line. */
function needsEscape(chars: readonly string[], i: number, leadingDigits: number): boolean {
  const c = chars[i];
  if (ALWAYS_ESCAPED.has(c)) return true;
  // `http://…` and `https://…` autolink without brackets (GFM), as may other schemes elsewhere.
  if (c === ':') return chars[i + 1] === '/';
  if (c === '.') {
    // `www.example.com` autolinks (GFM); `1. ` at the start is an ordered list.
    const before = chars
      .slice(Math.max(0, i - 3), i)
      .join('')
      .toLowerCase();
    return before === 'www' || (i > 0 && i === leadingDigits);
  }
  // `- ` at the start is a list item or a rule.
  if (c === '-') return i === 0;
  return false;
}

/** Bytes `piece` adds inside a JSON string: backslash and quote are escaped there, the rest is UTF-8. */
function jsonBytes(piece: string): number {
  let bytes = 0;
  for (const char of piece) {
    const code = char.codePointAt(0)!;
    if (char === '\\' || char === '"') bytes += 2;
    else if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code < 0x10000) bytes += 3;
    else bytes += 4;
  }
  return bytes;
}

/**
 * `text` as Markdown that renders as exactly that text and nothing more: one line, every character
 * that could open a Markdown or HTML construct backslash-escaped (links, images, autolinks, emphasis,
 * code, tags, entities, headings, lists, tables), control characters and invisible bidi formatting
 * removed, and shortened with "…" so its JSON payload fits `maxJsonBytes`. An escape is never split.
 *
 * Pure and deterministic; no imports, so workflow code may call it.
 *
 * @param text - any text, e.g. a task title an agent chose.
 * @param maxJsonBytes - the most bytes the result may take as a JSON string, quotes included
 *   ({@link TEMPORAL_SUMMARY_MAX_BYTES} for a summary); at least 8.
 * @throws {RangeError} when `maxJsonBytes` is below 8 (no room for even the ellipsis).
 */
export function inertMarkdown(text: string, maxJsonBytes: number): string {
  if (!(maxJsonBytes >= 8)) throw new RangeError(`maxJsonBytes must be at least 8, got ${maxJsonBytes}`);
  const chars = visibleLine(text);
  let leadingDigits = 0;
  while (leadingDigits < chars.length && chars[leadingDigits] >= '0' && chars[leadingDigits] <= '9')
    leadingDigits++;
  const pieces = chars.map((c, i) => (needsEscape(chars, i, leadingDigits) ? `\\${c}` : c));
  const budget = maxJsonBytes - 2;
  const total = pieces.reduce((sum, p) => sum + jsonBytes(p), 0);
  if (total <= budget) return pieces.join('');
  let used = jsonBytes(ELLIPSIS);
  let out = '';
  for (const piece of pieces) {
    const cost = jsonBytes(piece);
    if (used + cost > budget) break;
    used += cost;
    out += piece;
  }
  return `${out.trimEnd()}${ELLIPSIS}`;
}
