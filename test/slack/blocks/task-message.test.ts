import type { Notification } from '../../../activities/notify/notifier';
import { BLOCK_LIMITS, truncate } from '../../../slack/blocks/limits';
import { ACTION_IDS } from '../../../slack/action-ids';
import { buttonValue, parseButtonValue } from '../../../slack/blocks/button-value';
import { offeredActions, taskMessageBlocks, typedConfirmationOf } from '../../../slack/blocks/task-message';

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
      [ACTION_IDS.approve, `task/ops-agent/t-1#${'f'.repeat(64)}`, 'primary'],
      [ACTION_IDS.reject, 'task/ops-agent/t-1', 'danger'],
    ]);
  });

  /** The action ids and values of a message's buttons. */
  const buttonsOf = (n: Notification) =>
    (
      taskMessageBlocks(n).find((b) => b.type === 'actions') as
        { elements: { action_id: string; value: string }[] } | undefined
    )?.elements.map((e) => [e.action_id, e.value]) ?? [];

  it('renders the typed Approve the workflow names, carrying the name to type from the typedConfirmation fact', () => {
    const typed: Notification = {
      ...base,
      fields: { ...base.fields, typedConfirmation: 'orders-db' },
      actions: ['approve-typed', 'reject'],
    };
    expect(typedConfirmationOf(typed)).toBe('orders-db');
    expect(offeredActions(typed)).toEqual(['approve-typed', 'reject']);
    expect(buttonsOf(typed)).toEqual([
      [ACTION_IDS['approve-typed'], `task/ops-agent/t-1#${'f'.repeat(64)}#orders-db`],
      [ACTION_IDS.reject, 'task/ops-agent/t-1'],
    ]);
    // The name is encoded for the button value, and is not shown as a fact.
    const quoted = { ...typed, fields: { ...base.fields, typedConfirmation: 'orders db "eu"' } };
    expect(buttonsOf(quoted)[0]).toEqual([
      ACTION_IDS['approve-typed'],
      `task/ops-agent/t-1#${'f'.repeat(64)}#orders%20db%20%22eu%22`,
    ]);
    expect(JSON.stringify(taskMessageBlocks(quoted))).not.toContain('typedConfirmation');
    // A request and its reminders (which carry its buttons) ask for a typed name; nothing else does.
    expect(typedConfirmationOf({ ...typed, kind: 'approval-reminder' })).toBe('orders-db');
    expect(buttonsOf({ ...typed, kind: 'approval-reminder' })[0]).toEqual([
      ACTION_IDS['approve-typed'],
      `task/ops-agent/t-1#${'f'.repeat(64)}#orders-db`,
    ]);
    expect(typedConfirmationOf({ ...typed, kind: 'outcome' })).toBeUndefined();
  });

  it('reads nothing into the text: a request without the fact asks for no typed name, and buttons stay as named', () => {
    // The request text ends with the line a typed request shows, but the workflow sent no fact.
    const textOnly = { ...base, text: `${base.text}\nType "orders-db" to approve.` };
    expect(typedConfirmationOf(textOnly)).toBeUndefined();
    expect(offeredActions(textOnly)).toEqual(['approve', 'reject']);
    expect(buttonsOf(textOnly)).toEqual([
      [ACTION_IDS.approve, `task/ops-agent/t-1#${'f'.repeat(64)}`],
      [ACTION_IDS.reject, 'task/ops-agent/t-1'],
    ]);
    // A draft offers the buttons its workflow names: the draft Reject, and a plain Reject stays a Reject.
    const draft: Notification = { ...base, kind: 'draft', actions: ['accept', 'draft-reject'] };
    expect(buttonsOf(draft).map(([id]) => id)).toEqual([ACTION_IDS.accept, ACTION_IDS['draft-reject']]);
    expect(offeredActions({ ...draft, actions: ['accept', 'reject'] })).toEqual(['accept', 'reject']);
  });

  it('drops names that are not Ladder buttons, keeping the order of the rest', () => {
    const foreign = ['approve-typed', 'nuke', 'constructor', 'reject'] as unknown as Notification['actions'];
    expect(offeredActions({ ...base, actions: foreign })).toEqual(['approve-typed', 'reject']);
  });

  it('carries the subject (question, proposal, audit id) on buttons other than Approve', () => {
    expect(
      buttonsOf({
        ...base,
        kind: 'outcome-unknown',
        subject: 'q1',
        actions: ['outcome-ran', 'outcome-undo'],
      }),
    ).toEqual([
      [ACTION_IDS['outcome-ran'], 'task/ops-agent/t-1#q1'],
      [ACTION_IDS['outcome-undo'], 'task/ops-agent/t-1#q1'],
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
    expect(buttons?.elements).toHaveLength(2);
    for (const b of buttons!.elements)
      expect(b.text.text.length).toBeLessThanOrEqual(BLOCK_LIMITS.buttonText);
    expect(blocks[blocks.length - 1].type).toBe('actions');
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
    expect(parseButtonValue(buttonValue('task/a/t', hash, 'db #1 / 100% "eu"'))).toEqual({
      workflowId: 'task/a/t',
      subject: hash,
      typedName: 'db #1 / 100% "eu"',
    });
    // A name too long for Slack's 2,000-character value is left out, never cut.
    const long = buttonValue('task/a/t', hash, 'n'.repeat(BLOCK_LIMITS.buttonValue));
    expect(long).toBe(`task/a/t#${hash}`);
    // The control workflows a button answers: the standing-approvals registry (Revoke) and a
    // class's rubber-stamp watch (Reviewed, naming the approver).
    expect(parseButtonValue('control/ladder/standing-approvals#1a2b3c4d')).toEqual({
      workflowId: 'control/ladder/standing-approvals',
      subject: '1a2b3c4d',
    });
    expect(parseButtonValue('control/ladder/delegations')).toEqual({
      workflowId: 'control/ladder/delegations',
    });
    expect(parseButtonValue('control/ladder/approver-watch/config-change#U0SRE0002')).toEqual({
      workflowId: 'control/ladder/approver-watch/config-change',
      subject: 'U0SRE0002',
    });
    for (const bad of [
      '',
      'U0ADMIN01',
      'task/x#no-dashes',
      'control/ladder/kill-switch',
      'control/ladder/approver-watch/Ops',
      'control/ladder/approver-watch/a/b',
      'task/a b',
      'task/a/t#abc#',
      'task/a/t#abc#%ZZ',
      'task/a/t#abc#a b',
    ]) {
      expect(parseButtonValue(bad)).toBeUndefined();
    }
  });
});
