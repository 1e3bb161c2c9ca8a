import type { WebClient } from '@slack/web-api';
import { ApproverReviewError, reviewApprover } from '../../client/approver-watch';
import { approverWatchWorkflowId, taskClassOfWatch } from '../../workflows/approver-watch-messages';
import { entityCaller, type SlackDeps } from '../deps';
import type { ButtonClick } from './button-click';
import { tellUser } from './ephemeral';
import { refusedText } from './answers';

/**
 * "Reviewed: count their approvals again" on the owners' message of the rubber-stamp watch: the
 * clicker (Slack's verified user, never the button) reviews the approver the button names. The
 * watch checks that they own the class and are not that approver; they are told its answer.
 */
export async function reviewApproverFromSlack(
  click: ButtonClick,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  const prefix = approverWatchWorkflowId(deps.taskQueue, '');
  if (!click.subject || !click.workflowId.startsWith(prefix) || click.workflowId === prefix)
    return tellUser(
      client,
      deps.log,
      click,
      'That button does not name an approver watch of this deployment.',
    );
  const taskClass = taskClassOfWatch(click.workflowId);
  try {
    const receipt = await reviewApprover(deps.temporal, entityCaller(deps), {
      taskClass,
      approver: click.subject,
      by: click.user,
    });
    deps.log.warn({ user: click.user, approver: click.subject, taskClass }, 'approver reviewed from Slack');
    await tellUser(
      client,
      deps.log,
      click,
      `Recorded: review of ${click.subject} in ${taskClass} by <@${click.user}> at ${receipt.at}. Their approvals count again, judged afresh from now on.`,
    );
  } catch (err) {
    if (!(err instanceof ApproverReviewError)) throw err;
    await tellUser(client, deps.log, click, refusedText(err.message));
  }
}
