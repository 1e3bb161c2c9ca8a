import type { App } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { agentOfLedgerId, type OutcomeAnswer } from '../../workflows/messages';
import { ACTION_ID_PREFIX, ACTION_IDS, LADDER_ACTIONS, type LadderAction } from '../action-ids';
import { auditDisagreeModal, defectModal, rejectModal, typedApproveModal } from '../blocks/modals';
import { escapeMrkdwn } from '../blocks/escape';
import type { SlackDeps } from '../deps';
import { answerAndTell, auditFromSlack, decidePromotionFromSlack, notRecordedText } from './answers';
import { parseButtonClick, type ButtonClick } from './button-click';
import { tellUser } from './ephemeral';
import { clickedInHome, publishHome } from './app-home';
import { openAllowStanding, revokeStandingFromSlack } from './standing-approvals';
import { openEditSteps } from './edit-steps';
import { reviewApproverFromSlack } from './approver-review';
import { endAwayFromSlack } from './away-button';

/** What one button does once its click is read: send an answer, or open the modal that asks for one. */
type ClickHandler = (click: ButtonClick, client: WebClient, deps: SlackDeps) => Promise<void>;

/**
 * Task buttons: one Bolt listener per action id in `ACTION_IDS`. Each acks first (Slack wants an
 * answer within 3 s), reads the click, and runs its button's handler, which sends the answer as
 * the workflow's update straight away (never a status query first) or opens the modal that asks
 * for one. The workflow refuses unauthorised, stale and second answers, so a double click has one
 * effect; the person is told the outcome ephemerally.
 *
 * A `ladder_*` id that is not in the table (an old or forged button) is answered too, saying so.
 */
export function registerTaskActions(app: App, deps: SlackDeps): void {
  for (const action of LADDER_ACTIONS) {
    const handle = ON_CLICK[action];
    app.action(ACTION_IDS[action], async ({ ack, body, client }) => {
      await ack();
      await runClick(body, client, deps, handle);
    });
  }
  app.action(UNKNOWN_LADDER_ID, async ({ ack, body, client }) => {
    await ack();
    const actionId = String((body as { actions?: { action_id?: unknown }[] }).actions?.[0]?.action_id);
    deps.log.warn({ actionId }, 'unknown Ladder button');
    await tellUser(
      client,
      deps.log,
      { channel: channelOf(body), user: body.user.id },
      `Unknown Ladder button "${actionId.slice(ACTION_ID_PREFIX.length)}".`,
    );
  });
}

/** A `ladder_` action id that is none of ours. Bolt runs every matching listener, so it must not match those. */
const UNKNOWN_LADDER_ID = new RegExp(`^(?!(?:${Object.values(ACTION_IDS).join('|')})$)${ACTION_ID_PREFIX}`);

/** Reads the click and runs `handle`; a click that cannot be read, or a failing handler, is told to the person. */
async function runClick(
  body: unknown,
  client: WebClient,
  deps: SlackDeps,
  handle: ClickHandler,
): Promise<void> {
  const parsed = parseButtonClick(body);
  if (!parsed.ok) {
    deps.log.warn({ reason: parsed.reason }, 'malformed button click ignored');
    const user = (body as { user?: { id?: string } }).user?.id;
    // Answered in a DM: a payload this malformed may name no channel, or the wrong one.
    if (user)
      await tellUser(
        client,
        deps.log,
        { channel: undefined, user },
        `That click could not be read: ${escapeMrkdwn(parsed.reason)}.`,
      );
    return;
  }
  const click = parsed.click;
  try {
    await handle(click, client, deps);
    // Answered from the App Home: show the Home without what was just answered.
    if (clickedInHome(body)) await publishHome(client, deps, click.user);
  } catch (err) {
    deps.log.error(
      { user: click.user, workflowId: click.workflowId, action: click.action, err: (err as Error).message },
      'button click failed',
    );
    await tellUser(client, deps.log, click, notRecordedText(err));
  }
}

function channelOf(body: unknown): string | undefined {
  const b = body as { channel?: { id?: unknown }; container?: { channel_id?: unknown } };
  const channel = b.channel?.id ?? b.container?.channel_id;
  return typeof channel === 'string' ? channel : undefined;
}

