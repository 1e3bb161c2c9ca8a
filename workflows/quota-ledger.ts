import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  quotaReplySignal,
  quotaUsageQuery,
  releaseQuotaSignal,
  reserveQuotaSignal,
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

const IDLE_END = '26 hours'; // one ledger per agent × class × UTC day; it ends once the day is long over

/**
 * Per agent × task class × day usage ledger (`quota/<agent>/<class>/<day>`). Requests arrive as
 * signals and are answered one at a time with a signal back, so concurrent tasks are serialised:
 * with a quota of M, exactly M are granted, and a burst of any size cannot hit the limit of 10
 * in-flight updates per workflow.
 */
export async function quotaLedger(initial?: QuotaLedgerState): Promise<void> {
  const state: QuotaLedgerState = initial ?? { countUsed: 0, costUsedUsd: 0, granted: {} };
  const pending: QuotaRequest[] = [];
  setHandler(reserveQuotaSignal, (request) => {
    pending.push(request);
  });
  setHandler(releaseQuotaSignal, ({ requesterWorkflowId }) => {
    const grant = state.granted[requesterWorkflowId];
    if (!grant) return;
    delete state.granted[requesterWorkflowId];
    state.countUsed -= 1;
    state.costUsedUsd -= grant.costUsd;
  });
  setHandler(quotaUsageQuery, () => ({ countUsed: state.countUsed, costUsedUsd: state.costUsedUsd }));

  for (;;) {
    if (!(await condition(() => pending.length > 0, IDLE_END))) return;
    while (pending.length > 0) {
      const request = pending.shift()!;
      const reply = answer(state, request);
      try {
        await getExternalWorkflowHandle(request.requesterWorkflowId).signal(quotaReplySignal, reply);
      } catch {
        // The requester has ended (cancelled or timed out): give its grant back.
        if (reply.granted && state.granted[request.requesterWorkflowId]) {
          delete state.granted[request.requesterWorkflowId];
          state.countUsed -= 1;
          state.costUsedUsd -= request.costUsd;
        }
      }
    }
    // Only with nothing pending: signals buffered across continue-as-new would be lost.
    if (workflowInfo().continueAsNewSuggested && pending.length === 0)
      await continueAsNew<typeof quotaLedger>(state);
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
