import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** The local-activity marker the TypeScript SDK's core records for each local activity. */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** What one workflow execution cost in history, counted from its events. */
export interface HistoryCounts {
  events: number;
  /** Completed workflow tasks: each is a round trip between the server and the worker. */
  workflowTasks: number;
  /** Activities scheduled through the task queue (every attempt of one counts once). */
  activities: number;
  /** Local activities (markers): run inside the workflow task, no task-queue round trip. */
  localActivities: number;
  timers: number;
  signals: number;
  updates: number;
  /** Scheduled activities by type, e.g. `{ executeStep: 1, notify: 1 }`. */
  activityTypes: Record<string, number>;
  /** Events by type name without the EVENT_TYPE_ prefix, e.g. `{ ACTIVITY_TASK_SCHEDULED: 6 }`. */
  eventTypes: Record<string, number>;
}

function typeName(event: HistoryEvent): string {
  const name = EventType[event.eventType ?? 0] ?? `UNKNOWN_${event.eventType}`;
  return name.replace(/^EVENT_TYPE_/, '');
}

/** Counts events, workflow tasks, activities and the rest in one execution's history. Pure. */
export function countHistory(events: readonly HistoryEvent[]): HistoryCounts {
  const counts: HistoryCounts = {
    events: events.length,
    workflowTasks: 0,
    activities: 0,
    localActivities: 0,
    timers: 0,
    signals: 0,
    updates: 0,
    activityTypes: {},
    eventTypes: {},
  };
  for (const event of events) {
    const name = typeName(event);
    counts.eventTypes[name] = (counts.eventTypes[name] ?? 0) + 1;
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        counts.workflowTasks++;
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
        counts.activities++;
        const type = event.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        counts.activityTypes[type] = (counts.activityTypes[type] ?? 0) + 1;
        break;
      }
      case EventType.EVENT_TYPE_MARKER_RECORDED:
        if (event.markerRecordedEventAttributes?.markerName === LOCAL_ACTIVITY_MARKER)
          counts.localActivities++;
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        counts.timers++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        counts.signals++;
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        counts.updates++;
        break;
    }
  }
  return counts;
}

/** The mean of several executions' counts, field by field (type maps included). Pure. */
export function meanCounts(samples: readonly HistoryCounts[]): HistoryCounts {
  const n = samples.length;
  const mean = (pick: (c: HistoryCounts) => number): number =>
    n === 0 ? NaN : samples.reduce((sum, c) => sum + pick(c), 0) / n;
  const meanMap = (pick: (c: HistoryCounts) => Record<string, number>): Record<string, number> => {
    const keys = new Set(samples.flatMap((c) => Object.keys(pick(c))));
    return Object.fromEntries([...keys].sort().map((k) => [k, mean((c) => pick(c)[k] ?? 0)]));
  };
  return {
    events: mean((c) => c.events),
    workflowTasks: mean((c) => c.workflowTasks),
    activities: mean((c) => c.activities),
    localActivities: mean((c) => c.localActivities),
    timers: mean((c) => c.timers),
    signals: mean((c) => c.signals),
    updates: mean((c) => c.updates),
    activityTypes: meanMap((c) => c.activityTypes),
    eventTypes: meanMap((c) => c.eventTypes),
  };
}

/**
 * When the first activity of type `activityType` started, in epoch ms: the time of its
 * ActivityTaskStarted event (the server writes it with the time the worker picked the task up).
 * Pure.
 *
 * @returns undefined when no such activity started in these events.
 */
export function activityStartedAtMs(
  events: readonly HistoryEvent[],
  activityType: string,
): number | undefined {
  const scheduled = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === activityType,
  );
  if (!scheduled?.eventId) return undefined;
  const scheduledId = String(scheduled.eventId);
  const started = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
      String(e.activityTaskStartedEventAttributes?.scheduledEventId) === scheduledId,
  );
  return started?.eventTime ? epochMs(started.eventTime) : undefined;
}

/** Epoch milliseconds of a protobuf timestamp whose seconds are a number or a Long. Pure. */
export function epochMs(ts: temporal.api.history.v1.IHistoryEvent['eventTime']): number {
  const s = ts?.seconds;
  const seconds = typeof s === 'number' ? s : s ? s.toNumber() : 0;
  return seconds * 1000 + Math.floor((ts?.nanos ?? 0) / 1e6);
}
