import { blockKitProblem } from '../../../slack/emulator/block-kit-check';
import { viewSubmissionPayload } from '../../../slack/emulator/deliver';
import { Workspace, viewProblem, type OpenView } from '../../../slack/emulator/workspace';

// The modal limits the emulator enforces as Slack does, and the checkbox state it submits.
const checkboxes = (n: number, over: Record<string, unknown> = {}) => ({
  type: 'input',
  block_id: 'pick',
  label: { type: 'plain_text', text: 'Pick' },
  element: {
    type: 'checkboxes',
    action_id: 'pick',
    options: Array.from({ length: n }, (_, i) => ({
      text: { type: 'plain_text', text: `o${i}` },
      value: `${i}`,
    })),
    ...over,
  },
});
const modal = (blocks: unknown[], over: Record<string, unknown> = {}) => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'T' },
  submit: { type: 'plain_text', text: 'Send' },
  blocks,
  ...over,
});

describe('modal checks', () => {
  it('accepts up to 100 blocks and 10 checkbox options, and refuses more', () => {
    expect(viewProblem(modal([...Array(99).fill({ type: 'divider' }), checkboxes(10)]))).toBeUndefined();
    expect(viewProblem(modal(Array(101).fill({ type: 'divider' })))).toBe(
      'view.blocks must be an array of at most 100 blocks',
    );
    expect(viewProblem(modal([checkboxes(11)]))).toBe(
      'blocks[0].element.options: 1-10 options for checkboxes',
    );
  });

  it.each([
    [
      checkboxes(1, { options: [{ text: { type: 'plain_text', text: 'x'.repeat(76) }, value: '1' }] }),
      'blocks[0].element.options[0].text: 1-75 characters',
    ],
    [
      checkboxes(1, { options: [{ text: { type: 'plain_text', text: 'x' }, value: 'v'.repeat(151) }] }),
      'blocks[0].element.options[0].value: 1-150 characters',
    ],
    [
      checkboxes(2, {
        options: [
          { text: { type: 'plain_text', text: 'a' }, value: '1' },
          { text: { type: 'plain_text', text: 'b' }, value: '1' },
        ],
      }),
      'blocks[0].element.options[1].value: duplicate 1',
    ],
    [
      { ...checkboxes(1), label: { type: 'plain_text', text: '' } },
      'blocks[0].label: plain_text of 1-2000 characters',
    ],
  ])('refuses a bad input block %#', (block, problem) => {
    expect(blockKitProblem([block], 100)).toBe(problem);
  });

  it('refuses a modal with inputs and no submit, long metadata, or a long submit text', () => {
    expect(viewProblem(modal([checkboxes(1)], { submit: undefined }))).toBe(
      'view.submit is required when the view has input blocks',
    );
    expect(viewProblem(modal([], { private_metadata: 'x'.repeat(3001) }))).toBe(
      'view.private_metadata must be at most 3000 characters',
    );
    expect(viewProblem(modal([], { submit: { type: 'plain_text', text: 'x'.repeat(25) } }))).toBe(
      'view.submit must be 1-24 characters',
    );
  });

  it('submits ticked checkboxes as selected_options, only those the view offers', () => {
    const open: OpenView = {
      id: 'V1',
      user: 'U0APPR001',
      view: modal([checkboxes(3)]),
      hash: 'h',
      errors: {},
    };
    const payload = viewSubmissionPayload(new Workspace(), open, { pick: ['2', '0', '9'] }, 't') as {
      view: { state: { values: Record<string, Record<string, { selected_options: { value: string }[] }>> } };
    };
    expect(payload.view.state.values.pick.pick.selected_options.map((o) => o.value)).toEqual(['0', '2']);
  });
});
