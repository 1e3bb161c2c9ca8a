import { createApproverWatchLink } from '../client/approver-watch';
import { createAuthorityActivities } from './authority-activities';
import { createDrillActivities } from './drill-activities';
import { createLedgerActivities } from './ledger-activities';
import { createNotifyActivities, type NotifyActivityDeps } from './notify/notify-activities';
import { createSelfCheckActivities, type SelfCheckDeps } from './self-check';
import { createTaskActivities, type TaskActivityDeps } from './task-activities';
import { createTokenActivities } from './token-activities';

/** Everything the worker injects into activities: clients, policy, paths, notifier, identity, metrics. */
export type ActivityDeps = SelfCheckDeps & TaskActivityDeps & NotifyActivityDeps;

/**
 * Builds every activity the worker registers, closing over injected dependencies so tests and
 * the worker can supply their own clients (the pattern of temporalio/samples-typescript).
 */
export function createActivities(given: ActivityDeps) {
  // Answers reach the class's rubber-stamp watch wherever outcomes reach the ledgers.
  const deps: ActivityDeps =
    given.approverWatch || !given.ledger
      ? given
      : {
          ...given,
          approverWatch: createApproverWatchLink({
            client: given.client,
            taskQueue: given.taskQueue,
            policy: given.policy,
          }),
        };
  return {
    ...createSelfCheckActivities(deps),
    ...createTaskActivities(deps),
    ...createNotifyActivities(deps),
    ...createLedgerActivities(deps),
    ...createDrillActivities(deps),
    ...createAuthorityActivities(deps),
    ...createTokenActivities(deps),
  };
}

/** The activity interface workflows proxy; workflows import this type only, never the values. */
export type LadderActivities = ReturnType<typeof createActivities>;
export type { WorkerDescription } from './self-check';
