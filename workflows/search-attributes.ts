import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The agent that asked for the task; filter the Temporal UI with `AgentId = "…"`. */
export const AgentIdKey = defineSearchAttributeKey('AgentId', SearchAttributeType.KEYWORD);
/** The policy task class, e.g. `deploy`. */
export const TaskClassKey = defineSearchAttributeKey('TaskClass', SearchAttributeType.KEYWORD);
/** The rung (0-5) the task runs at: the policy's decision, or 2 after a fall back to confirmation. */
export const RungKey = defineSearchAttributeKey('Rung', SearchAttributeType.INT);
/** Final outcome, e.g. `executed`, `rejected`, `expired`, `rolled-back`. */
export const OutcomeKey = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);
/** Slack user id of whoever approved (rung 2). */
export const ApprovedByKey = defineSearchAttributeKey('ApprovedBy', SearchAttributeType.KEYWORD);
/**
 * The Slack user ids who may answer the task now: approvers (or reviewers, or the requester) for a
 * rung 0-2 question, readers for an unread rung-5 report, the owner and approvers for an unknown
 * outcome, plus each escalation contact once escalated to. Absent when nothing waits on a person.
 * Dashboards and saved views query `WaitingOn = "U…"`: keep that contract.
 */
export const WaitingOnKey = defineSearchAttributeKey('WaitingOn', SearchAttributeType.KEYWORD_LIST);

/** Every custom search attribute Ladder sets; the dev server registers them at start. */
export const LADDER_SEARCH_ATTRIBUTES = [
  AgentIdKey,
  TaskClassKey,
  RungKey,
  OutcomeKey,
  ApprovedByKey,
  WaitingOnKey,
] as const;
