import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { workflowNowMs } from './clock';
import {
  quotaUsageQuery,
  reserveQuotaUpdate,
  type QuotaReply,
  type QuotaRequest,
  type QuotaUsage,
} from './messages';

/** The ledger's durable state, carried across continue-as-new. */
export interface QuotaLedgerState {
  countUsed: number;
  costUsedUsd: number;
  /**
   * The requesting workflow IDs granted a run, so a repeated request (a decision run again after a
   * worker crash) gets the same answer. At most the day's count limit of them: only grants are kept.
   */
  granted: string[];
}

/** One ledger per agent × class × UTC day: it ends once it has been left alone this long, in ms. */
const IDLE_END_MS = 26 * 60 * 60 * 1000;

/**
 * Per agent × task class × day usage ledger (`quota/<agent>/<class>/<day>`). Reservations arrive
 * as updates carrying a batch of requests, and a workflow runs one handler at a time, so
 * concurrent tasks are serialised: with a quota of M, exactly M are granted.
 */
export async function quotaLedger(initial?: QuotaLedgerState): Promise<void> {
  const state: QuotaLedgerState = initial ?? { countUsed: 0, costUsedUsd: 0, granted: [] };
  const granted = new Set(state.granted);
  // Handlers only note the time: a reservation must not wake the loop, or every one would cancel
  // and start the idle timer again (two more events and two timer writes on each task's path).
  let touchedAtMs = workflowNowMs();
  setHandler(reserveQuotaUpdate, (requests) => {
    touchedAtMs = workflowNowMs();
    return requests.map((request) => answer(state, granted, request));
  });
  setHandler(quotaUsageQuery, () => ({ countUsed: state.countUsed, costUsedUsd: state.costUsedUsd }));

  for (;;) {
    // One timer for as long as the ledger is in use: when it fires after a touch, the next one
    // runs for what is left of the idle period since that touch.
    const idleLeftMs = touchedAtMs + IDLE_END_MS - workflowNowMs();
    if (idleLeftMs <= 0 && allHandlersFinished()) return;
    await condition(() => workflowInfo().continueAsNewSuggested, Math.max(idleLeftMs, 1000));
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof quotaLedger>({ ...state, granted: [...granted] });
    }
  }
}

/** Answers one request against the day's `state` (updated when granted) and the ids `granted` so far. */
function answer(state: QuotaUsage, granted: Set<string>, request: QuotaRequest): QuotaReply {
  if (granted.has(request.requesterWorkflowId)) {
    return { granted: true, countUsed: state.countUsed, costUsedUsd: state.costUsedUsd, reason: null };
  }
  const { count, costUsd } = request.limits;
  let reason: string | null = null;
  if (state.countUsed + 1 > count)
    reason = `daily quota: ${state.countUsed} of ${count} autonomous tasks already used`;
  else if (state.costUsedUsd + request.costUsd > costUsd) {
    reason = `daily budget: $${state.costUsedUsd} used, $${request.costUsd} more exceeds $${costUsd}`;
  }
  if (reason === null) {
    state.countUsed += 1;
    state.costUsedUsd += request.costUsd;
    granted.add(request.requesterWorkflowId);
  }
  return { granted: reason === null, countUsed: state.countUsed, costUsedUsd: state.costUsedUsd, reason };
}
