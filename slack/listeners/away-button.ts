import type { WebClient } from '@slack/web-api';
import { DelegationError, endAway } from '../../client/delegations';
import { delegationsWorkflowId } from '../../workflows/delegation-messages';
import { entityCaller, type SlackDeps } from '../deps';
import type { ButtonClick } from './button-click';
import { tellUser } from './ephemeral';
import { refusedText } from './answers';

/**
 * "I'm back" on the App Home: ends the clicker's own absence (Slack's verified user, never the
 * button, which names only the registry), as `/ladder back` does, and tells them the answer.
 */
export async function endAwayFromSlack(
  click: ButtonClick,
  client: WebClient,
  deps: SlackDeps,
): Promise<void> {
  if (click.workflowId !== delegationsWorkflowId(deps.taskQueue))
    return tellUser(client, deps.log, click, 'That button does not name the delegations of this deployment.');
  try {
    const receipt = await endAway(deps.temporal, entityCaller(deps), { by: click.user });
    await tellUser(
      client,
      deps.log,
      click,
      `Welcome back: your requests come to you again (since ${receipt.at}).`,
    );
  } catch (err) {
    if (!(err instanceof DelegationError)) throw err;
    await tellUser(client, deps.log, click, refusedText(err.message));
  }
}
