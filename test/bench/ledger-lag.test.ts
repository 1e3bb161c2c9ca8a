import { temporal } from '@temporalio/proto';
import { ledgerLagTable, workflowTaskWaits } from '../../bench/tasks/ledger-lag';

const T = temporal.api.enums.v1.EventType;
const at = (ms: number) => ({ seconds: Math.floor(ms / 1000) as never, nanos: (ms % 1000) * 1e6 });
const event = (
  eventType: temporal.api.enums.v1.EventType,
  ms: number,
): temporal.api.history.v1.IHistoryEvent =>
  ({ eventType, eventTime: at(ms) }) as temporal.api.history.v1.IHistoryEvent;

describe('workflowTaskWaits', () => {
  it('measures each workflow task from its first schedule to its start, through a sticky timeout', () => {
    const history = [
      event(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 1_000),
      event(T.EVENT_TYPE_WORKFLOW_TASK_STARTED, 1_020),
      event(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 1_030),
      event(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 5_000),
      // Sticky schedule-to-start timed out after 10 s; rescheduled on the normal queue.
      event(T.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, 15_000),
      event(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 15_000),
      event(T.EVENT_TYPE_WORKFLOW_TASK_STARTED, 20_000),
      event(T.EVENT_TYPE_WORKFLOW_TASK_FAILED, 20_500),
      event(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, 20_600),
      event(T.EVENT_TYPE_WORKFLOW_TASK_STARTED, 20_700),
    ];
    expect(workflowTaskWaits(history, 0)).toEqual({ waits: [20, 15_000, 100], timedOut: 1, failed: 1 });
    // Only what happened since the round began counts.
    expect(workflowTaskWaits(history, 16_000)).toEqual({ waits: [15_000, 100], timedOut: 0, failed: 1 });
  });
});

describe('ledgerLagTable', () => {
  it('says when the ledger never caught up', () => {
    const table = ledgerLagTable('a1', {
      runs: 2,
      workflowTasks: 10,
      waitMs: { count: 10, p50: 5, p99: 40, max: 45_000 },
      timedOut: 1,
      failed: 0,
      caughtUpSeconds: null,
    });
    expect(table).toContain('10 / 2');
    expect(table).toContain('5 / 40 / 45000');
    expect(table).toContain('never (gave up)');
  });
});
