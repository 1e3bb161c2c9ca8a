import type { PendingApproval } from '../../../client/pending-tasks';
import { BATCH_ACTION_IDS } from '../../../slack/action-ids';
import { homeBatchBlocks } from '../../../slack/blocks/app-home';
import {
  BATCH_BLOCKS,
  BATCH_SELECTABLE,
  BATCH_VIEW_IDS,
  batchModal,
  batchOptionLabels,
  batchPickerModal,
  batchResultBlocks,
  batchResultText,
  parseBatchMetadata,
  type BatchAnswerResult,
} from '../../../slack/blocks/batch-modal';
import { blockKitProblem } from '../../../slack/emulator/block-kit-check';
import { viewProblem } from '../../../slack/emulator/workspace';
import { readBatchSubmission } from '../../../slack/listeners/batch';

const HASH = (n: number): string => n.toString(16).padStart(64, '0');
const request = (n: number, over: Partial<PendingApproval> = {}): PendingApproval => ({
  workflowId: `task/a2/t-${n}`,
  agentId: 'a2',
  taskClass: 'ops',
  title: `restart web ${n}`,
  environment: 'staging',
  requester: 'U0APPR001',
  steps: [{ action: 'shell.exec', params: { command: `echo ${n} >> effects.log` } }],
  stepsHash: HASH(n),
  stepsConfirmed: true,
  approvers: ['U0APPR001', 'U0APPR002'],
  twoPersonRule: true,
  typedConfirmation: null,
  waitsOnPerson: true,
  ...over,
});
const uiLink = (id: string): string => `http://ui/${encodeURIComponent(id)}`;
const build = (tasks: PendingApproval[], more = 0) =>
  batchModal({ taskClass: 'ops', user: 'U0APPR002', tasks, more, origin: { channel: 'C1' }, uiLink });

type Block = { type: string; block_id?: string; element?: { type: string; options?: { value: string }[] } };
const blocksOf = (view: { blocks: unknown[] }): Block[] => view.blocks as Block[];
const checkboxValues = (view: { blocks: unknown[] }): string[] =>
  blocksOf(view)
    .find((b) => b.block_id === BATCH_BLOCKS.tasks)
    ?.element?.options?.map((o) => o.value) ?? [];

