import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import type { Notification } from '../activities/notify/notifier';
import { newLedger, type LedgerState, type Proposal, type RungChange } from '../policy/ledger';
import {
  applyPromotion,
  declinePromotion,
  type IdentifiedEvent,
  type LedgerEffect,
} from '../policy/ledger-reducer';
import { ActivityProfiles } from './activity-profiles';
import { workflowNowIso, workflowNowMs } from './clock';
import {
  decideProposalUpdate,
  ledgerEventSignal,
  ledgerQuery,
  type DecideProposalArgs,
  type LedgerInput,
} from './messages';

const judging = proxyActivities<LadderActivities>(ActivityProfiles.quick);
const notifying = proxyActivities<LadderActivities>(ActivityProfiles.notify);

/** Events judged per activity call; a burst of outcomes is handled in a few round trips. */
const BATCH = 100;
/** Start a new run before the history grows large (the server also suggests it). */
const MAX_HISTORY_EVENTS = 4000;

/**
 * One agent's trust ledger (`ledger/<queue>/<agent>`): earned rung per task class, the evidence
 * since each class's last rung change, the rung history with causes, and open promotion proposals.
 *
 * Evidence arrives as signals (task outcomes, defects, incidents, audits, model or prompt
 * versions). Each batch is judged by an activity with the policy in force: demotions apply at once
 * and notify the owner; an earned promotion becomes a proposal sent to the owner in Slack, applied
 * one rung at a time only when an authorised person approves it (an update, validated here).
 */
export async function trustLedger(input: LedgerInput): Promise<void> {
  let state: LedgerState = input.state ?? newLedger(input.agentId);
  const queue: IdentifiedEvent[] = [...(input.pending ?? [])];
  const decisions: (DecideProposalArgs & { at: string })[] = [];
  const info = workflowInfo();

  setHandler(ledgerEventSignal, (event) => {
    queue.push(event);
  });
  setHandler(ledgerQuery, () => state);
  setHandler(
    decideProposalUpdate,
    (args) => {
      const at = workflowNowIso();
      decisions.push({ ...args, at });
      return { accepted: true, by: args.by, at };
    },
    {
      validator: (args) => {
        const proposal = state.proposals.find((p) => p.id === args.proposalId);
        if (!proposal) throw new Error(`no proposal ${args.proposalId} for ${input.agentId}`);
        if (proposal.status !== 'open' || decisions.some((d) => d.proposalId === args.proposalId))
          throw new Error(
            `proposal ${args.proposalId} is already ${proposal.status === 'open' ? 'decided' : proposal.status}`,
          );
        if (!proposal.approvers.includes(args.by))
          throw new Error(
            `${args.by} may not decide promotions in ${proposal.taskClass} (admins and its approvers: ${proposal.approvers.join(', ')})`,
          );
      },
    },
  );

  const link = input.uiBaseUrl
    ? `${input.uiBaseUrl}/namespaces/${encodeURIComponent(info.namespace)}/workflows/${encodeURIComponent(info.workflowId)}`
    : undefined;
  const owner = async (): Promise<string> =>
    (await judging.ledgerOwner({ agentId: input.agentId })) ?? 'channel';

  for (;;) {
    await condition(() => queue.length > 0 || decisions.length > 0 || workflowInfo().continueAsNewSuggested);

    for (const decision of decisions.splice(0)) {
      const proposal = state.proposals.find((p) => p.id === decision.proposalId);
      if (!proposal) continue;
      if (decision.approve) {
        const applied = applyPromotion(state, decision.proposalId, decision.by, workflowNowMs());
        if (!applied.ok) continue;
        state = applied.state;
        await closeProposal(
          proposal,
          `Approved by ${decision.by} at ${decision.at}: now at rung ${applied.change.to} in ${proposal.taskClass}.`,
        );
      } else {
        state = declinePromotion(state, decision.proposalId, decision.by, workflowNowMs());
        await closeProposal(
          proposal,
          `Declined by ${decision.by} at ${decision.at}; the clean period starts again.`,
        );
      }
    }

    if (queue.length > 0) {
      const batch = queue.splice(0, BATCH);
      const judged = await judging.judgeLedgerEvents({ state, events: batch });
      state = judged.state;
      for (const effect of judged.effects) await tell(effect);
    }

    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof trustLedger>({ ...input, state, pending: queue.splice(0) });
    }
  }

  async function tell(effect: LedgerEffect): Promise<void> {
    const to = await owner();
    if (effect.kind === 'demoted') {
      await notifying.notify({
        key: `${info.workflowId}/change-${state.history.length}-${effect.change.at}`,
        notification: changeNotice(effect.change, to),
      });
      return;
    }
    const { ref } = await notifying.notify({
      key: `${info.workflowId}/proposal-${effect.proposal.id}`,
      notification: proposalNotice(effect.proposal, to),
    });
    const stored = state.proposals.find((p) => p.id === effect.proposal.id);
    if (stored) stored.messageRef = ref;
  }

  async function closeProposal(proposal: Proposal, text: string): Promise<void> {
    if (!proposal.messageRef) return;
    await notifying.updateNotification({
      ref: proposal.messageRef,
      notification: { ...proposalNotice(proposal, 'channel'), kind: 'outcome', text, actions: [] },
    });
  }

  function base(
    kind: Notification['kind'],
    taskClass: string,
    title: string,
    text: string,
    to: string,
  ): Notification {
    return {
      kind,
      workflowId: info.workflowId,
      agentId: input.agentId,
      taskClass,
      channel: to.startsWith('U') || to.startsWith('W') ? to : '#general',
      to,
      title,
      text,
      link,
    };
  }

  function proposalNotice(p: Proposal, to: string): Notification {
    const lines = p.criteria.map((c) => `${c.ok ? '✅' : '❌'} *${c.criterion}*: ${c.detail}`);
    return {
      ...base(
        'promotion-proposal',
        p.taskClass,
        `${input.agentId}: rung ${p.from} → ${p.to} in ${p.taskClass}`,
        `The evidence meets every threshold for promotion:\n${lines.join('\n')}\nApprove to raise ${input.agentId} one rung in ${p.taskClass}; decline to keep it where it is.`,
        to,
      ),
      subject: p.id,
      fields: { approvers: p.approvers.join(', ') },
      actions: ['promote', 'decline-promotion'],
    };
  }

  function changeNotice(change: RungChange, to: string): Notification {
    return base(
      'rung-change',
      change.taskClass,
      `${input.agentId} demoted: rung ${change.from} → ${change.to} in ${change.taskClass}`,
      `${change.cause}.${change.by ? ` Reported by ${change.by}.` : ''} Evidence at the time: ${change.evidence}.`,
      to,
    );
  }
}
