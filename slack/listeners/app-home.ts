import { delegationsWorkflowId } from '../../workflows/delegation-messages';
import { listStandingApprovals } from '../../client/standing-approvals';
import { endedBecause } from '../../policy/standing-approvals';
import { standingApprovalsWorkflowId } from '../../workflows/standing-approval-messages';
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { classesWithApprovals } from '../../client/pending-tasks';
import { tasksWaitingOn } from '../../client/waiting-on';
import { temporalUiLink } from '../../policy/slack-ids';
import { appHomeView, HOME_TASKS_LISTED } from '../blocks/app-home';
import type { SlackDeps } from '../deps';
import { absenceOf, proposalsFor } from './app-home-reads';

/**
 * Publishes `user`'s App Home: what waits on them now (tasks, promotion proposals they may decide),
 * with the buttons to answer, their absence in force and the standing approvals they granted. A failure is
 * logged, not thrown: the Home is a view of the tasks, and every task's message still asks.
 */
export async function publishHome(client: WebClient, deps: SlackDeps, user: string): Promise<void> {
  try {
    const { tasks, total } = await tasksWaitingOn(deps.temporal, {
      taskQueue: deps.taskQueue,
      user,
      limit: HOME_TASKS_LISTED,
    });
    const nowMs = Date.now();
    const granted = (await listStandingApprovals(deps.temporal, deps.taskQueue)).filter(
      (a) => a.grantedBy === user && endedBecause(a, nowMs) === null,
    );
    const unreadable: string[] = [];
    const [proposals, away] = await Promise.all([
      proposalsFor(deps.temporal, deps.taskQueue, Object.keys(deps.policy().agents), user, unreadable),
      absenceOf(deps.temporal, deps.taskQueue, user),
    ]);
    if (unreadable.length > 0)
      deps.log.warn({ user, agents: unreadable }, 'App Home: some trust ledgers could not be read');
    const view = appHomeView({
      tasks,
      total,
      // Classes where two or more requests wait: answered together from the batch modal.
      batchClasses: classesWithApprovals(tasks),
      uiLink: (id) => temporalUiLink(deps.uiBaseUrl, deps.temporal.options.namespace, id),
      proposals,
      ...(away ? { away, awayRegistryId: delegationsWorkflowId(deps.taskQueue) } : {}),
      standing: { approvals: granted, registryId: standingApprovalsWorkflowId(deps.taskQueue), nowMs },
    });
    await client.views.publish({ user_id: user, view });
  } catch (err) {
    deps.log.warn({ user, err: (err as Error).message }, 'could not publish the App Home');
  }
}

/** The App Home: published each time a person opens it (Slack's `app_home_opened`). */
export function registerAppHome(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    await publishHome(client, deps, event.user);
  });
}

/** Whether a `block_actions` payload came from a person's App Home (then it is published again after). */
export function clickedInHome(body: unknown): string | undefined {
  const b = body as { view?: { type?: unknown }; user?: { id?: unknown } };
  return b.view?.type === 'home' && typeof b.user?.id === 'string' ? b.user.id : undefined;
}
