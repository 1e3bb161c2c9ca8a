import type { LedgerContext } from '../../policy/ledger-reducer';
import type { LoadedPolicy } from '../../policy/loader';

/**
 * A ledger reducer's context at `nowMs` for `policy`, with every class's higher-rung infrastructure
 * in place (bounds, compensations, a passed drill, a report), so only the evidence decides.
 */
export function ledgerContext(policy: LoadedPolicy, nowMs: number): LedgerContext {
  return {
    policy,
    nowMs,
    infrastructure: () => ({
      boundsDefined: true,
      compensationForEveryAction: true,
      rollbackDrillPassed: true,
      reportWithReadSla: true,
    }),
  };
}
