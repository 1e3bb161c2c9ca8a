import type { Client } from '@temporalio/client';
import type { CanaryLink } from '../client/canary-link';
import type { LedgerLink } from '../client/ledger-link';
import type { AnswerSigner } from '../client/answer-signer';
import type { AnswerDelivery } from '../client/answer-task';
import type { EntityCaller } from '../client/entity-answer';
import type { Logger } from '../config/logger';
import type { LoadedPolicy } from '../policy/loader';
import type { ActionRegistry } from '../activities/actions/registry';
import type { ActionParamsValidator } from '../policy/validate-task';

/** What the Slack listeners need from the rest of Ladder; the app's entry point injects it. */
export interface SlackDeps {
  temporal: Client;
  taskQueue: string;
  /** The policy in force now (live-reloaded). */
  policy: () => LoadedPolicy;
  /** Validates steps' params, and names what a step acts on (a standing approval's scope). */
  actions: ActionParamsValidator & Pick<ActionRegistry, 'targets'>;
  /** Temporal UI base URL, for links. */
  uiBaseUrl: string;
  log: Logger;
  /** The agents' trust ledgers (earned rungs, evidence). */
  ledger: LedgerLink;
  /** The policy canary, when the policy declares one. */
  canary?: CanaryLink;
  /**
   * This frontend's answer key: every answer a person gives in Slack is signed with it after
   * Slack's request signature has proven who clicked, and workflows verify it.
   */
  signer: AnswerSigner;
  /** Task ids for `/ladder delegate`; injected by tests. */
  newTaskId: () => string;
  /**
   * How long an answer given in Slack (to a task, the kill switch, a registry or a ledger) is tried
   * before the person is told it is not confirmed; one minute unless given (tests shorten it).
   */
  answerDelivery?: AnswerDelivery;
}

/**
 * Who answers the deployment's entity workflows and ledgers from Slack: this frontend's key, on
 * the deployment's task queue, within the answer delivery budget. Pure.
 */
export function entityCaller(deps: SlackDeps): EntityCaller {
  return {
    taskQueue: deps.taskQueue,
    signer: deps.signer,
    ...(deps.answerDelivery ? { delivery: deps.answerDelivery } : {}),
  };
}
