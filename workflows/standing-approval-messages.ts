// Messages of the standing-approvals registry, shared by the workflow, the worker's decision
// activity, the Slack app and the CLI.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Proven } from '../policy/answer-proof';
import type {
  StandingApproval,
  StandingScope,
  StandingUse,
  StandingUseRequest,
} from '../policy/standing-approvals';
import type { Receipt } from './messages';

export type { StandingApproval, StandingScope, StandingUse, StandingUseRequest };

/** A person allows an agent an action on the targets of one task for `termMs`, at most `maxUses` times. */
export interface GrantStandingArgs extends Proven, StandingScope {
  /** Verified identity of the person granting it: an approver of the class or an admin. */
  by: string;
  /** How long it lasts from the moment the registry accepts it, in milliseconds. */
  termMs: number;
  maxUses: number;
  /** The task whose approval message it was created from, if any. */
  fromTask?: string;
}

/** A person withdraws a standing approval at once: its grantor, an approver of the class, or an admin. */
export interface RevokeStandingArgs extends Proven {
  by: string;
  id: string;
}

export const grantStandingApprovalUpdate = defineUpdate<StandingApproval, [GrantStandingArgs]>(
  'grantStandingApproval',
);
export const revokeStandingApprovalUpdate = defineUpdate<Receipt, [RevokeStandingArgs]>(
  'revokeStandingApproval',
);
/** Uses one standing approval for a task, or answers null when none covers it. */
export const useStandingApprovalUpdate = defineUpdate<StandingUse | null, [StandingUseRequest]>(
  'useStandingApproval',
);
/** Every standing approval kept: in force, and those ended in the last day (revoked, expired, used up). */
export const standingApprovalsQuery = defineQuery<StandingApproval[]>('standingApprovals');

/** One registry of standing approvals per deployment (task queue). */
export const standingApprovalsWorkflowId = (taskQueue: string): string =>
  `control/${taskQueue}/standing-approvals`;
