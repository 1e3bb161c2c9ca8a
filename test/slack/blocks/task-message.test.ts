import type { Notification } from '../../../activities/notify/notifier';
import { BLOCK_LIMITS, truncate } from '../../../slack/blocks/limits';
import { buttonValue, parseButtonValue, taskMessageBlocks } from '../../../slack/blocks/task-message';

const base: Notification = {
  kind: 'approval-request',
  workflowId: 'task/ops-agent/t-1',
  agentId: 'ops-agent',
  taskClass: 'deploy',
  channel: '#deploys',
  title: 'Deploy checkout 1.42.0',
  text: 'Needs your approval before it runs:\n1. POST http://127.0.0.1:4100/deploys',
  fields: {
    rung: '2',
    environment: 'production',
    requester: 'U0SRE0002',
    policy: 'v1+abc',
    stepsHash: 'f'.repeat(64),
  },
  actions: ['approve', 'reject'],
  link: 'http://localhost:8233/namespaces/default/workflows/task%2Fops-agent%2Ft-1',
};

function texts(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(texts);
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) =>
      k === 'text' && typeof v === 'string' ? [v] : texts(v),
    );
  return [];
}

describe('taskMessageBlocks', () => {
  it('renders header, text, facts with a Temporal UI link, and buttons that carry the workflow id (and, to approve, the steps hash)', () => {
    const blocks = taskMessageBlocks(base);
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'context', 'actions']);
    expect(JSON.stringify(blocks[0])).toContain('Approval needed: Deploy checkout 1.42.0');
    const context = JSON.stringify(blocks[2]);
    expect(context).toContain('*requester:* U0SRE0002');
    expect(context).toContain(
      '<http://localhost:8233/namespaces/default/workflows/task%2Fops-agent%2Ft-1|Open in Temporal UI>',
    );
    expect(context).not.toContain('stepsHash');
    const actions = blocks[3] as { elements: { action_id: string; value: string; style?: string }[] };
    expect(actions.elements.map((e) => [e.action_id, e.value, e.style])).toEqual([
      ['ladder_approve', `task/ops-agent/t-1#${'f'.repeat(64)}`, 'primary'],
      ['ladder_reject', 'task/ops-agent/t-1', 'danger'],
    ]);
  });

  it('offers no buttons once the task is decided', () => {
    expect(taskMessageBlocks({ ...base, kind: 'outcome', actions: [] }).map((b) => b.type)).toEqual([
      'header',
      'section',
      'context',
    ]);
  });

  it('stays within Block Kit limits for huge inputs, pointing to the full text', () => {
    const huge = {
      ...base,
      title: 'T'.repeat(1000),
      text: 'x'.repeat(50_000),
      fields: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`field${i}`, 'y'.repeat(3000)])),
    };
    const blocks = taskMessageBlocks(huge);
    expect(blocks.length).toBeLessThanOrEqual(BLOCK_LIMITS.blocksPerMessage);
    for (const text of texts(blocks)) expect(text.length).toBeLessThanOrEqual(BLOCK_LIMITS.sectionText);
    expect(JSON.stringify(blocks[1])).toContain('(full text: <http://localhost:8233');
    const header = blocks[0] as { text: { text: string } };
    expect(header.text.text.length).toBeLessThanOrEqual(BLOCK_LIMITS.headerText);
    const buttons = blocks.find((b) => b.type === 'actions') as
      { elements: { text: { text: string } }[] } | undefined;
    for (const b of buttons?.elements ?? [])
      expect(b.text.text.length).toBeLessThanOrEqual(BLOCK_LIMITS.buttonText);
  });
});

describe('truncate', () => {
  it('leaves short text alone and cuts long text to the limit with an ellipsis', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('abcdefghijkl', 10)).toBe('abcdefghi…');
    expect(truncate('a'.repeat(100), 60, 'http://x')).toHaveLength(60);
  });

  it('reads back button values, and refuses values that are not a Ladder workflow id', () => {
    const hash = 'a'.repeat(64);
    expect(parseButtonValue(buttonValue('task/ops-agent/t-1', hash))).toEqual({
      workflowId: 'task/ops-agent/t-1',
      subject: hash,
    });
    expect(parseButtonValue(buttonValue('digest/ladder/ops-agent/2026-11-22T00:00:00.000Z'))).toEqual({
      workflowId: 'digest/ladder/ops-agent/2026-11-22T00:00:00.000Z',
    });
    expect(parseButtonValue(buttonValue('ledger/ladder/ops-agent', 'p3'))).toEqual({
      workflowId: 'ledger/ladder/ops-agent',
      subject: 'p3',
    });
    for (const bad of ['', 'U0ADMIN01', 'task/x#no-dashes', 'control/ladder/kill-switch', 'task/a b']) {
      expect(parseButtonValue(bad)).toBeUndefined();
    }
  });
});
