// Messages of the delegation registry, shared by the workflow, the decision activity, Slack and the CLI.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Proven } from '../policy/answer-proof';
import type { Away } from '../policy/delegation';
import type { Receipt } from './messages';

export type { Away };

/** An approver declares they are away until `until` (ISO) and names who answers for them. */
export interface SetAwayArgs extends Proven {
  /** Verified identity of the approver who is away: only they declare their own absence. */
  by: string;
  delegate: string;
  until: string;
}

/** An approver is back (or an admin ends someone's absence: `approver`). */
export interface EndAwayArgs extends Proven {
  by: string;
  approver?: string;
}

export const setAwayUpdate = defineUpdate<Away, [SetAwayArgs]>('setAway');
export const endAwayUpdate = defineUpdate<Receipt, [EndAwayArgs]>('endAway');
/** The absences in force. */
export const awayQuery = defineQuery<Away[]>('away');

/** One delegation registry per deployment (task queue). */
export const delegationsWorkflowId = (taskQueue: string): string => `control/${taskQueue}/delegations`;
