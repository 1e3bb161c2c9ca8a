/** Block Kit limits we build within (Slack rejects messages past them). */
export const BLOCK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionField: 2000,
  headerText: 150,
  contextElementText: 2000,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  viewError: 2000,
  privateMetadata: 3000,
} as const;

/**
 * Shortens `text` to at most `max` characters, ending with an ellipsis and, when given, a pointer
 * to where the full text is (e.g. the Temporal UI), so nothing is silently lost.
 */
export function truncate(text: string, max: number, fullTextUrl?: string): string {
  if (text.length <= max) return text;
  const tail = fullTextUrl ? `… (full text: <${fullTextUrl}|Temporal UI>)` : '…';
  if (tail.length >= max) return text.slice(0, max - 1) + '…';
  return text.slice(0, max - tail.length) + tail;
}
