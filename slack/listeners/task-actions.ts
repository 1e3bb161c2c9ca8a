import { isSlackUserId } from '../../policy/slack-ids';
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { answerTask, type TaskAnswer } from '../../client/answer-task';
import { agentOfLedgerId, statusQuery, type OutcomeAnswer, type TaskStatus } from '../../workflows/messages';
import { parseButtonValue } from '../blocks/task-message';
import { auditDisagreeModal, defectModal, rejectModal, typedApproveModal } from '../blocks/modals';
import { decideProposal, giveAuditVerdict } from '../../client/evidence';
import type { SlackDeps } from '../deps';
import { tellUser } from './ephemeral';

/** A button click on a task message, as far as Ladder reads it. */
export interface ButtonClick {
  /** Our action name: approve, reject, done, dismiss, accept, mark_read. */
  action: string;
  workflowId: string;
  /** What the button acts on: the steps hash for Approve, a proposal id for promotions. */
  subject?: string;
  /** The verified clicker: the payload's user, never anything in the button. */
  user: string;
  channel: string | undefined;
  triggerId: string | undefined;
}

/**
 * Reads a `block_actions` payload. Pure; a payload that is not a click on one of our buttons is
 * described, not thrown.
 */
export function parseButtonClick(
  body: unknown,
): { ok: true; click: ButtonClick } | { ok: false; reason: string } {
  const b = body as {
    user?: { id?: unknown };
    channel?: { id?: unknown };
    container?: { channel_id?: unknown };
    trigger_id?: unknown;
    actions?: { action_id?: unknown; value?: unknown }[];
  };
  const user = b?.user?.id;
  if (!isSlackUserId(user)) return { ok: false, reason: 'no user id' };
  const action = b.actions?.[0];
  if (!action || typeof action.action_id !== 'string' || !action.action_id.startsWith('ladder_'))
    return { ok: false, reason: 'not a Ladder button' };
  if (typeof action.value !== 'string') return { ok: false, reason: 'button has no value' };
  const value = parseButtonValue(action.value);
  if (!value) return { ok: false, reason: `button value is not a workflow id: ${action.value.slice(0, 80)}` };
  const channel = typeof b.channel?.id === 'string' ? b.channel.id : b.container?.channel_id;
  return {
    ok: true,
    click: {
      action: action.action_id.slice('ladder_'.length),
      workflowId: value.workflowId,
      subject: value.subject,
      user,
      channel: typeof channel === 'string' ? channel : undefined,
      triggerId: typeof b.trigger_id === 'string' ? b.trigger_id : undefined,
    },
  };
}

/** Why a task no longer takes this click, or undefined when it does. Pure. */
export function staleClickReason(status: TaskStatus): string | undefined {
  if (status.phase === 'done') return `This task is already finished (${status.outcome ?? 'done'}).`;
  if (status.waitingOn === null)
    return `This task is not waiting for an answer now (phase: ${status.phase}).`;
  return undefined;
}

/**
 * Buttons on task messages. Every listener acks first (Slack wants an answer within 3 s), then
 * sends the answer as a workflow update and tells the clicker, ephemerally, what happened. The
 * workflow refuses unauthorised, stale and second answers, so a double click has one effect.
 */
export function registerTaskActions(app: App, deps: SlackDeps): void {
  app.action(/^ladder_/, async ({ ack, body, client }) => {
    await ack();
    const parsed = parseButtonClick(body);
    if (!parsed.ok) {
      deps.log.warn({ reason: parsed.reason }, 'malformed button click ignored');
      const user = (body as { user?: { id?: string } }).user?.id;
      if (user)
        await tellUser(
          client,
          deps.log,
          { channel: undefined, user },
          `That click could not be read: ${parsed.reason}.`,
        );
      return;
    }
    const click = parsed.click;
    try {
      await handleClick(click, client, deps);
    } catch (err) {
      deps.log.error(
        { user: click.user, workflowId: click.workflowId, err: (err as Error).message },
        'button click failed',
      );
      await tellUser(client, deps.log, click, `Ladder could not record that: ${(err as Error).message}`);
    }
  });
}

/** The answers about an unknown outcome, by button action. */
const OUTCOME_BUTTONS: Record<string, OutcomeAnswer | undefined> = {
  outcome_ran: 'ran',
  outcome_run_again: 'run-again',
  outcome_undo: 'undo',
};

