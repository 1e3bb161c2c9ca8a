import { editStepsModal } from '../../../slack/blocks/edit-modal';
import { VIEW_IDS } from '../../../slack/blocks/modals';
import { blockKitProblem } from '../../../slack/emulator/block-kit-check';

const metadata = { workflowId: 'task/a1/t-1', stepsHash: 'a'.repeat(64), channel: 'C1' };
const steps = [{ action: 'shell.exec', params: { command: 'echo hi', timeoutMs: 60_000 } }];
const rules = { 'shell.exec': { timeoutMs: 'lower' as const } };
const intro = (view: ReturnType<typeof editStepsModal>): string =>
  (view.blocks[0] as { text: { text: string } }).text.text;

describe('editStepsModal', () => {
  it('says it is reading before the task is read, with nothing to submit', () => {
    const view = editStepsModal(metadata);
    expect(view.callback_id).toBe(VIEW_IDS.editSteps);
    expect(intro(view)).toBe('Reading the steps…');
    expect(view.submit).toBeUndefined();
    expect(view.blocks).toHaveLength(1);
  });

  it('offers one field per param the rules let narrow, prefilled, with a submit button', () => {
    const view = editStepsModal(metadata, { steps, rules });
    expect(view.blocks.map((b) => b.block_id)).toEqual([undefined, 'edit:0:lower:timeoutMs']);
    expect(view.submit?.text).toBe('Send the edit');
    expect(JSON.parse(view.private_metadata!)).toEqual(metadata);
    expect(blockKitProblem(view.blocks)).toBeUndefined();
  });

  it('says why the task could not be read, escaped, and offers no submit', () => {
    const view = editStepsModal(metadata, { unreadable: 'No task task/a1/<t-1>: nothing to edit.' });
    expect(intro(view)).toBe('No task task/a1/&lt;t-1&gt;: nothing to edit.');
    expect(view.submit).toBeUndefined();
    expect(view.blocks).toHaveLength(1);
    expect(blockKitProblem(view.blocks)).toBeUndefined();
  });

  it('says nothing may be edited when the rules name no param of these steps', () => {
    const view = editStepsModal(metadata, { steps, rules: {} });
    expect(intro(view)).toMatch(/^Nothing in these steps may be edited/);
    expect(view.submit).toBeUndefined();
  });
});
