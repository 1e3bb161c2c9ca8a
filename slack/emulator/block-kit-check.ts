/**
 * The Block Kit limits Slack enforces on messages, checked the way Slack answers `invalid_blocks`:
 * the emulator refuses what Slack would refuse, so a builder that breaks a limit fails in tests.
 * Returns the first problem, or undefined when the blocks are acceptable (or absent).
 */
export function blockKitProblem(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > 50) return `too many blocks: ${blocks.length} (max 50)`;
  for (const [i, block] of blocks.entries()) {
    const b = block as {
      type?: unknown;
      text?: { text?: unknown };
      fields?: { text?: unknown }[];
      elements?: { type?: unknown; text?: unknown }[];
    };
    const at = `blocks[${i}]`;
    if (typeof b?.type !== 'string') return `${at}: missing type`;
    const len = (x: unknown): number => (typeof x === 'string' ? x.length : 0);
    switch (b.type) {
      case 'header':
        if (len(b.text?.text) === 0 || len(b.text?.text) > 150) return `${at}.text: 1-150 characters`;
        break;
      case 'section':
        if (b.text !== undefined && (len(b.text.text) === 0 || len(b.text.text) > 3000))
          return `${at}.text: 1-3000 characters`;
        if (b.fields && b.fields.length > 10) return `${at}.fields: at most 10`;
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10)
          return `${at}.elements: 1-10 elements`;
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25)
          return `${at}.elements: 1-25 elements`;
        for (const [j, e] of b.elements.entries()) {
          const text = (e.text as { text?: unknown } | undefined)?.text;
          if (e.type === 'button' && (len(text) === 0 || len(text) > 75))
            return `${at}.elements[${j}].text: 1-75 characters`;
        }
        break;
      case 'divider':
      case 'image':
      case 'rich_text':
      case 'input':
        break;
      default:
        return `${at}: unsupported block type ${b.type}`;
    }
  }
  return undefined;
}
