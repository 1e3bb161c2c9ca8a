import type { IdentifiedEvent, LedgerContext } from '../../policy/ledger-reducer';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import { examplePolicyText } from './example-policy';

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

/** The example policy with its `audit:` line replaced by `audit` (YAML flow mapping). */
export function policyWithAudit(audit: string): LoadedPolicy {
  const r = parsePolicy(examplePolicyText().replace(/^audit: .*$/m, `audit: ${audit}`));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

/** Evidence that ops-agent's task `n` executed in config-change at `rung`. */
export function executedEvent(n: number, rung = 3): IdentifiedEvent {
  return {
    id: `task/ops-agent/t${n}/executed`,
    event: {
      kind: 'outcome',
      outcome: 'executed',
      workflowId: `task/ops-agent/t${n}`,
      taskClass: 'config-change',
      rung,
    },
  };
}
