import { defaultPayloadConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import {
  durationMs,
  latenessFigures,
  submitOffsetMs,
  timerToActivity,
} from '../../bench/tasks/timer-lateness';

const T = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;

// Decoded histories carry Longs; the code under test reads numbers as well, which keeps this file free of them.
const long = (n: number) => n as never;
const at = (ms: number) => ({ seconds: long(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });
const seconds = (ms: number) => ({ seconds: long(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 });

/** Builds a history event by event; each gets the next id. */
function historyBuilder() {
  const events: Event[] = [];
  const add = (eventType: number, ms: number, extra: Partial<Event> = {}): number => {
    const eventId = events.length + 1;
    events.push({ eventId: long(eventId), eventType, eventTime: at(ms), ...extra });
    return eventId;
  };
  const schedule = (ms: number, type: string, key: string): number =>
    add(T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, ms, {
      activityTaskScheduledEventAttributes: {
        activityType: { name: type },
        input: { payloads: [defaultPayloadConverter.toPayload({ key, notification: { text: 'x' } })] },
      },
    });
  const start = (ms: number, scheduledId: number): number =>
    add(T.EVENT_TYPE_ACTIVITY_TASK_STARTED, ms, {
      activityTaskStartedEventAttributes: { scheduledEventId: long(scheduledId) },
    });
  const timer = (ms: number, delayMs: number): number =>
    add(T.EVENT_TYPE_TIMER_STARTED, ms, {
      timerStartedEventAttributes: { startToFireTimeout: seconds(delayMs) },
    });
  const fire = (ms: number, startedId: number): number =>
    add(T.EVENT_TYPE_TIMER_FIRED, ms, { timerFiredEventAttributes: { startedEventId: long(startedId) } });
  return { events, add, schedule, start, timer, fire };
}

/**
 * A rung-5 task: its report posted at 1 s, a sweep timer of 120 s and the escalation timer of
 * 10 s started at 1.2 s; the escalation timer fires at 11.25 s, the ping is scheduled at 11.29 s
 * and starts at 11.31 s.
 */
function reportHistory(): Event[] {
  const h = historyBuilder();
  h.add(T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, 0);
  const report = h.schedule(1_000, 'notify', 'task/a/1/report');
  h.start(1_010, report);
  h.add(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 1_100);
  h.timer(1_200, 120_000);
  const escalationTimer = h.timer(1_200, 10_000);
  h.fire(11_250, escalationTimer);
  h.add(T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, 11_280);
  const audit = h.schedule(11_290, 'recordOutcome', 'task/a/1/report-escalation-0');
  const ping = h.schedule(11_290, 'notify', 'task/a/1/report-escalation-0');
  h.start(11_300, audit);
  h.start(11_310, ping);
  h.add(T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, 11_400);
  return h.events;
}

describe('timer → activity lateness from history', () => {
  const spec = { activityType: 'notify', keySuffix: '/report-escalation-0' };

  it('finds the ping by type and key, and the timer that released it', () => {
    expect(timerToActivity(reportHistory(), spec)).toEqual({
      dueMs: 11_200,
      firedMs: 11_250,
      scheduledMs: 11_290,
      startedMs: 11_310,
    });
    expect(timerToActivity(reportHistory(), { ...spec, delayMs: 10_000 })?.dueMs).toBe(11_200);
  });

  it('skips a fired timer of another delay when the delay is given', () => {
    const h = historyBuilder();
    const escalation = h.timer(1_000, 10_000);
    const other = h.timer(1_000, 10_030);
    h.fire(11_020, escalation);
    h.fire(11_035, other);
    const ping = h.schedule(11_050, 'notify', 'w/report-escalation-0');
    h.start(11_060, ping);
    expect(timerToActivity(h.events, { ...spec, delayMs: 10_000 })).toMatchObject({
      dueMs: 11_000,
      firedMs: 11_020,
    });
    // Without the delay, the last timer fired before the ping counts.
    expect(timerToActivity(h.events, spec)).toMatchObject({ dueMs: 11_030, firedMs: 11_035 });
  });

  it('answers undefined when the ping, its timer or its start is not in the history', () => {
    expect(timerToActivity(reportHistory(), { ...spec, keySuffix: '/report-escalation-1' })).toBeUndefined();
    expect(timerToActivity(reportHistory(), { ...spec, activityType: 'baselinePost' })).toBeUndefined();
    expect(timerToActivity(reportHistory(), { ...spec, delayMs: 5_000 })).toBeUndefined();
    const unstarted = reportHistory().filter(
      (e) => !(e.eventType === T.EVENT_TYPE_ACTIVITY_TASK_STARTED && e.eventId === long(12)),
    );
    expect(timerToActivity(unstarted, spec)).toBeUndefined();
    const unfired = reportHistory().filter((e) => e.eventType !== T.EVENT_TYPE_TIMER_FIRED);
    expect(timerToActivity(unfired, spec)).toBeUndefined();
  });

  it('reads durations in whole and partial seconds, as numbers or Longs', () => {
    expect(durationMs({ seconds: 10, nanos: 250_000_000 })).toBe(10_250);
    expect(durationMs({ seconds: { toNumber: () => 3 }, nanos: 0 })).toBe(3_000);
    expect(durationMs(undefined)).toBe(0);
  });

  it('summarises lateness and its three legs, and the spread of due times', () => {
    const figures = latenessFigures([
      { dueMs: 1_000, firedMs: 1_010, scheduledMs: 1_050, startedMs: 1_060 },
      { dueMs: 31_000, firedMs: 31_005, scheduledMs: 31_200, startedMs: 31_300 },
    ]);
    expect(figures.lateness).toEqual({ count: 2, p50: 60, p99: 300, max: 300 });
    expect(figures.dueToFired.p99).toBe(10);
    expect(figures.firedToScheduled.p99).toBe(195);
    expect(figures.scheduledToStarted.p99).toBe(100);
    expect(figures.dueSpreadSeconds).toBe(30);
    expect(latenessFigures([]).dueSpreadSeconds).toBeNaN();
  });

  it('spreads submissions evenly from 0 to the whole spread', () => {
    expect([0, 1, 2, 3, 4].map((i) => submitOffsetMs(i, 5, 60_000))).toEqual([
      0, 15_000, 30_000, 45_000, 60_000,
    ]);
    expect(submitOffsetMs(0, 1, 60_000)).toBe(0);
  });
});
