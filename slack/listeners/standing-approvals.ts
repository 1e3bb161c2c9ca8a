import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { answerTask } from '../../client/answer-task';
import { readTaskRequest } from '../../client/task-request';
import {
  grantStandingApproval,
  listStandingApprovals,
  revokeStandingApproval,
  StandingApprovalError,
} from '../../client/standing-approvals';
import { own } from '../../policy/own';
import { formatHours, MAX_TARGETS, taskTargets, type StandingScope } from '../../policy/standing-approvals';
import type { TaskRequest } from '../../policy/task';
import { taskRequestQuery } from '../../workflows/messages';
import { standingApprovalsWorkflowId } from '../../workflows/standing-approval-messages';
import {
  allowStandingModal,
  allowStandingRefusedModal,
  parseTaskModalMetadata,
  STANDING_FIELDS,
  VIEW_IDS,
} from '../blocks/modals';
import { escapeMrkdwn } from '../blocks/escape';
import { standingApprovalsBlocks } from '../blocks/standing-approvals';
import { entityCaller, type SlackDeps } from '../deps';
import { stepsModalMetadata, type ButtonClick } from './button-click';
import { notRecordedText, refusedText } from './answers';
import { tellUser } from './ephemeral';
import { textOf } from './views';

/** The widest limits any class of the policy in force allows: what the modal offers before it knows the class. */
function widestLimits(deps: SlackDeps): { maxTermMs: number; maxUses: number } | null {
  const rules = Object.values(deps.policy().taskClasses).flatMap((c) =>
    c.standingApprovals ? [c.standingApprovals] : [],
  );
  if (rules.length === 0) return null;
  return {
    maxTermMs: Math.max(...rules.map((r) => r.maxTerm)),
    maxUses: Math.max(...rules.map((r) => r.maxUses)),
  };
}

/**
 * What a standing approval made from `task` would cover (its agent, class, action, environment and
 * label, and what its steps act on), with its class's limits; or why none could be made.
 */
function scopeOf(
  deps: SlackDeps,
  task: TaskRequest,
): { scope: StandingScope; limits: { maxTermMs: number; maxUses: number } } | { refused: string } {
  const rule = own(deps.policy().taskClasses, task.taskClass)?.standingApprovals;
  if (!rule) return { refused: `task class "${task.taskClass}" does not allow standing approvals` };
  const actions = [...new Set(task.steps.map((s) => s.action))];
  if (actions.length !== 1) return { refused: 'its steps use more than one action' };
  if (task.resource === undefined) return { refused: 'the task names no resource' };
  let targets: string[];
  try {
    targets = taskTargets(deps.actions, task.steps);
  } catch (err) {
    return { refused: `what its steps act on could not be read (${(err as Error).message})` };
  }
  if (targets.length > MAX_TARGETS)
    return { refused: `its steps act on ${targets.length} things, more than ${MAX_TARGETS}` };
  return {
    scope: {
      agentId: task.agent.id,
      taskClass: task.taskClass,
      action: actions[0],
      resource: task.resource,
      environment: task.environment,
      targets,
    },
    limits: { maxTermMs: rule.maxTerm, maxUses: rule.maxUses },
  };
}

/**
 * "Approve + allow for a while…": opens the modal at once (the trigger id lasts 3 s), then reads
 * the task and updates the modal with exactly what would be allowed and the class's limits, or
 * with why nothing can be (the class allows none, or the task could not be read), where the person
 * is looking; only when no modal opened are they told in the channel.
 */
export async function openAllowStanding(
  click: ButtonClick,
  stepsHash: string,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  const widest = widestLimits(deps);
  if (!widest) return tellUser(client, deps.log, click, 'The policy in force allows no standing approvals.');
  const metadata = stepsModalMetadata(click, stepsHash);
  const opened = await client.views.open({
    trigger_id: click.triggerId ?? '',
    view: allowStandingModal(metadata, widest),
  });
  const read = await readScope(click.workflowId, deps);
  const viewId = opened.view?.id;
  if ('refused' in read) {
    const refusal = `No standing approval can be made here: ${read.refused}. Approve the task on its own with Approve.`;
    // Plain text for the modal (it escapes it); escaped here for the ephemeral message.
    if (!viewId) return tellUser(client, deps.log, click, escapeMrkdwn(refusal));
    await client.views.update({ view_id: viewId, view: allowStandingRefusedModal(metadata, refusal) });
    return;
  }
  if (viewId)
    await client.views.update({
      view_id: viewId,
      view: allowStandingModal(metadata, read.limits, read.scope),
    });
}

/** {@link scopeOf} the task `workflowId`, or why it could not be read. */
async function readScope(workflowId: string, deps: SlackDeps): Promise<ReturnType<typeof scopeOf>> {
  const read = await readTaskRequest(deps.temporal, workflowId);
  if ('task' in read) return scopeOf(deps, read.task);
  if (read.missing) return { refused: `there is no task ${workflowId}` };
  deps.log.warn({ workflowId, err: read.error }, 'task not read for a standing approval');
  return { refused: `${workflowId} could not be read (${read.error})` };
}

/**
 * The modal's submission: approves the task (the same signed answer as Approve), then grants the
 * standing approval for the task's agent, action, resource and environment. A refused approval
 * grants nothing; a refused grant leaves the approval standing and says why.
 */
