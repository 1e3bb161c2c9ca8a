import {
  ActivityCancellationType,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { Priority } from '@temporalio/common';

/**
 * The priority of a step's effect: ahead of the bookkeeping its workflow task schedules beside it
 * (outcome record, message update; they keep the task's 3), behind the entity workflows (1). With
 * many approvals at once the step then starts first instead of queueing behind their bookkeeping.
 */
export const STEP_PRIORITY: Priority = { priorityKey: 2 };

/**
 * Named timeout and retry profiles, so every activity call states which kind of work it is
 * instead of repeating numbers.
 */
export const ActivityProfiles = {
  /** Local, read-only work that answers in milliseconds; a few fast retries. */
  quick: {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds', maximumAttempts: 5 },
  },
  /**
   * What a long-lived entity workflow cannot live without (who may answer it, with which keys):
   * retried until it answers, so an overloaded worker delays the entity but never fails it.
   */
  authority: {
    startToCloseTimeout: '10 seconds',
    retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  },
  /** Messages to people: a rate limit (429) or outage delays them but never loses them. */
  notify: {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
  },
  /** Tidying that must not hold a task forever (removing a late duplicate message): a few tries. */
  cleanup: {
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: 5,
    },
  },
  /** One action step: real side effects, idempotent by key; permanent errors are not retried. */
  action: {
    // Above shell.exec's longest timeout (60 min): a step is never cut off and retried mid-effect.
    // A dead worker is noticed by the heartbeat timeout, not this.
    startToCloseTimeout: '65 minutes',
    // A crashed worker's step is retried after this, and a cancellation reaches a running step
    // within about 80% of it (heartbeat throttling); activities heartbeat every second.
    heartbeatTimeout: '5 seconds',
    // On cancellation, wait until the step has really stopped before unwinding what ran.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: {
      initialInterval: '1 second',
      maximumInterval: '30 seconds',
      maximumAttempts: 5,
      nonRetryableErrorTypes: ['PermanentActionError'],
    },
  },
  /** Undoing a step: retried harder than the step itself, then escalated as rollback-failed. */
  compensation: {
    startToCloseTimeout: '65 minutes',
    heartbeatTimeout: '10 seconds',
    retry: {
      initialInterval: '500 milliseconds',
      maximumInterval: '10 seconds',
      maximumAttempts: 4,
      nonRetryableErrorTypes: ['PermanentActionError'],
    },
  },
} as const satisfies Record<string, ActivityOptions>;

/**
 * How often entity workflows (kill switch, trust ledger, token registry) reread the admins and
 * answer keys of the policy in force when nobody asks, so a revoked key or removed admin stops
 * working within this time.
 */
export const AUTHORITY_REFRESH = '10 minutes';
/** {@link AUTHORITY_REFRESH} in milliseconds, for waits computed with other deadlines. */
export const AUTHORITY_REFRESH_MS = 10 * 60 * 1000;

/** Local activities: a few milliseconds in the worker, no task-queue round trip. */
export const LocalActivityProfiles = {
  /** Reads the worker's in-memory policy; retried briefly, never long. */
  lookup: {
    startToCloseTimeout: '5 seconds',
    retry: { initialInterval: '100 milliseconds', maximumInterval: '1 second', maximumAttempts: 5 },
  },
  /**
   * A task's decision: the policy in memory, the agent's entity workflows read side by side (one
   * coalesced query each per worker) and the quota reservation. Local: no task-queue round trip and
   * no workflow task of its own on the way to the first step or request. A local activity holds its
   * workflow task's slot while it runs; the entities it waits on run on their own queue and worker
   * (`entityTaskQueue`), so a burst of deciding tasks cannot starve them. Retried until it answers,
   * so under load a task waits instead of failing undecided.
   */
  decision: {
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds' },
  },
} as const satisfies Record<string, LocalActivityOptions>;
