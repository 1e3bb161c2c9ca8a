/**
 * The Block Kit limits Slack enforces on messages, checked the way Slack answers `invalid_blocks`:
 * the emulator refuses what Slack would refuse, so a builder that breaks a limit fails in tests.
 * Returns the first problem, or undefined when the blocks are acceptable (or absent).
 *
 * @param maxBlocks - 50 for a message, 100 for a modal or App Home.
 */
export function blockKitProblem(blocks: unknown, maxBlocks = 50): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'blocks must be an array';
  if (blocks.length > maxBlocks) return `too many blocks: ${blocks.length} (max ${maxBlocks})`;
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
      case 'input': {
        const problem = inputProblem(block as InputBlockShape);
        if (problem) return `${at}.${problem}`;
        break;
      }
      case 'divider':
      case 'image':
      case 'rich_text':
        break;
      default:
        return `${at}: unsupported block type ${b.type}`;
    }
  }
  return undefined;
}

interface InputBlockShape {
  block_id?: unknown;
  label?: { type?: unknown; text?: unknown };
  hint?: { text?: unknown };
  element?: {
    type?: unknown;
    action_id?: unknown;
    options?: {
      text?: { type?: unknown; text?: unknown };
      value?: unknown;
      description?: { text?: unknown };
    }[];
    initial_options?: { value?: unknown }[];
  };
}

/** Slack's option limits: text and description up to 75 characters, value up to 150. */
const OPTION_LIMITS = { text: 75, value: 150, description: 75 } as const;

/** Option counts per element type: checkboxes and radio buttons 10, selects 100. */
const MAX_OPTIONS: Readonly<Record<string, number>> = {
  checkboxes: 10,
  radio_buttons: 10,
  static_select: 100,
  multi_static_select: 100,
};

/** What Slack refuses in an input block (modals only): its label, its element and that element's options. */
function inputProblem(block: InputBlockShape): string | undefined {
  const len = (x: unknown): number => (typeof x === 'string' ? x.length : -1);
  if (block.label?.type !== 'plain_text' || len(block.label.text) < 1 || len(block.label.text) > 2000)
    return 'label: plain_text of 1-2000 characters';
  if (block.hint !== undefined && (len(block.hint.text) < 1 || len(block.hint.text) > 2000))
    return 'hint: 1-2000 characters';
  if (block.block_id !== undefined && (len(block.block_id) < 1 || len(block.block_id) > 255))
    return 'block_id: 1-255 characters';
  const element = block.element;
  if (typeof element?.type !== 'string') return 'element: missing type';
  if (len(element.action_id) < 1 || len(element.action_id) > 255)
    return 'element.action_id: 1-255 characters';
  const max = MAX_OPTIONS[element.type];
  if (max === undefined) return undefined;
  const options = element.options;
  if (!Array.isArray(options) || options.length === 0 || options.length > max)
    return `element.options: 1-${max} options for ${element.type}`;
  const values = new Set<unknown>();
  for (const [k, o] of options.entries()) {
    const text = len(o?.text?.text);
    if (text < 1 || text > OPTION_LIMITS.text)
      return `element.options[${k}].text: 1-${OPTION_LIMITS.text} characters`;
    if (o.text?.type !== 'plain_text' && !(o.text?.type === 'mrkdwn' && MAX_OPTIONS[element.type] === 10))
      return `element.options[${k}].text: plain_text (mrkdwn only in checkboxes and radio buttons)`;
    if (len(o.value) < 1 || len(o.value) > OPTION_LIMITS.value)
      return `element.options[${k}].value: 1-${OPTION_LIMITS.value} characters`;
    if (
      o.description !== undefined &&
      (len(o.description.text) < 1 || len(o.description.text) > OPTION_LIMITS.description)
    )
      return `element.options[${k}].description: 1-${OPTION_LIMITS.description} characters`;
    if (values.has(o.value)) return `element.options[${k}].value: duplicate ${String(o.value)}`;
    values.add(o.value);
  }
  for (const initial of element.initial_options ?? [])
    if (!values.has(initial?.value)) return 'element.initial_options: must be among the options';
  return undefined;
}
