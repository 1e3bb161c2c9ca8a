import { temporal } from '@temporalio/proto';
import { activityStartedAtMs, countHistory, epochMs, meanCounts } from '../../bench/tasks/history-counts';

const T = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

// Decoded histories carry Longs; the code under test reads numbers as well, which keeps this file free of them.
const long = (n: number) => n as never;
const at = (ms: number) => ({ seconds: long(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });

/** A history of a workflow that runs one local activity, two activities and a timer. */
function history(): Event[] {
  let id = 0;
  const e = (eventType: number, extra: Partial<Event> = {}, ms = 1_000): Event => ({
    eventId: long(++id),
    eventType,
    eventTime: at(ms),
    ...extra,
  });
  return [
    e(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
    e(T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
    e(T.EVENT_TYPE_WORKFLOW_TASK_STARTED),
    e(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    e(T.EVENT_TYPE_MARKER_RECORDED, { markerRecordedEventAttributes: { markerName: 'core_local_activity' } }),
    e(T.EVENT_TYPE_MARKER_RECORDED, { markerRecordedEventAttributes: { markerName: 'core_patch' } }),
    e(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: { activityType: { name: 'decideTask' } },
    }),
    e(
      T.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      { activityTaskStartedEventAttributes: { scheduledEventId: long(7) } },
      1_100,
    ),
    e(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
    e(T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
    e(T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
    e(T.EVENT_TYPE_TIMER_STARTED),
    e(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    e(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
      activityTaskScheduledEventAttributes: { activityType: { name: 'executeStep' } },
    }),
    e(
      T.EVENT_TYPE_ACTIVITY_TASK_STARTED,
      { activityTaskStartedEventAttributes: { scheduledEventId: long(14) } },
      2_345,
    ),
    e(T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
  ];
}

describe('history counts', () => {
  it('counts events, workflow tasks, activities by type, local activities, timers, signals and updates', () => {
    const counts = countHistory(history());
    expect(counts).toMatchObject({
      events: 16,
      workflowTasks: 2,
      activities: 2,
      localActivities: 1,
      timers: 1,
      signals: 1,
      updates: 1,
      activityTypes: { decideTask: 1, executeStep: 1 },
    });
    expect(counts.eventTypes.MARKER_RECORDED).toBe(2);
    expect(counts.eventTypes.WORKFLOW_TASK_COMPLETED).toBe(2);
  });

  it('averages samples field by field, a type missing from one sample counting 0 there', () => {
    const one = countHistory(history());
    const other = countHistory(history().slice(0, 4));
    const mean = meanCounts([one, other]);
    expect(mean.events).toBe(10);
    expect(mean.workflowTasks).toBe(1.5);
    expect(mean.activityTypes).toEqual({ decideTask: 0.5, executeStep: 0.5 });
    expect(meanCounts([]).events).toBeNaN();
  });

  it('finds when an activity of a given type started, by its scheduled event id', () => {
    expect(activityStartedAtMs(history(), 'executeStep')).toBe(2_345);
    expect(activityStartedAtMs(history(), 'decideTask')).toBe(1_100);
    expect(activityStartedAtMs(history(), 'notify')).toBeUndefined();
    // Scheduled but not started yet.
    expect(activityStartedAtMs(history().slice(0, 14), 'executeStep')).toBeUndefined();
  });
});

describe('epochMs', () => {
  it('reads seconds given as a number or as a Long, and whole milliseconds of the nanos', () => {
    expect(epochMs({ seconds: long(2), nanos: 500_999_999 })).toBe(2_500);
    expect(epochMs({ seconds: { toNumber: () => 3 } as never, nanos: 1_000_000 })).toBe(3_001);
    expect(epochMs({})).toBe(0);
  });
});
