// The worker bundle's entry point: every workflow type Ladder registers.
export { selfCheck } from './self-check';
export { delegatedTask } from './delegated-task';
export { quotaLedger } from './quota-ledger';
export { reportDigest } from './report-digest';
export { killSwitch } from './kill-switch';
export { trustLedger } from './trust-ledger';
export { rollbackDrill } from './rollback-drill';
export { policyCanary } from './policy-canary';
export { agentTokens } from './agent-tokens';
export { policyVersions } from './policy-versions';
export { channelFeed } from './channel-feed';
export { standingApprovals } from './standing-approvals';
export { delegations } from './delegations';
export { approverWatch } from './approver-watch';