describe('the batch modal', () => {
  it('lists each request with its steps and offers only the batchable ones, naming why the others are not', () => {
    const mine = request(2, { requester: 'U0APPR002', waitsOnPerson: false, title: 'my own request' });
    const typed = request(3, { typedConfirmation: 'orders-db', title: 'drop a table' });
    const view = build([request(1), mine, typed, request(4)]);
    expect(viewProblem(view)).toBeUndefined();
    expect(view.callback_id).toBe(BATCH_VIEW_IDS.answer);
    // Two selectable, numbered in the order listed; the option values index the metadata's list.
    expect(checkboxValues(view)).toEqual(['0', '1']);
    const metadata = parseBatchMetadata(view.private_metadata)!;
    expect(metadata.t).toEqual([
      ['task/a2/t-1', HASH(1)],
      ['task/a2/t-4', HASH(4)],
      ['task/a2/t-2', HASH(2)],
      ['task/a2/t-3', HASH(3)],
    ]);
    expect(metadata).toMatchObject({ c: 'ops', ch: 'C1' });
    const text = JSON.stringify(view.blocks);
    // Every step with its exact parameters, and who asked.
    expect(text).toContain('step 1/1: `shell.exec` {\\"command\\":\\"echo 4 &gt;&gt; effects.log\\"}');
    expect(text).toContain('requested by <@U0APPR001>');
    expect(text).toContain('two-person rule: you requested it');
    expect(text).toContain('needs typed confirmation (type *orders-db*)');
    expect(view.submit?.text).toBe('Send answers');
  });

  it('escapes what agents wrote', () => {
    const view = build([
      request(1, {
        title: '<!channel> *now*',
        steps: [{ action: 'shell.exec', params: { command: '<@U0ADMIN01>' } }],
      }),
    ]);
    // mrkdwn is where `<…>` controls anything; plain_text (the checkbox labels) shows it as typed.
    const text = JSON.stringify(blocksOf(view).filter((b) => b.type === 'section'));
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0ADMIN01>');
    expect(text).toContain('&lt;!channel&gt;');
  });

  it('caps the selectable requests at Slack’s 10 checkbox options and says how many more wait', () => {
    const tasks = Array.from({ length: 14 }, (_, i) => request(i + 1));
    const view = build(tasks, 6);
    expect(viewProblem(view)).toBeUndefined();
    expect(checkboxValues(view)).toHaveLength(BATCH_SELECTABLE);
    // 4 read but not offered + 6 never read.
    expect(JSON.stringify(view.blocks)).toContain('10 more requests in *ops* wait on you beyond these');
    expect(view.blocks.length).toBeLessThanOrEqual(100);
  });

  it('keeps its metadata within Slack’s 3,000 characters by offering fewer requests', () => {
    const long = (n: number) => request(n, { workflowId: `task/a2/${'x'.repeat(250)}-${n}` });
    const view = build(Array.from({ length: 10 }, (_, i) => long(i)));
    expect(view.private_metadata!.length).toBeLessThanOrEqual(3000);
    expect(viewProblem(view)).toBeUndefined();
    const offered = checkboxValues(view).length;
    expect(offered).toBeGreaterThan(0);
    expect(offered).toBeLessThan(10);
    expect(JSON.stringify(view.blocks)).toContain(`${10 - offered} more request`);
  });

  it('offers nothing to submit when nothing can be batched', () => {
    const view = build([request(1, { requester: 'U0APPR002' })]);
    expect(view.submit).toBeUndefined();
    expect(checkboxValues(view)).toEqual([]);
    expect(viewProblem(view)).toBeUndefined();
    expect(JSON.stringify(view.blocks)).toContain('No approval request in *ops* can be answered in a batch');
  });

  it('picks a class from those with requests, and says when there are none', () => {
    const picker = batchPickerModal(
      [
        { taskClass: 'ops', count: 3 },
        { taskClass: 'fast', count: 1 },
      ],
      { home: true },
    );
    expect(viewProblem(picker)).toBeUndefined();
    expect(picker.callback_id).toBe(BATCH_VIEW_IDS.pick);
    expect(JSON.stringify(picker.blocks)).toContain('ops (3 waiting)');
    expect(JSON.parse(picker.private_metadata!)).toEqual({ h: 1 });
    const none = batchPickerModal([], {});
    expect(none.submit).toBeUndefined();
    expect(JSON.stringify(none.blocks)).toContain('No approval requests wait on you now.');
  });
});

describe('reading a batch submission', () => {
  const metadata = JSON.stringify({
    c: 'ops',
    t: [
      ['task/a2/t-1', HASH(1)],
      ['task/a2/t-2', HASH(2)],
    ],
  });
  const values = (selected: string[], decision?: string, reason?: string) => ({
    [BATCH_BLOCKS.tasks]: {
      [BATCH_ACTION_IDS.tasks]: { selected_options: selected.map((value) => ({ value })) },
    },
    [BATCH_BLOCKS.decision]: {
      [BATCH_ACTION_IDS.decision]: { selected_option: decision ? { value: decision } : null },
    },
    [BATCH_BLOCKS.reason]: { [BATCH_ACTION_IDS.reason]: { value: reason ?? null } },
  });

  it('reads the selection once each, the decision and the reason', () => {
    expect(readBatchSubmission(values(['1', '0', '1'], 'reject', ' too risky '), metadata)).toMatchObject({
      ok: true,
      decision: 'reject',
      reason: 'too risky',
      selected: ['1', '0'],
    });
  });

  it('answers no more requests than the modal listed, whatever a submission carries', () => {
    const many = Array.from({ length: 500 }, (_, i) => String(i));
    expect(readBatchSubmission(values(many, 'approve'), metadata)).toMatchObject({
      ok: true,
      selected: ['0', '1'],
    });
  });

  it('puts errors on their fields', () => {
    expect(readBatchSubmission(values([], undefined), metadata)).toEqual({
      ok: false,
      errors: {
        [BATCH_BLOCKS.tasks]: 'Select at least one request.',
        [BATCH_BLOCKS.decision]: 'Choose to approve or to reject the selected requests.',
      },
    });
    expect(readBatchSubmission(values(['0'], 'reject', '  '), metadata)).toEqual({
      ok: false,
      errors: { [BATCH_BLOCKS.reason]: 'A rejection needs a reason.' },
    });
    expect(readBatchSubmission(values(['0'], 'approve'), 'not json')).toMatchObject({ ok: false });
    // A metadata entry whose hash is not a steps hash makes the whole form out of date.
    expect(
      readBatchSubmission(values(['0'], 'approve'), JSON.stringify({ c: 'ops', t: [['x', 'y']] })),
    ).toMatchObject({
      ok: false,
    });
  });
});

