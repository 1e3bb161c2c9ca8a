import {
  batchBlockerOf,
  classesWithApprovals,
  groupByClass,
  isApprovalRequest,
  type PendingApproval,
} from '../../client/pending-tasks';
import type { WaitingTask } from '../../client/waiting-on';
import type { TaskStatus } from '../../workflows/messages';

const approval = (over: Partial<PendingApproval> = {}): PendingApproval => ({
  workflowId: 'task/a2/t-1',
  agentId: 'a2',
  taskClass: 'ops',
  title: 't',
  environment: 'staging',
  requester: 'U0APPR001',
  steps: [{ action: 'shell.exec', params: { command: 'true' } }],
  stepsHash: 'a'.repeat(64),
  stepsConfirmed: true,
  approvers: ['U0APPR001', 'U0APPR002'],
  twoPersonRule: true,
  typedConfirmation: null,
  waitsOnPerson: true,
  ...over,
});

const waiting = (taskClass: string, over: Partial<TaskStatus> = {}): WaitingTask => ({
  workflowId: `task/a/${Math.random()}`,
  summary: '',
  details: '',
  status: {
    workflowId: 'x',
    phase: 'awaiting-human',
    rung: 2,
    decision: { taskClass } as TaskStatus['decision'],
    currentStep: 0,
    stepsTotal: 1,
    waitingOn: 'approvers: U0APPR001',
    outcome: null,
    approvedBy: null,
    events: [],
    stepsHash: 'h',
    ...over,
  },
  stepsConfirmed: true,
});

describe('what may be approved in a batch', () => {
  it('keeps out the requester’s own request under the two-person rule and any typed confirmation', () => {
    expect(batchBlockerOf(approval(), 'U0APPR002')).toBeUndefined();
    expect(batchBlockerOf(approval({ requester: 'U0APPR002' }), 'U0APPR002')).toEqual({
      kind: 'two-person-rule',
      requester: 'U0APPR002',
    });
    // Without the rule, the requester may approve (the workflow agrees).
    expect(
      batchBlockerOf(approval({ requester: 'U0APPR002', twoPersonRule: false }), 'U0APPR002'),
    ).toBeUndefined();
    expect(batchBlockerOf(approval({ typedConfirmation: 'orders-db' }), 'U0APPR002')).toEqual({
      kind: 'typed-confirmation',
      expected: 'orders-db',
    });
    // Steps read that are not those the approval would bind to (an edit between the reads).
    expect(batchBlockerOf(approval({ stepsConfirmed: false }), 'U0APPR002')).toEqual({
      kind: 'steps-changed',
    });
  });

  it('counts approval requests per class, not drafts, reports or unknown outcomes', () => {
    expect(isApprovalRequest(waiting('ops').status)).toBe(true);
    expect(isApprovalRequest(waiting('ops', { rung: 1 }).status)).toBe(false);
    expect(isApprovalRequest(waiting('ops', { phase: 'outcome-unknown' }).status)).toBe(false);
    const tasks = [
      waiting('ops'),
      waiting('fast'),
      waiting('ops'),
      waiting('db'),
      waiting('db'),
      waiting('db'),
      waiting('ops', { rung: 1 }),
      waiting('fast', { phase: 'awaiting-report-read' }),
    ];
    expect(classesWithApprovals(tasks)).toEqual([
      { taskClass: 'db', count: 3 },
      { taskClass: 'ops', count: 2 },
    ]);
    expect(classesWithApprovals(tasks, 1)).toContainEqual({ taskClass: 'fast', count: 1 });
  });

  it('groups by class in order', () => {
    const groups = groupByClass([
      approval({ workflowId: '1' }),
      approval({ workflowId: '2', taskClass: 'db' }),
      approval({ workflowId: '3' }),
    ]);
    expect([...groups.keys()]).toEqual(['ops', 'db']);
    expect(groups.get('ops')!.map((t) => t.workflowId)).toEqual(['1', '3']);
  });
});
