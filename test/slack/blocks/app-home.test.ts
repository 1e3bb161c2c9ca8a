import type { WaitingTask } from '../../../client/waiting-on';
import {
  appHomeView,
  HOME_STEPS_UNCONFIRMED,
  homeQuestionOf,
  plainFromUiMarkdown,
} from '../../../slack/blocks/app-home';
import { blockKitProblem } from '../../../slack/emulator/block-kit-check';
import type { TaskStatus } from '../../../workflows/messages';

const status = (over: Partial<TaskStatus>): TaskStatus => ({
  workflowId: 'task/a/1',
  phase: 'awaiting-human',
  rung: 2,
  decision: { typedConfirmation: { required: false } } as TaskStatus['decision'],
  currentStep: 0,
  stepsTotal: 1,
  waitingOn: 'approvers: U0APPR001',
  outcome: null,
  approvedBy: null,
  events: [],
  stepsHash: 'abc123',
  ...over,
});
const task = (
  over: Partial<TaskStatus> = {},
  summary = 'a · ops · staging: restart',
  i = 1,
): WaitingTask => ({
  workflowId: `task/a/${i}`,
  summary,
  details: '**Task 1**\n- step 1/1: shell.exec echo x \\> y',
  status: status({ workflowId: `task/a/${i}`, ...over }),
  stepsConfirmed: true,
});

describe('the App Home view', () => {
  it('asks what the task’s own message asks, phase by phase', () => {
    expect(homeQuestionOf(task())).toEqual({ kind: 'approval-request', actions: ['approve', 'reject'] });
    expect(
      homeQuestionOf(
        task({
          decision: { typedConfirmation: { required: true, expected: 'db' } } as TaskStatus['decision'],
        }),
      ),
    ).toEqual({ kind: 'approval-request', actions: ['approve-typed', 'reject'] });
    // Steps not confirmed to be those the hash names (unread, or edited meanwhile): no Approve here.
    const unconfirmed = { ...task(), stepsConfirmed: false };
    expect(homeQuestionOf(unconfirmed)).toEqual({ kind: 'approval-request', actions: ['reject'] });
    const home = JSON.stringify(appHomeView({ tasks: [unconfirmed], total: 1, uiLink: () => 'http://ui/x' }));
    expect(home).toContain(HOME_STEPS_UNCONFIRMED);
    expect(home).not.toContain('"ladder_approve');
    expect(homeQuestionOf(task({ rung: 0 }))).toEqual({ kind: 'suggestion', actions: ['done', 'dismiss'] });
    expect(homeQuestionOf(task({ rung: 1 }))).toEqual({ kind: 'draft', actions: ['accept', 'draft-reject'] });
    expect(homeQuestionOf(task({ phase: 'awaiting-report-read', rung: 5 }))).toEqual({
      kind: 'report',
      actions: ['mark-read', 'report-defect'],
    });
    expect(
      homeQuestionOf(
        task({ phase: 'outcome-unknown', outcomeUnknown: { id: 'q1' } as TaskStatus['outcomeUnknown'] }),
      ),
    ).toMatchObject({ kind: 'outcome-unknown', subject: 'q1' });
  });

  it('escapes what the agent wrote, binds Approve to the steps, and stays within Slack’s limits', () => {
    const hostile = task({}, 'a · ops: <!channel> <http://evil|click> *bold*');
    const many = Array.from({ length: 25 }, (_, i) => task({}, `t${i}`, i + 2));
    const view = appHomeView({ tasks: [hostile, ...many], total: 26, uiLink: (id) => `http://ui/${id}` });
    const text = JSON.stringify(view);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<http://evil|click>');
    expect(text).toContain('"value":"task/a/1#abc123"');
    expect(text).toContain('26 tasks wait on you; the newest 15 are here.');
    expect(view.blocks.filter((b) => b.type === 'actions')).toHaveLength(15);
    expect(blockKitProblem(view.blocks)).toBeUndefined();
    expect(appHomeView({ tasks: [], total: 0, uiLink: () => '' }).blocks[1]).toMatchObject({
      elements: [{ text: 'Nothing waits on you now.' }],
    });
  });

  it('shows the Temporal UI markdown of the details as plain text', () => {
    expect(plainFromUiMarkdown('**Task 1**\n- step: echo x \\> y \\*z\\*')).toBe(
      'Task 1\n- step: echo x > y *z*',
    );
  });
});
