// How late a timer's work starts, read from one workflow history: from the moment a timer was due
// to the moment the activity it released started. Pure, so the arithmetic is tested apart from
// the runs that produce the histories.
import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { summarize, type LatencySummary } from '../latency-stats';
import { epochMs } from './history-counts';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

/** The moments between a timer coming due and the activity it released starting, in epoch ms. */
export interface TimerToActivity {
  /** TimerStarted's time plus its start-to-fire timeout. */
  dueMs: number;
  /** TimerFired's time: when the server fired it. */
  firedMs: number;
  /** ActivityTaskScheduled's time: when the worker's answer to the fired timer reached history. */
  scheduledMs: number;
  /** ActivityTaskStarted's time: when a worker picked the activity up. */
  startedMs: number;
}

/** Milliseconds of a protobuf duration whose seconds are a number or a Long. Pure. */
export function durationMs(d: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  const s = d?.seconds as number | { toNumber(): number } | null | undefined;
  const seconds = typeof s === 'number' ? s : s ? s.toNumber() : 0;
  return seconds * 1000 + Math.floor((d?.nanos ?? 0) / 1e6);
}

/** The `key` of an activity's first argument (Ladder's notify and the baseline's post both take one). */
function firstArgumentKey(event: HistoryEvent): string | undefined {
  const payload = event.activityTaskScheduledEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  try {
    const arg = defaultPayloadConverter.fromPayload<{ key?: unknown }>(payload);
    return typeof arg?.key === 'string' ? arg.key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * In one history, the activity of type `activityType` whose first argument's `key` ends with
 * `keySuffix` (e.g. a report's first escalation ping), the timer that released it (the last timer
 * fired before it was scheduled, of `delayMs` when given), and when each came due, fired, was
 * scheduled and started. Pure.
 *
 * @returns undefined when the history holds no such activity, no fired timer before it, or the
 *   activity has not started (its ActivityTaskStarted is written when it completes).
 */
export function timerToActivity(
  events: readonly HistoryEvent[],
  spec: { activityType: string; keySuffix: string; delayMs?: number },
): TimerToActivity | undefined {
  const scheduledAt = events.findIndex(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === spec.activityType &&
      firstArgumentKey(e)?.endsWith(spec.keySuffix) === true,
  );
  if (scheduledAt < 0) return undefined;
  const scheduled = events[scheduledAt];
  const startedOf = new Map(
    events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_TIMER_STARTED)
      .map((e) => [String(e.eventId), e]),
  );
  let timerStarted: HistoryEvent | undefined;
  let timerFired: HistoryEvent | undefined;
  for (let i = scheduledAt - 1; i >= 0 && !timerFired; i--) {
    const e = events[i];
    if (e.eventType !== EventType.EVENT_TYPE_TIMER_FIRED) continue;
    const started = startedOf.get(String(e.timerFiredEventAttributes?.startedEventId));
    const delay = durationMs(started?.timerStartedEventAttributes?.startToFireTimeout);
    if (started && (spec.delayMs === undefined || delay === spec.delayMs)) {
      timerStarted = started;
      timerFired = e;
    }
  }
  if (!timerStarted || !timerFired) return undefined;
  const scheduledId = String(scheduled.eventId);
  const activityStarted = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED &&
      String(e.activityTaskStartedEventAttributes?.scheduledEventId) === scheduledId,
  );
  if (!activityStarted?.eventTime) return undefined;
  return {
    dueMs:
      epochMs(timerStarted.eventTime) +
      durationMs(timerStarted.timerStartedEventAttributes?.startToFireTimeout),
    firedMs: epochMs(timerFired.eventTime),
    scheduledMs: epochMs(scheduled.eventTime),
    startedMs: epochMs(activityStarted.eventTime),
  };
}

/** Lateness of many timers, whole and in its three legs, and how far apart their due times were. */
export interface LatenessFigures {
  /** Due → the released activity started: the figure the target is about. */
  lateness: LatencySummary;
  /** Due → fired (the server's timer queue). */
  dueToFired: LatencySummary;
  /** Fired → activity scheduled (a workflow task on the worker and its round trip). */
  firedToScheduled: LatencySummary;
  /** Scheduled → started (the activity task queue). */
  scheduledToStarted: LatencySummary;
  /** Seconds from the first timer's due time to the last one's. */
  dueSpreadSeconds: number;
}

/** The figures of a set of timers (any order). Pure. */
export function latenessFigures(timings: readonly TimerToActivity[]): LatenessFigures {
  const dues = timings.map((t) => t.dueMs);
  return {
    lateness: summarize(timings.map((t) => t.startedMs - t.dueMs)),
    dueToFired: summarize(timings.map((t) => t.firedMs - t.dueMs)),
    firedToScheduled: summarize(timings.map((t) => t.scheduledMs - t.firedMs)),
    scheduledToStarted: summarize(timings.map((t) => t.startedMs - t.scheduledMs)),
    dueSpreadSeconds: timings.length === 0 ? NaN : (Math.max(...dues) - Math.min(...dues)) / 1000,
  };
}

/**
 * When submission `index` of `count`, spread evenly over `spreadMs`, is due, in ms after the
 * first: 0 for the first and `spreadMs` for the last. Pure.
 */
export function submitOffsetMs(index: number, count: number, spreadMs: number): number {
  return count <= 1 ? 0 : Math.round((index * spreadMs) / (count - 1));
}
