// Pure and import-free on purpose: workflows (in Temporal's sandbox) name the buttons they offer with
// these short names, the Block Kit builders render them with these action ids, and the Bolt
// listeners register one handler per id, so a button is spelled once for the whole path.

/**
 * Every button a Ladder message can offer: the short name a workflow puts in
 * `Notification.actions` → the Slack `action_id` the button carries and its listener matches.
 *
 * Invariants (checked by test/slack/blocks/action-ids.test.ts): ids are unique, start with
 * {@link ACTION_ID_PREFIX}, and fit Slack's 255-character limit. Changing an id orphans the buttons
 * of messages already posted, so ids only ever get added.
 */
export const ACTION_IDS = {
  /** Rung 2: approve the exact steps shown (the button carries their hash). */
  approve: 'ladder_approve',
  /** Rung 2 where the policy asks for typed confirmation: opens a modal to type the resource name. */
  'approve-typed': 'ladder_typed_approve',
  /** Rung 2: reject, with a reason asked in a modal. */
  reject: 'ladder_reject',
  /** Rung 1: accept the draft (it is then applied). */
  accept: 'ladder_accept',
  /** Rung 1: reject the draft, with a reason asked in a modal. */
  'draft-reject': 'ladder_draft_reject',
  /** Rung 0: the person carried the suggestion out. */
  done: 'ladder_done',
  /** Rung 0: the person will not carry the suggestion out. */
  dismiss: 'ladder_dismiss',
  /** Rung 5 (and report digests): the report was read. */
  'mark-read': 'ladder_mark_read',
  /** After execution: report a defect (a modal asks what went wrong). */
  'report-defect': 'ladder_report_defect',
  /** Outcome unknown: the step did run. */
  'outcome-ran': 'ladder_outcome_ran',
  /** Outcome unknown: it did not run, run it again. */
  'outcome-run-again': 'ladder_outcome_run_again',
  /** Outcome unknown: undo whatever it did. */
  'outcome-undo': 'ladder_outcome_undo',
  /** Trust ledger audit of a sampled autonomous outcome: the reviewer agrees. */
  'audit-agree': 'ladder_audit_agree',
  /** Trust ledger audit: the reviewer disagrees (a modal asks why). */
  'audit-disagree': 'ladder_audit_disagree',
  /** Trust ledger promotion proposal: approve one rung up. */
  promote: 'ladder_promote',
  /** Trust ledger promotion proposal: decline. */
  'decline-promotion': 'ladder_decline_promotion',
  /** Rung 2: approve, and allow this agent this action on this resource for a while (a modal asks how long). */
  'allow-standing': 'ladder_allow_standing',
  /** A standing approval in `/ladder approvals`: revoke it at once (the button names it). */
  'revoke-standing': 'ladder_revoke_standing',
  /** Rung 2: narrow the steps before approving (a modal offers the params the policy lets change). */
  'edit-steps': 'ladder_edit_steps',
  /** Rubber-stamp watch: an owner reviewed the approver named by the button; their approvals count again. */
  'review-approver': 'ladder_review_approver',
  /** App Home, while away: the person is back early; their absence ends (the delegations registry). */
  'end-away': 'ladder_end_away',
} as const;

/** The short name of a Ladder button, as workflows write it in `Notification.actions`. */
export type LadderAction = keyof typeof ACTION_IDS;

/** The Slack `action_id` of a Ladder button. */
export type LadderActionId = (typeof ACTION_IDS)[LadderAction];

/** What every Ladder action id starts with; another app's buttons never do. */
export const ACTION_ID_PREFIX = 'ladder_';

/** The answers to an "outcome unknown" question, by the button that gives each. */
export const OUTCOME_ANSWER_ACTIONS = {
  ran: 'outcome-ran',
  'run-again': 'outcome-run-again',
  undo: 'outcome-undo',
} as const satisfies Record<string, LadderAction>;

/** Every short name, in the table's order. */
export const LADDER_ACTIONS = Object.keys(ACTION_IDS) as LadderAction[];

/** Whether `name` is one of {@link ACTION_IDS}' short names (own keys only, so `constructor` is not). */
export function isLadderAction(name: unknown): name is LadderAction {
  return typeof name === 'string' && Object.hasOwn(ACTION_IDS, name);
}

/** The short name whose Slack action id is `actionId`; undefined for anything else. Pure. */
export function ladderActionOfId(actionId: unknown): LadderAction | undefined {
  return LADDER_ACTIONS.find((name) => ACTION_IDS[name] === actionId);
}

/**
 * The batch-answer controls (the App Home's "Answer in batch" button and the batch modal's
 * inputs). No workflow asks for them, so they are not in {@link ACTION_IDS}; their prefix is not
 * {@link ACTION_ID_PREFIX}, so the listener for unknown Ladder buttons leaves them alone. Ids only
 * ever get added.
 */
export const BATCH_ACTION_IDS = {
  /** App Home: open the batch modal for one task class (the button's value is the class). */
  open: 'ladderbatch_open',
  /** Batch modal: the requests selected (checkboxes; option values index the modal's list). */
  tasks: 'ladderbatch_tasks',
  /** Batch modal: approve or reject the selected requests. */
  decision: 'ladderbatch_decision',
  /** Batch modal: the reason given with a rejection. */
  reason: 'ladderbatch_reason',
  /** Class picker modal: the task class to answer in. */
  taskClass: 'ladderbatch_class',
} as const;
