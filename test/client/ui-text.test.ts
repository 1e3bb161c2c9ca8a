import fc from 'fast-check';
import { inertMarkdown, TEMPORAL_DETAILS_MAX_BYTES, TEMPORAL_SUMMARY_MAX_BYTES } from '../../client/ui-text';

const jsonBytes = (s: string): number => Buffer.byteLength(JSON.stringify(s), 'utf8');

/** Controls, line breaks and bidi formatting: none may reach the UI. */
const isInvisibleOrBreaking = (code: number): boolean =>
  code <= 0x1f ||
  (code >= 0x7f && code <= 0x9f) ||
  code === 0x2028 ||
  code === 0x2029 ||
  (code >= 0x202a && code <= 0x202e) ||
  (code >= 0x2066 && code <= 0x2069);

/** What is left once every backslash escape is taken out: no Markdown syntax may survive in it. */
const unescaped = (s: string): string => s.replace(/\\[\s\S]/g, '');

describe('inertMarkdown', () => {
  it.each([
    [
      'plain titles stay as they are',
      'Deploy checkout 1.42.0 to staging',
      'Deploy checkout 1.42.0 to staging',
    ],
    ['links', '[click me](https://evil.example/x)', '\\[click me\\]\\(https\\://evil.example/x\\)'],
    [
      'images, which load from the agent’s server',
      '![x](http://t.example/p.png)',
      '\\!\\[x\\]\\(http\\://t.example/p.png\\)',
    ],
    ['reference links', '[a][1] [1]: http://x', '\\[a\\]\\[1\\] \\[1\\]: http\\://x'],
    ['HTML tags', '<img src=x onerror=alert(1)>', '\\<img src\\=x onerror\\=alert\\(1\\)\\>'],
    ['angle-bracket autolinks', '<https://evil.example>', '\\<https\\://evil.example\\>'],
    ['bare URLs (GFM autolinks)', 'see https://evil.example now', 'see https\\://evil.example now'],
    ['www autolinks', 'visit WWW.evil.example', 'visit WWW\\.evil.example'],
    ['email autolinks', 'mail ops@evil.example', 'mail ops\\@evil.example'],
    ['entities', '&lt;script&gt;', '\\&lt;script\\&gt;'],
    [
      'emphasis and code',
      '**bold** _it_ `code` ~~gone~~',
      '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~gone\\~\\~',
    ],
    ['a heading at the start', '# Approved by security', '\\# Approved by security'],
    ['a list item at the start', '- [x] done', '\\- \\[x\\] done'],
    ['an ordered list at the start', '1. first', '1\\. first'],
    ['a quote at the start', '> quoted', '\\> quoted'],
    ['tables', 'a | b', 'a \\| b'],
    ['math', '$x^2$', '\\$x^2\\$'],
    ['backslashes themselves', 'C:\\dir\\[x]', 'C:\\\\dir\\\\\\[x\\]'],
  ])('makes %s inert', (_what, text, expected) => {
    expect(inertMarkdown(text, TEMPORAL_DETAILS_MAX_BYTES)).toBe(expected);
  });

  it('keeps hyphens and dots inside words, where Markdown gives them no meaning', () => {
    expect(inertMarkdown('ops-agent · config-change · staging: v1.2', 400)).toBe(
      'ops-agent · config-change · staging: v1.2',
    );
  });

  it('puts everything on one line, without controls or invisible reordering', () => {
    const text = 'line one\n# not a heading\r\n\tline\u0000 three\u001b[31m red \u202eevil\u2066 \u2028end  ';
    expect(inertMarkdown(text, 400)).toBe('line one \\# not a heading line three\\[31m red evil end');
  });

  it('replaces lone surrogates, so the result is valid UTF-8', () => {
    expect(inertMarkdown('a\ud800b\udc00c', 400)).toBe('a\ufffdb\ufffdc');
  });

  it('shortens to the byte budget with an ellipsis, never splitting an escape', () => {
    const out = inertMarkdown('['.repeat(500), TEMPORAL_SUMMARY_MAX_BYTES);
    expect(out.endsWith('…')).toBe(true);
    expect(jsonBytes(out)).toBeLessThanOrEqual(TEMPORAL_SUMMARY_MAX_BYTES);
    // Each `[` costs three bytes in JSON (`\\[`): 2 quotes + 3 for the ellipsis leave room for 131.
    expect(out).toBe(`${'\\['.repeat(131)}…`);
    expect(jsonBytes(inertMarkdown('é'.repeat(300), TEMPORAL_SUMMARY_MAX_BYTES))).toBeLessThanOrEqual(400);
  });

  it('leaves text that fits untouched by the budget', () => {
    const text = 'x'.repeat(398);
    expect(inertMarkdown(text, 400)).toBe(text);
    expect(inertMarkdown(`${text}y`, 400)).toBe(`${'x'.repeat(395)}…`);
  });

  it('refuses a budget too small to hold anything', () => {
    expect(() => inertMarkdown('x', 7)).toThrow(RangeError);
  });

  it('for any text and budget: fits, is one line, and no Markdown or HTML syntax survives unescaped', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 600 }),
        fc.integer({ min: 8, max: 2000 }),
        (text, max) => {
          const out = inertMarkdown(text, max);
          expect(jsonBytes(out)).toBeLessThanOrEqual(max);
          expect([...out].filter((c) => isInvisibleOrBreaking(c.codePointAt(0)!))).toEqual([]);
          const rest = unescaped(out);
          expect(rest).not.toMatch(/[\\`*_{}[\]()<>#+!|~&$=@]/);
          expect(rest).not.toMatch(/:\/|www\./i);
          expect(out).toBe(inertMarkdown(text, max)); // deterministic
        },
      ),
      { numRuns: 500 },
    );
  });
});