describe('the batch outcome', () => {
  const results: BatchAnswerResult[] = [
    { workflowId: 'task/a2/t-1', ok: true, at: '2026-01-01T00:00:00Z' },
    { workflowId: 'task/a2/t-2', ok: false, reason: 'task is not waiting for approval <now>' },
    { workflowId: 'task/a2/t-3', ok: true, at: '2026-01-01T00:00:01Z' },
  ];

  it('says which were accepted and which refused, each refusal with its reason', () => {
    const text = batchResultText('approve', results);
    expect(text.split('\n')).toEqual([
      'Batch: 2 approved, 1 refused.',
      ':white_check_mark: approved: task/a2/t-1',
      ':white_check_mark: approved: task/a2/t-3',
      ':x: refused: task/a2/t-2: task is not waiting for approval &lt;now&gt;',
    ]);
    const blocks = batchResultBlocks('reject', results, uiLink);
    expect(blockKitProblem(blocks)).toBeUndefined();
    const shown = JSON.stringify(blocks);
    expect(shown).toContain('2 rejected, 1 refused');
    expect(shown).toContain('*Refused:* <http://ui/task%2Fa2%2Ft-2|task/a2/t-2>');
    expect(shown).toContain('task is not waiting for approval &lt;now&gt;');
  });
});

describe('naming requests in the outcome as the modal showed them', () => {
  it('reads the checkbox labels of the submitted view and uses them beside the task ids', () => {
    const view = build([request(1, { title: 'restart <web>' }), request(2)]);
    const labels = batchOptionLabels(view.blocks);
    expect(labels).toEqual({ '0': '[1] restart <web>', '1': '[2] restart web 2' });
    expect(batchOptionLabels('nonsense')).toEqual({});
    const text = batchResultText('approve', [
      { workflowId: 'task/a2/t-1', ok: true, at: 'now', label: labels['0'] },
      { workflowId: 'task/a2/t-2', ok: false, reason: 'stale', label: labels['1'] },
    ]);
    expect(text).toContain(':white_check_mark: approved: [1] restart &lt;web&gt; (task/a2/t-1)');
    expect(text).toContain(':x: refused: [2] restart web 2 (task/a2/t-2): stale');
  });
});

describe('the App Home batch buttons', () => {
  it('offers one button per class with several requests, within Slack’s limits', () => {
    expect(homeBatchBlocks([])).toEqual([]);
    const blocks = homeBatchBlocks(
      Array.from({ length: 7 }, (_, i) => ({ taskClass: `class-${i}`, count: 9 - i })),
    );
    expect(blockKitProblem(blocks)).toBeUndefined();
    const buttons = (
      blocks[1] as { elements: { action_id: string; value: string; text: { text: string } }[] }
    ).elements;
    expect(buttons).toHaveLength(5);
    expect(buttons[0]).toMatchObject({
      action_id: BATCH_ACTION_IDS.open,
      value: 'class-0',
      text: { text: 'Answer in batch: 9 in class-0' },
    });
  });
});