/** Every button's handler; the mapped type makes a new entry in `ACTION_IDS` fail to compile until it has one. */
const ON_CLICK: { readonly [A in LadderAction]: ClickHandler } = {
  approve: approveSteps,
  'approve-typed': askTypedApproval,
  reject: (click, client) =>
    openModal(
      click,
      client,
      rejectModal({ workflowId: click.workflowId, channel: click.channel, ...shownOf(click) }),
    ),
  accept: answerWith({ kind: 'accept' }),
  'draft-reject': (click, client) =>
    openModal(
      click,
      client,
      rejectModal({ workflowId: click.workflowId, channel: click.channel, draft: true, ...shownOf(click) }),
    ),
  done: answerWith({ kind: 'done' }),
  dismiss: answerWith({ kind: 'dismiss' }),
  'mark-read': answerWith({ kind: 'read' }),
  'report-defect': (click, client) =>
    openModal(click, client, defectModal({ workflowId: click.workflowId, channel: click.channel })),
  'outcome-ran': answerOutcome('ran'),
  'outcome-run-again': answerOutcome('run-again'),
  'outcome-undo': answerOutcome('undo'),
  'audit-agree': auditAgree,
  'audit-disagree': askAuditDisagreement,
  promote: decidePromotion(true),
  'decline-promotion': decidePromotion(false),
  'allow-standing': async (click, client, deps) => {
    const stepsHash = stepsHashOf(click);
    if (!stepsHash) return tellUser(client, deps.log, click, NO_STEPS);
    await openAllowStanding(click, stepsHash, client, deps);
  },
  'revoke-standing': revokeStandingFromSlack,
  'edit-steps': async (click, client, deps) => {
    const stepsHash = stepsHashOf(click);
    if (!stepsHash) return tellUser(client, deps.log, click, NO_STEPS);
    await openEditSteps(click, stepsHash, client, deps);
  },
  'review-approver': reviewApproverFromSlack,
  'end-away': endAwayFromSlack,
};

/** The clicked message, carried through a modal to the answer it opens. */
const shownOf = (click: ButtonClick) => (click.shown ? { shown: click.shown } : {});

/** Answers that need nothing but the click. */
function answerWith(answer: { kind: 'accept' | 'done' | 'dismiss' | 'read' }): ClickHandler {
  return (click, client, deps) => answerAndTell(click, answer, client, deps);
}

/** The steps hash an Approve button carries; an approval binds to the steps its message showed. */
function stepsHashOf(click: ButtonClick): string | undefined {
  return click.subject && /^[0-9a-f]{64}$/.test(click.subject) ? click.subject : undefined;
}

const NO_STEPS =
  'That Approve button does not carry the steps it approves; open the approval request and click Approve there.';

/** Approve: the update goes at once; the validator checks approver, two-person rule, steps and state. */
async function approveSteps(click: ButtonClick, client: WebClient, deps: SlackDeps): Promise<void> {
  const stepsHash = stepsHashOf(click);
  if (!stepsHash) return tellUser(client, deps.log, click, NO_STEPS);
  await answerAndTell(click, { kind: 'approve', stepsHash }, client, deps);
}

/** Approve where the policy asks for typed confirmation: a modal asks for the name the button carries. */
async function askTypedApproval(click: ButtonClick, client: WebClient, deps: SlackDeps): Promise<void> {
  const stepsHash = stepsHashOf(click);
  if (!stepsHash) return tellUser(client, deps.log, click, NO_STEPS);
  await openModal(
    click,
    client,
    typedApproveModal({
      workflowId: click.workflowId,
      stepsHash,
      channel: click.channel,
      ...(click.typedName !== undefined ? { resource: click.typedName } : {}),
      ...shownOf(click),
    }),
  );
}

/** An answer to an "outcome unknown" question; the question id travels in the button, so an answer never lands on a later question. */
function answerOutcome(answer: OutcomeAnswer): ClickHandler {
  return async (click, client, deps) => {
    if (!click.subject)
      return tellUser(client, deps.log, click, 'That button does not name the question it answers.');
    await answerAndTell(click, { kind: answer, question: click.subject }, client, deps);
  };
}

function decidePromotion(approve: boolean): ClickHandler {
  return async (click, client, deps) => {
    const agentId = agentOfLedgerId(click.workflowId);
    if (!agentId || !click.subject)
      return tellUser(client, deps.log, click, 'That button does not name a promotion proposal.');
    await decidePromotionFromSlack({ ...click, agentId, proposalId: click.subject }, approve, client, deps);
  };
}

/** The audit an audit button names, with the agent whose ledger holds it; undefined when it names none. */
function auditOf(click: ButtonClick): { agentId: string; auditId: string } | undefined {
  const agentId = agentOfLedgerId(click.workflowId);
  return agentId && click.subject ? { agentId, auditId: click.subject } : undefined;
}

async function auditAgree(click: ButtonClick, client: WebClient, deps: SlackDeps): Promise<void> {
  const audit = auditOf(click);
  if (!audit) return tellUser(client, deps.log, click, 'That button does not name an audit.');
  await auditFromSlack({ ...click, ...audit }, true, undefined, client, deps);
}

async function askAuditDisagreement(click: ButtonClick, client: WebClient, deps: SlackDeps): Promise<void> {
  const audit = auditOf(click);
  if (!audit) return tellUser(client, deps.log, click, 'That button does not name an audit.');
  await openModal(
    click,
    client,
    auditDisagreeModal({ workflowId: click.workflowId, channel: click.channel, auditId: audit.auditId }),
  );
}

/** Opens a modal with the click's trigger id (valid for 3 s, so before any call to Temporal). */
async function openModal(click: ButtonClick, client: WebClient, view: ModalView): Promise<void> {
  await client.views.open({ trigger_id: click.triggerId ?? '', view });
}