async function handleClick(click: ButtonClick, client: WebClient, deps: SlackDeps): Promise<void> {
  const simple: Record<string, TaskAnswer> = {
    done: { kind: 'done' },
    dismiss: { kind: 'dismiss' },
    accept: { kind: 'accept' },
    mark_read: { kind: 'read' },
  };
  // Own keys only: an action id such as `ladder_constructor` must not find Object's members.
  if (Object.hasOwn(simple, click.action)) {
    await answerAndTell(click, simple[click.action], client, deps);
    return;
  }
  const outcome = Object.hasOwn(OUTCOME_BUTTONS, click.action) ? OUTCOME_BUTTONS[click.action] : undefined;
  if (outcome) {
    // The question id travels in the button, so an answer never lands on a later question.
    if (!click.subject) {
      await tellUser(client, deps.log, click, 'That button does not name the question it answers.');
      return;
    }
    await answerAndTell(click, { kind: outcome, question: click.subject }, client, deps);
    return;
  }
  if (click.action === 'promote' || click.action === 'decline_promotion') {
    await decidePromotionFromSlack(click, click.action === 'promote', client, deps);
    return;
  }
  if (click.action === 'audit_agree' || click.action === 'audit_disagree') {
    const agentId = agentOfLedgerId(click.workflowId);
    if (!agentId || !click.subject) {
      await tellUser(client, deps.log, click, 'That button does not name an audit.');
      return;
    }
    if (click.action === 'audit_disagree') {
      await client.views.open({
        trigger_id: click.triggerId ?? '',
        view: auditDisagreeModal({
          workflowId: click.workflowId,
          channel: click.channel,
          auditId: click.subject,
        }),
      });
      return;
    }
    await auditFromSlack({ ...click, agentId, auditId: click.subject }, true, undefined, client, deps);
    return;
  }
  if (click.action === 'report_defect') {
    await client.views.open({
      trigger_id: click.triggerId ?? '',
      view: defectModal({ workflowId: click.workflowId, channel: click.channel }),
    });
    return;
  }
  if (click.action !== 'approve' && click.action !== 'reject') {
    await tellUser(client, deps.log, click, `Unknown Ladder button "${click.action}".`);
    return;
  }
  // Approve and reject may need a modal; look at the task first so a stale click gets an answer
  // instead of a form.
  let status: TaskStatus;
  try {
    status = await deps.temporal.workflow.getHandle(click.workflowId).query(statusQuery);
  } catch (err) {
    await tellUser(client, deps.log, click, `No such task ${click.workflowId}: ${(err as Error).message}`);
    return;
  }
  const stale = staleClickReason(status);
  if (stale) {
    deps.log.info({ user: click.user, workflowId: click.workflowId, action: click.action }, 'stale click');
    await tellUser(client, deps.log, click, stale);
    return;
  }
  const decision = status.decision;
  if (click.action === 'reject') {
    if (decision && !decision.approvers.includes(click.user)) {
      return refuse(
        click,
        `<@${click.user}> is not an approver for this task (approvers: ${decision.approvers.map((a) => `<@${a}>`).join(', ')})`,
        client,
        deps,
      );
    }
    await client.views.open({
      trigger_id: click.triggerId ?? '',
      view: rejectModal({ workflowId: click.workflowId, channel: click.channel }, status.waitingOn ?? ''),
    });
    return;
  }
  // The approval binds to the steps the message showed: a button without their hash approves nothing.
  if (!click.subject || !/^[0-9a-f]{64}$/.test(click.subject)) {
    await tellUser(
      client,
      deps.log,
      click,
      'That Approve button does not carry the steps it approves; open the approval request and click Approve there.',
    );
    return;
  }
  const stepsHash = click.subject;
  if (decision?.typedConfirmation.required) {
    await client.views.open({
      trigger_id: click.triggerId ?? '',
      view: typedApproveModal({
        workflowId: click.workflowId,
        stepsHash,
        channel: click.channel,
        resource: decision.typedConfirmation.expected,
      }),
    });
    return;
  }
  await answerAndTell(click, { kind: 'approve', stepsHash }, client, deps);
}

/** Sends the answer; tells the person it was recorded, or why it was refused (and logs refusals). */
export async function answerAndTell(
  who: { user: string; channel: string | undefined; workflowId: string },
  answer: TaskAnswer,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  // Slack's request signature proved who clicked; this frontend's key vouches for it to the workflow.
  const result = await answerTask(deps.temporal, who.workflowId, who.user, answer, deps.signer);
  if (!result.ok) return refuse(who, result.reason, client, deps);
  deps.log.info(
    { user: who.user, workflowId: who.workflowId, answer: answer.kind },
    'task answered from Slack',
  );
  await tellUser(
    client,
    deps.log,
    who,
    `Recorded: ${answer.kind} by <@${who.user}> at ${result.receipt.at}.`,
  );
}

async function refuse(
  who: { user: string; channel: string | undefined; workflowId: string },
  reason: string,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  deps.log.warn({ user: who.user, workflowId: who.workflowId, reason }, 'slack answer refused');
  await tellUser(client, deps.log, who, `Refused: ${reason}`);
}

/** Approve or Decline on a promotion proposal: the ledger checks the clicker may decide it. */
async function decidePromotionFromSlack(
  click: ButtonClick,
  approve: boolean,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  const agentId = agentOfLedgerId(click.workflowId);
  if (!agentId || !click.subject) {
    await tellUser(client, deps.log, click, 'That button does not name a promotion proposal.');
    return;
  }
  const result = await decideProposal(
    deps.temporal,
    { taskQueue: deps.taskQueue, signer: deps.signer },
    {
      agentId,
      proposalId: click.subject,
      by: click.user,
      approve,
    },
  );
  if (!result.ok) return refuse(click, result.reason, client, deps);
  deps.log.info(
    { user: click.user, agentId, proposal: click.subject, approve },
    'promotion decided from Slack',
  );
  await tellUser(
    client,
    deps.log,
    click,
    `Recorded: promotion ${approve ? 'approved' : 'declined'} by <@${click.user}> at ${result.at}.`,
  );
}

/** An audit verdict from Slack: the ledger checks the reviewer may give it. */
export async function auditFromSlack(
  who: { user: string; channel: string | undefined; workflowId: string; agentId: string; auditId: string },
  agree: boolean,
  reason: string | undefined,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  const result = await giveAuditVerdict(
    deps.temporal,
    { taskQueue: deps.taskQueue, signer: deps.signer },
    {
      agentId: who.agentId,
      auditId: who.auditId,
      by: who.user,
      agree,
      reason,
    },
  );
  if (!result.ok) return refuse(who, result.reason, client, deps);
  deps.log.info(
    { user: who.user, agentId: who.agentId, audit: who.auditId, agree },
    'audit verdict from Slack',
  );
  await tellUser(
    client,
    deps.log,
    who,
    `Recorded: you ${agree ? 'agreed' : 'disagreed'} (audit ${who.auditId}).`,
  );
}
