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
  releaseQuotaSignal,
  reserveQuotaUpdate,
  type QuotaReply,
  type QuotaRequest,
} from './messages';

/** The ledger's durable state, carried across continue-as-new. */
export interface QuotaLedgerState {
  countUsed: number;
  costUsedUsd: number;
  /** Granted reservations by requesting workflow ID, so a repeated request gets the same answer. */
  granted: Record<string, { costUsd: number }>;
}

/** One ledger per agent × class × UTC day: it ends once it has been left alone this long, in ms. */
const IDLE_END_MS = 26 * 60 * 60 * 1000;

/**
 * Per agent × task class × day usage ledger (`quota/<agent>/<class>/<day>`). Reservations arrive
 * as updates carrying a batch of requests, and a workflow runs one handler at a time, so
 * concurrent tasks are serialised: with a quota of M, exactly M are granted.
 */
export async function quotaLedger(initial?: QuotaLedgerState): Promise<void> {
  const state: QuotaLedgerState = initial ?? { countUsed: 0, costUsedUsd: 0, granted: {} };
  // Handlers only note the time: a reservation must not wake the loop, or every one would cancel
  // and start the idle timer again (two more events and two timer writes on each task's path).
  let touchedAtMs = workflowNowMs();
  setHandler(reserveQuotaUpdate, (requests) => {
    touchedAtMs = workflowNowMs();
    return requests.map((request) => answer(state, request));
  });
  setHandler(releaseQuotaSignal, ({ requesterWorkflowId }) => {
    touchedAtMs = workflowNowMs();
    const grant = state.granted[requesterWorkflowId];
    if (!grant) return;
    delete state.granted[requesterWorkflowId];
    state.countUsed -= 1;
    state.costUsedUsd -= grant.costUsd;
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
      await continueAsNew<typeof quotaLedger>(state);
    }
  }
}

function answer(state: QuotaLedgerState, request: QuotaRequest): QuotaReply {
  if (state.granted[request.requesterWorkflowId]) {
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
    state.granted[request.requesterWorkflowId] = { costUsd: request.costUsd };
  }
  return { granted: reason === null, countUsed: state.countUsed, costUsedUsd: state.costUsedUsd, reason };
}
