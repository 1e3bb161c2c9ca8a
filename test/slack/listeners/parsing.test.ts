import { join } from 'node:path';
import { createActionRegistry } from '../../../activities/actions/registry';
import { loadPolicyFile } from '../../../policy/loader';
import { parseLadderCommand } from '../../../slack/listeners/commands';
import { ACTION_IDS } from '../../../slack/action-ids';
import { buttonValue } from '../../../slack/blocks/button-value';
import { parseButtonClick } from '../../../slack/listeners/button-click';
import { inputValue, taskFromDelegateModal } from '../../../slack/listeners/views';

const policy = loadPolicyFile(join(__dirname, '..', '..', '..', 'examples', 'policy.yaml')).policy;
const agents = Object.keys(policy.agents);

describe('parseLadderCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  DELEGATE ', { kind: 'delegate' }],
    ['status', { kind: 'status' }],
    ['status ops-agent', { kind: 'status', agent: 'ops-agent' }],
    ['freeze', { kind: 'freeze', agent: undefined, reason: 'frozen from Slack' }],
    ['freeze ops-agent bad deploys', { kind: 'freeze', agent: 'ops-agent', reason: 'bad deploys' }],
    // A first word that is not an agent is part of the reason, never a silent no-op.
    ['freeze everything is on fire', { kind: 'freeze', agent: undefined, reason: 'everything is on fire' }],
    // A typo of an agent freezes every agent (the safe side), noted so the answer says so.
    [
      'freeze ops-agnet bad deploys',
      {
        kind: 'freeze',
        agent: undefined,
        reason: 'ops-agnet bad deploys',
        nearAgent: { word: 'ops-agnet', agent: 'ops-agent' },
      },
    ],
    ['unfreeze', { kind: 'unfreeze' }],
    ['unfreeze ops-agent', { kind: 'unfreeze', agent: 'ops-agent' }],
    ['launch', { kind: 'help', unknown: 'launch' }],
  ])('reads %j', (text, expected) => {
    expect(parseLadderCommand(text, agents)).toEqual(expected);
  });
});

describe('parseButtonClick', () => {
  const click = (overrides: Record<string, unknown> = {}) => ({
    type: 'block_actions',
    user: { id: 'U0SRE0002' },
    channel: { id: 'C00000001' },
    trigger_id: '1.abc',
    actions: [{ action_id: ACTION_IDS.approve, value: `task/ops-agent/t-1#${'b'.repeat(64)}` }],
    ...overrides,
  });

  it('takes identity from the payload user and the steps hash from the value', () => {
    expect(parseButtonClick(click())).toEqual({
      ok: true,
      click: {
        action: 'approve',
        workflowId: 'task/ops-agent/t-1',
        subject: 'b'.repeat(64),
        user: 'U0SRE0002',
        channel: 'C00000001',
        triggerId: '1.abc',
      },
    });
  });

  it('reads the name a typed-approve button carries, for the modal to ask for', () => {
    const value = buttonValue('task/ops-agent/t-1', 'c'.repeat(64), 'orders-db #1 "prod"');
    const parsed = parseButtonClick(click({ actions: [{ action_id: ACTION_IDS['approve-typed'], value }] }));
    expect(parsed).toEqual({
      ok: true,
      click: expect.objectContaining({
        action: 'approve-typed',
        subject: 'c'.repeat(64),
        typedName: 'orders-db #1 "prod"',
      }),
    });
  });

  it('knows every button by the short name its action id has in the table', () => {
    for (const [name, actionId] of Object.entries(ACTION_IDS)) {
      const parsed = parseButtonClick(click({ actions: [{ action_id: actionId, value: 'task/a/t' }] }));
      expect(parsed).toMatchObject({ ok: true, click: { action: name } });
    }
  });

  it.each([
    ['no user', click({ user: undefined }), 'no user id'],
    ['a user id that is not Slack-shaped', click({ user: { id: 'admin' } }), 'no user id'],
    ['no actions', click({ actions: [] }), 'not a Ladder button'],
    ['another app’s button', click({ actions: [{ action_id: 'other', value: 'x' }] }), 'not a Ladder button'],
    [
      'a ladder_ id that is not in the table',
      click({ actions: [{ action_id: 'ladder_nuke', value: 'task/a/t' }] }),
      'not a Ladder button',
    ],
    [
      'an id that is an Object member',
      click({ actions: [{ action_id: 'constructor', value: 'task/a/t' }] }),
      'not a Ladder button',
    ],
    ['no value', click({ actions: [{ action_id: ACTION_IDS.done }] }), 'button has no value'],
    [
      'a value that is not a workflow id',
      click({ actions: [{ action_id: ACTION_IDS.done, value: 'U0ADMIN01' }] }),
      'button value is not a workflow id: U0ADMIN01',
    ],
    [
      'a typed name that is not URI-encoded',
      click({
        actions: [{ action_id: ACTION_IDS['approve-typed'], value: `task/a/t#${'c'.repeat(64)}#%E0%A4%A` }],
      }),
      `button value is not a workflow id: ${`task/a/t#${'c'.repeat(64)}#%E0%A4%A`.slice(0, 80)}`,
    ],
    ['null', null, 'no user id'],
  ])('describes %s instead of throwing', (_name, body, reason) => {
    expect(parseButtonClick(body)).toEqual({ ok: false, reason });
  });
});

describe('taskFromDelegateModal', () => {
  const values = (v: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(v).map(([k, value]) => [
        k,
        { [k]: ['agent', 'task_class', 'action'].includes(k) ? { selected_option: { value } } : { value } },
      ]),
    );
  const good = {
    agent: 'ops-agent',
    task_class: 'config-change',
    title: 'Raise max connections',
    environment: 'staging',
    action: 'config.set',
    params: '{"file": "demo-service/config.json", "set": {"maxConnections": 80}}',
  };
  const build = (v: Record<string, string>) =>
    taskFromDelegateModal(
      values(v),
      { taskId: 'slack-1', channel: 'C1' },
      'U0SRE0002',
      policy,
      createActionRegistry(),
    );

  it('builds the task with the agent’s declared model and the verified user as requester', () => {
    const built = build(good);
    expect(built).toEqual({
      ok: true,
      task: expect.objectContaining({
        taskId: 'slack-1',
        requester: 'U0SRE0002',
        agent: {
          id: 'ops-agent',
          model: policy.agents['ops-agent'].model,
          promptVersion: policy.agents['ops-agent'].promptVersion,
        },
        steps: [
          { action: 'config.set', params: { file: 'demo-service/config.json', set: { maxConnections: 80 } } },
        ],
      }),
    });
  });

  it('puts every problem on its field at once', () => {
    const built = build({ ...good, title: '', environment: 'Prod!', action: 'sql.run', params: '{}' });
    expect(built.ok).toBe(false);
    const errors = (built as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors).sort()).toEqual(['action', 'environment', 'title']);
    expect(errors.action).toContain('"sql.run" is not allowed for task class "config-change"');
  });

  it('says when params are not a JSON object', () => {
    expect(build({ ...good, params: '[1]' })).toEqual({
      ok: false,
      errors: { params: 'expected a JSON object such as {"key": "value"}' },
    });
    expect(build({ ...good, params: 'nope' })).toMatchObject({
      ok: false,
      errors: { params: expect.stringMatching(/^expected JSON/) },
    });
  });

  it('reads empty and missing inputs as empty', () => {
    expect(inputValue(undefined, 'title')).toBe('');
    expect(inputValue({ title: { title: { value: null } } }, 'title')).toBe('');
    expect(inputValue({ agent: { agent: { selected_option: null } } }, 'agent')).toBe('');
  });
});
