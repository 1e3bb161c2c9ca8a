import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The agent that asked for the task; filter the Temporal UI with `AgentId = "…"`. */
export const AgentIdKey = defineSearchAttributeKey('AgentId', SearchAttributeType.KEYWORD);
/** The policy task class, e.g. `deploy`. */
export const TaskClassKey = defineSearchAttributeKey('TaskClass', SearchAttributeType.KEYWORD);
/** The effective rung (0-5) the policy decided for the task. */
export const RungKey = defineSearchAttributeKey('Rung', SearchAttributeType.INT);
/** Final outcome, e.g. `executed`, `rejected`, `expired`, `rolled-back`. */
export const OutcomeKey = defineSearchAttributeKey('Outcome', SearchAttributeType.KEYWORD);
/** Slack user id of whoever approved (rung 2). */
export const ApprovedByKey = defineSearchAttributeKey('ApprovedBy', SearchAttributeType.KEYWORD);

/** Every custom search attribute Ladder sets; the dev server registers them at start. */
export const LADDER_SEARCH_ATTRIBUTES = [
  AgentIdKey,
  TaskClassKey,
  RungKey,
  OutcomeKey,
  ApprovedByKey,
] as const;
