import type { WebClient } from '@slack/web-api';
import type { ShownMessage } from '../../policy/answer-proof';
import { AnswerOutcomeUnknownError, answerTask, type TaskAnswer } from '../../client/answer-task';
import { decideProposal, giveAuditVerdict } from '../../client/evidence';
import { entityCaller, type SlackDeps } from '../deps';
import { escapeMrkdwn } from '../blocks/escape';
import { tellUser } from './ephemeral';

/** Who answered, about which workflow, and where to tell them what happened. */
export interface Answerer {
  /** The verified Slack user (from Slack's signed payload). */
  user: string;
  channel: string | undefined;
  workflowId: string;
  /** The message the person answered (Slack's payload), signed with the answer. */
  shown?: ShownMessage;
}

/**
 * Sends a person's answer to a task straight as its update (no status query first: the
 * workflow's validator refuses wrong, stale and second answers), then tells the person, only
 * them, that it was recorded, or why it was refused (and logs the refusal).
 *
 * @throws what {@link answerTask} throws for failures that are not refusals (Temporal unreachable).
 */
export async function answerAndTell(
  who: Answerer,
  answer: TaskAnswer,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  // Slack's request signature proved who clicked; this frontend's key vouches for it to the workflow.
  const result = await answerTask(
    deps.temporal,
    who.workflowId,
    who.user,
    answer,
    deps.signer,
    who.shown,
    deps.answerDelivery,
  );
  await tellOutcome(who, result, client, deps, {
    logged: [{ workflowId: who.workflowId, answer: answer.kind }, 'task answered from Slack'],
    // Named with its task: several answers of one person can be in flight in one channel.
    recorded: (r) =>
      `Recorded: ${answer.kind} by <@${who.user}> at ${r.receipt.at} on ${escapeMrkdwn(who.workflowId)}.`,
  });
}

/**
 * What the person is told when their answer did not come back as recorded or refused: that it
 * may have been recorded when Temporal stayed out of reach, else that it was not. The error's
 * words are escaped (they may repeat what an agent wrote). Pure.
 */
export function notRecordedText(err: unknown): string {
  const message = escapeMrkdwn(err instanceof Error ? err.message : String(err));
  return err instanceof AnswerOutcomeUnknownError
    ? `Not confirmed: Ladder ${message}`
    : `Ladder could not record that: ${message}`;
}

/**
 * Tells the person, only them, that their answer was recorded (and logs it), or why it was
 * refused. One shape for every answer given from Slack.
 */
async function tellOutcome<R extends { ok: true }>(
  who: Answerer,
  result: R | { ok: false; reason: string },
  client: WebClient,
  deps: SlackDeps,
  said: { logged: [Record<string, unknown>, string]; recorded: (result: R) => string },
): Promise<void> {
  if (!result.ok) return refuse(who, result.reason, client, deps);
  deps.log.info({ user: who.user, ...said.logged[0] }, said.logged[1]);
  await tellUser(client, deps.log, who, said.recorded(result));
}

/** Tells the person why their answer was refused (the validator's words), and logs it. */
export async function refuse(
  who: Answerer,
  reason: string,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  deps.log.warn({ user: who.user, workflowId: who.workflowId, reason }, 'slack answer refused');
  await tellUser(client, deps.log, who, refusedText(reason));
}

/**
 * What the person is told when an answer or command is refused: `Refused: ` and the reason,
 * escaped, since reasons repeat what agents wrote (a resource, a param). Pure.
 */
export function refusedText(reason: string): string {
  return `Refused: ${escapeMrkdwn(reason)}`;
}

/**
 * Approves or declines a promotion proposal on the agent's trust ledger; the ledger checks that
 * the clicker may decide it.
 */
export async function decidePromotionFromSlack(
  who: Answerer & { agentId: string; proposalId: string },
  approve: boolean,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  const result = await decideProposal(deps.temporal, entityCaller(deps), {
    agentId: who.agentId,
    proposalId: who.proposalId,
    by: who.user,
    approve,
  });
  await tellOutcome(who, result, client, deps, {
    logged: [{ agentId: who.agentId, proposal: who.proposalId, approve }, 'promotion decided from Slack'],
    recorded: (r) => `Recorded: promotion ${approve ? 'approved' : 'declined'} by <@${who.user}> at ${r.at}.`,
  });
}

/** An audit verdict from Slack: the ledger checks the reviewer may give it, and that a disagreement has a reason. */
export async function auditFromSlack(
  who: Answerer & { agentId: string; auditId: string },
  agree: boolean,
  reason: string | undefined,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  const result = await giveAuditVerdict(deps.temporal, entityCaller(deps), {
    agentId: who.agentId,
    auditId: who.auditId,
    by: who.user,
    agree,
    reason,
  });
  await tellOutcome(who, result, client, deps, {
    logged: [{ agentId: who.agentId, audit: who.auditId, agree }, 'audit verdict from Slack'],
    recorded: () => `Recorded: you ${agree ? 'agreed' : 'disagreed'} (audit ${who.auditId}).`,
  });
}
