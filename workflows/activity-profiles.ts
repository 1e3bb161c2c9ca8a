import type { ActivityOptions } from '@temporalio/workflow';

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
} as const satisfies Record<string, ActivityOptions>;
