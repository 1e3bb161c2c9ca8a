import { join } from 'node:path';
import { loadPolicyFile } from '../../../policy/loader';
import {
  allowStandingModal,
  allowStandingRefusedModal,
  CONTENT_NOT_FIXED,
  delegateModal,
  fieldForError,
  modalErrors,
  parseTaskModalMetadata,
  rejectModal,
  typedApproveModal,
  VIEW_IDS,
} from '../../../slack/blocks/modals';
import { agentStandings, statusBlocks } from '../../../slack/blocks/status';
import { blockKitProblem } from '../../../slack/emulator/block-kit-check';

const policy = loadPolicyFile(join(__dirname, '..', '..', '..', 'examples', 'policy.yaml')).policy;
const noFreeze = { all: null, agents: {}, classes: {} };

describe('modals', () => {
  it('says a standing approval fixes where the steps act, not what they write or send there', () => {
    const view = allowStandingModal(
      { workflowId: 'task/ops-agent/t1', channel: 'C1', stepsHash: 'h' },
      { maxTermMs: 3_600_000, maxUses: 3 },
      {
        agentId: 'ops-agent',
        taskClass: 'deploy',
        action: 'http.request',
        resource: 'checkout',
        environment: 'staging',
        targets: ['POST http://127.0.0.1:4100/deploys'],
      },
    );
    const intro = JSON.stringify(view.blocks[0]);
    expect(intro).toContain(
      'Only tasks whose steps act on nothing but:\\nPOST http://127.0.0.1:4100/deploys',
    );
    expect(intro).toContain(CONTENT_NOT_FIXED);
    expect(CONTENT_NOT_FIXED).toContain('another body and headers to the same URL');
    expect(blockKitProblem(view.blocks)).toBeUndefined();
  });

  it('offers the policy’s agents, classes, actions and environments, and carries the task id chosen at opening', () => {
    const view = delegateModal(policy, { taskId: 'slack-abc', channel: 'C1' });
    expect(view.title.text.length).toBeLessThanOrEqual(24);
    expect(JSON.parse(view.private_metadata!)).toEqual({ taskId: 'slack-abc', channel: 'C1' });
    const select = (id: string) =>
      (
        view.blocks.find((b) => b.block_id === id) as { element: { options: { value: string }[] } }
      ).element.options.map((o) => o.value);
    expect(select('agent')).toEqual(Object.keys(policy.agents).sort());
    expect(select('task_class')).toEqual(Object.keys(policy.taskClasses).sort());
    expect(select('action')).toContain('config.set');
    // Environments too: a free-text `prod` would miss the pins written for `production`.
    expect(select('environment')).toEqual(policy.environments);
    expect(blockKitProblem(view.blocks)).toBeUndefined();
  });

  it('maps validation errors to fields and joins several on one field within the limit', () => {
    expect(fieldForError('agent.id: unknown agent "x"')).toBe('agent');
    expect(fieldForError('taskClass: unknown task class')).toBe('task_class');
    expect(fieldForError('steps[0].action: not allowed')).toBe('action');
    expect(fieldForError('steps[0].params.file: required')).toBe('params');
    expect(fieldForError('title: expected a title')).toBe('title');
    const errors = modalErrors([
      'steps[0].params.a: x',
      'steps[0].params.b: y',
      ...Array(500).fill('title: long error'),
    ]);
    expect(errors.params).toBe('steps[0].params.a: x; steps[0].params.b: y');
    expect(errors.title.length).toBeLessThanOrEqual(2000);
  });

  it('round-trips task modal metadata and refuses anything else', () => {
    const view = typedApproveModal({
      workflowId: 'task/a/t',
      stepsHash: 'h',
      channel: 'C1',
      resource: 'orders-db',
    });
    expect(parseTaskModalMetadata(view.private_metadata)).toEqual({
      workflowId: 'task/a/t',
      stepsHash: 'h',
      channel: 'C1',
      resource: 'orders-db',
    });
    expect(JSON.stringify(view.blocks)).toContain('type *orders-db* to approve');
    expect(parseTaskModalMetadata(rejectModal({ workflowId: 'task/a/t' }, '').private_metadata)).toEqual({
      workflowId: 'task/a/t',
    });
    expect(parseTaskModalMetadata('{"taskId": 1}')).toBeUndefined();
    expect(parseTaskModalMetadata('not json')).toBeUndefined();
    expect(parseTaskModalMetadata(undefined)).toBeUndefined();
  });

  it('says why no standing approval can be made, escaped, with nothing to submit', () => {
    const metadata = { workflowId: 'task/a2/t-1', stepsHash: 'a'.repeat(64), channel: 'C1' };
    const view = allowStandingRefusedModal(metadata, 'No standing approval: <task> has *two* actions.');
    expect(view.callback_id).toBe(VIEW_IDS.allowStanding);
    expect(view.submit).toBeUndefined();
    expect(JSON.parse(view.private_metadata!)).toEqual(metadata);
    expect((view.blocks[0] as { text: { text: string } }).text.text).toBe(
      'No standing approval: &lt;task&gt; has *two* actions.',
    );
    expect(blockKitProblem(view.blocks)).toBeUndefined();
  });
});

describe('status', () => {
  it('shows each class’s earned rung and what caps it now', () => {
    const frozen = {
      all: null,
      agents: { 'ops-agent': { cap: 1, by: 'U0ADMIN01', reason: 'odd', at: 'now' } },
      classes: {},
    };
    const standings = agentStandings(policy, frozen, 'ops-agent');
    for (const s of standings) {
      expect(s.ceiling).toBeLessThanOrEqual(Math.min(s.earned, 1, policy.taskClasses[s.taskClass].cap));
    }
    const capped = standings.find((s) => s.earned > 1)!;
    expect(capped.why).toContain('frozen at 1');
    const text = JSON.stringify(statusBlocks(policy, frozen, ['ops-agent']));
    expect(text).toContain('ops-agent frozen at 1 by <@U0ADMIN01>: odd');
    expect(text).toContain('now at most 1 draft');
  });

  it('stays within 50 blocks however many agents there are', () => {
    const many = {
      ...policy,
      agents: Object.fromEntries(
        Array.from({ length: 80 }, (_, i) => [`agent-${i}`, policy.agents['ops-agent']]),
      ),
    };
    const blocks = statusBlocks(many, noFreeze);
    expect(blocks).toHaveLength(50);
    expect(JSON.stringify(blocks.at(-1))).toContain('/ladder status <agent>');
    expect(blockKitProblem(blocks)).toBeUndefined();
  });
});

describe('blockKitProblem (what the emulator refuses, as Slack does)', () => {
  it.each([
    [Array(51).fill({ type: 'divider' }), 'too many blocks: 51 (max 50)'],
    [
      [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }],
      'blocks[0].text: 1-3000 characters',
    ],
    [
      [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }],
      'blocks[0].text: 1-150 characters',
    ],
    [
      [
        {
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'x'.repeat(76) } }],
        },
      ],
      'blocks[0].elements[0].text: 1-75 characters',
    ],
    [[{ type: 'context', elements: [] }], 'blocks[0].elements: 1-10 elements'],
    [[{ type: 'marquee' }], 'blocks[0]: unsupported block type marquee'],
    ['nope', 'blocks must be an array'],
  ])('refuses %#', (blocks, problem) => {
    expect(blockKitProblem(blocks)).toBe(problem);
  });
});