export function registerStandingViews(app: App, deps: SlackDeps): void {
  app.view(VIEW_IDS.allowStanding, async ({ ack, body, view, client }) => {
    const metadata = parseTaskModalMetadata(view.private_metadata);
    const values = view.state.values as Record<
      string,
      Record<string, { value?: unknown; selected_option?: { value?: unknown } | null }>
    >;
    const { term, uses } = STANDING_FIELDS;
    const usesText = textOf(values[uses]?.[uses]?.value).trim();
    // Only a string is read as a number: anything else is "Choose how long." on its field.
    const termMs = Number(textOf(values[term]?.[term]?.selected_option?.value) || NaN);
    if (!metadata?.stepsHash) {
      await ack({
        response_action: 'errors',
        errors: { [uses]: 'This form is out of date: click the button again.' },
      });
      return;
    }
    if (!/^[1-9][0-9]{0,3}$/.test(usesText)) {
      await ack({ response_action: 'errors', errors: { [uses]: 'Expected a whole number, such as 10.' } });
      return;
    }
    if (!Number.isInteger(termMs) || termMs <= 0) {
      await ack({ response_action: 'errors', errors: { [term]: 'Choose how long.' } });
      return;
    }
    await ack();
    const who = { user: body.user.id, channel: metadata.channel, workflowId: metadata.workflowId };
    try {
      const task = await deps.temporal.workflow.getHandle(metadata.workflowId).query(taskRequestQuery);
      const read = scopeOf(deps, task);
      if ('refused' in read) return tellUser(client, deps.log, who, `${refusedText(read.refused)}.`);
      const approved = await answerTask(
        deps.temporal,
        metadata.workflowId,
        who.user,
        { kind: 'approve', stepsHash: metadata.stepsHash },
        deps.signer,
        metadata.shown,
        deps.answerDelivery,
      );
      if (!approved.ok) return tellUser(client, deps.log, who, refusedText(approved.reason));
      try {
        const granted = await grantStandingApproval(deps.temporal, entityCaller(deps), {
          ...read.scope,
          by: who.user,
          termMs,
          maxUses: Number(usesText),
          fromTask: metadata.workflowId,
          ...(metadata.shown ? { shown: metadata.shown } : {}),
        });
        deps.log.info(
          { user: who.user, id: granted.id, workflowId: metadata.workflowId },
          'standing approval granted from Slack',
        );
        await tellUser(
          client,
          deps.log,
          who,
          `Approved ${escapeMrkdwn(metadata.workflowId)}, and granted standing approval ${granted.id}: ${escapeMrkdwn(granted.agentId)} may run ${escapeMrkdwn(granted.action)} on ${escapeMrkdwn(granted.resource)} in ${escapeMrkdwn(granted.environment)} without asking, at most ${granted.maxUses} times, for ${formatHours(termMs)} (until ${granted.expiresAt}), in tasks whose steps act on nothing but its ${granted.targets.length === 1 ? 'one target' : `${granted.targets.length} targets`} (\`/ladder approvals\` lists them). Revoke it with \`/ladder approvals revoke ${granted.id}\`.`,
        );
      } catch (err) {
        if (!(err instanceof StandingApprovalError)) throw err;
        await tellUser(
          client,
          deps.log,
          who,
          `Approved ${escapeMrkdwn(metadata.workflowId)}, but the standing approval was refused: ${escapeMrkdwn(err.message)}`,
        );
      }
    } catch (err) {
      deps.log.error({ ...who, err: (err as Error).message }, 'standing approval from Slack failed');
      await tellUser(client, deps.log, who, notRecordedText(err));
    }
  });
}

/** A Revoke button of `/ladder approvals`: the registry checks who may revoke. */
export async function revokeStandingFromSlack(
  click: ButtonClick,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  if (!click.subject || click.workflowId !== standingApprovalsWorkflowId(deps.taskQueue))
    return tellUser(
      client,
      deps.log,
      click,
      'That button does not name a standing approval of this deployment.',
    );
  await revokeAndTell(click, `sa-${click.subject}`, client, deps);
}

/** Revokes `id` as `who.user` and tells them the registry's answer. */
export async function revokeAndTell(
  who: { user: string; channel: string | undefined },
  id: string,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  try {
    const receipt = await revokeStandingApproval(deps.temporal, entityCaller(deps), { id, by: who.user });
    deps.log.warn({ user: who.user, id }, 'standing approval revoked from Slack');
    await tellUser(
      client,
      deps.log,
      who,
      `Revoked standing approval ${escapeMrkdwn(id)} at ${receipt.at}: its tasks are asked again from now on.`,
    );
  } catch (err) {
    if (!(err instanceof StandingApprovalError)) throw err;
    await tellUser(client, deps.log, who, refusedText(err.message));
  }
}

/** `/ladder approvals`: every standing approval kept, with Revoke buttons on those in force. */
export async function listStandingForSlack(deps: SlackDeps, nowMs: number) {
  const approvals = await listStandingApprovals(deps.temporal, deps.taskQueue);
  return standingApprovalsBlocks(approvals, standingApprovalsWorkflowId(deps.taskQueue), nowMs);
}
