import { isSlackUserId, temporalUiLink } from '../policy/slack-ids';
import {
  allHandlersFinished,
  condition,
  makeContinueAsNewFunc,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import type { Notification } from '../activities/notify/notifier';
import type { JudgedLedgerEvents } from '../activities/ledger-activities';
import {
  ledgerViewOf,
  newLedger,
  nextAuditExpiryMs,
  recentlyCounted,
  type Audit,
  type LedgerState,
  type LedgerView,
  type Proposal,
  type RungChange,
} from '../policy/ledger';
import {
  applyPromotion,
  approversOf,
  declinePromotion,
  type IdentifiedEvent,
  type LedgerEffect,
} from '../policy/ledger-reducer';
import { autonomousByClass, noteDay, type DailySeries } from '../policy/ledger-series';
import {
  auditExpiredText,
  auditRequestWording,
  auditVerdictText,
  classRollbackWording,
  demotionWording,
  proposalDecidedText,
  proposalForOwnerText,
  proposalWording,
  type Wording,
} from '../slack/blocks/ledger-wording';
import { ActivityProfiles, AUTHORITY_REFRESH_MS } from './activity-profiles';
import { createAlarm } from './alarm';
import { checkAnswerProof, refuseAsFailure } from './answer-check';
import { workflowNowIso, workflowNowMs } from './clock';
import { publishedState } from './published-state';
import {
  auditVerdictUpdate,
  decideProposalUpdate,
  ledgerEventsSignal,
  ledgerOverviewQuery,
  LEDGER_VIEW_MEMO,
  ledgerQuery,
  ledgerSeriesQuery,
  ledgerViewQuery,
  refreshAuthoritySignal,
  reportEvidenceUpdate,
  type ControlAuthority,
  type DecideProposalArgs,
  type HumanEvidenceArgs,
  type LedgerInput,
} from './messages';

const judging = proxyActivities<LadderActivities>(ActivityProfiles.quick);
const notifying = proxyActivities<LadderActivities>(ActivityProfiles.notify);
const authorities = proxyActivities<LadderActivities>(ActivityProfiles.authority);

/** Events judged per activity call; a burst of outcomes is handled in a few round trips. */
const BATCH = 500;
/**
 * The most events a continue-as-new carries; past it the ledger judges first, so the new run's
 * input stays small (~150 bytes an event) however fast evidence comes.
 */
const MAX_CARRIED = 1000;
/**
 * Start a new run while the history is small (the server suggests it only past 4,000 events). A
 * workflow task the server fails (new signals arrived while it continued as new, or too many were
 * buffered) evicts the ledger from the worker's cache, and the next task replays the whole
 * history: a short history keeps that replay quick even on a busy worker, so the ledger catches up.
 */
const MAX_HISTORY_EVENTS = 1000;
/** Evidence only a proven update may bring. */
const HUMAN_EVIDENCE: readonly string[] = ['defect', 'incident', 'audit'];

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
  // What a task's decision reads, in the memo: published in the activation that changes the state.
  const view = publishedState<LedgerView>(LEDGER_VIEW_MEMO);
  view.publish(ledgerViewOf(state));
  const setState = (next: LedgerState): void => {
    state = next;
    view.publish(ledgerViewOf(state));
  };
  // Bounded by days × classes; kept beside the state so neither the judge nor a decision carries it.
  const series: DailySeries = input.series ?? {};
  const queue: IdentifiedEvent[] = [...(input.pending ?? [])];
  const decisions: (DecideProposalArgs & { at: string })[] = [];
  const info = workflowInfo();
  let authority: ControlAuthority | null = input.authority ?? null;
  let refreshRequested = false;
  // A carried authority is as old as its load (absent from runs before it was carried: due now).
  let authorityLoadedAtMs = input.authority ? (input.authorityLoadedAtMs ?? 0) : 0;
  const authorityRefreshMs = input.authorityRefreshMs ?? AUTHORITY_REFRESH_MS;
  const alarm = createAlarm('reload the authority, close audits whose time is up');
  /** Answers need the keys of the last good policy; until the first load, validators cannot tell. */
  const expectProof = (answer: string, args: DecideProposalArgs | { by: string }): void => {
    if (!authority)
      throw new Error('the ledger is starting and cannot check answers yet; try again in a moment');
    checkAnswerProof(authority.answerTrust, info.workflowId, answer, args, args.by);
  };

  // Signals carry machine evidence only. A person's word (defect, incident, audit verdict) must come
  // as a proven update: one forged as a signal is dropped here, so it never counts.
  setHandler(ledgerEventsSignal, (events) => {
    for (const event of events) if (!HUMAN_EVIDENCE.includes(event.event.kind)) queue.push(event);
  });
  setHandler(refreshAuthoritySignal, () => {
    refreshRequested = true;
  });
  setHandler(ledgerQuery, () => state);
  setHandler(ledgerViewQuery, () => ledgerViewOf(state));
  setHandler(ledgerOverviewQuery, () => ({ ...state, seen: [] }));
  setHandler(ledgerSeriesQuery, () => series);
  // Defects and incidents come from people: proven and checked here, refused before history.
  const expectEvidenceStanding = (args: HumanEvidenceArgs, a: ControlAuthority): void => {
    checkAnswerProof(a.answerTrust, info.workflowId, reportEvidenceUpdate.name, args, args.by);
    if (!a.taskClasses.includes(args.taskClass)) {
      throw new Error(`unknown task class "${args.taskClass}" (declared: ${a.taskClasses.join(', ')})`);
    }
    const allowed =
      a.admins.includes(args.by) ||
      a.owners[input.agentId] === args.by ||
      (a.approversByClass[args.taskClass] ?? []).includes(args.by);
    if (!allowed) {
      throw new Error(
        `${args.by} may not report ${args.kind}s for ${input.agentId} in ${args.taskClass} (admins, the class's approvers and the agent's owner may)`,
      );
    }
    if (args.kind === 'defect' && !args.workflowId)
      throw new Error('a defect names the task it was found in');
    if (args.kind === 'defect' && !args.text?.trim()) throw new Error('a defect report needs a description');
  };
  setHandler(
    reportEvidenceUpdate,
    async (args) => {
      // The first evidence may start the ledger: then only the handler, after the first load of
      // the authority, can check (a refusal is then recorded in history).
      await condition(() => authority !== null);
      refuseAsFailure(() => expectEvidenceStanding(args, authority!));
      const at = workflowNowIso();
      queue.push(
        args.kind === 'defect'
          ? {
              id: args.id,
              event: {
                kind: 'defect',
                workflowId: args.workflowId ?? '',
                taskClass: args.taskClass,
                by: args.by,
                text: args.text,
              },
            }
          : {
              id: args.id,
              event: {
                kind: 'incident',
                taskClass: args.taskClass,
                by: args.by,
                text: args.text || 'incident declared',
              },
            },
      );
      return { accepted: true, by: args.by, at };
    },
    {
      validator: (args) => {
        if (authority) expectEvidenceStanding(args, authority);
      },
    },
  );
  setHandler(
    decideProposalUpdate,
    (args) => {
      const at = workflowNowIso();
      decisions.push({ ...args, at });
      return { accepted: true, by: args.by, at };
    },
    {
      validator: (args) => {
        expectProof(decideProposalUpdate.name, args);
        const proposal = state.proposals.find((p) => p.id === args.proposalId);
        if (!proposal) throw new Error(`no proposal ${args.proposalId} for ${input.agentId}`);
        if (proposal.status !== 'open' || decisions.some((d) => d.proposalId === args.proposalId))
          throw new Error(
            `proposal ${args.proposalId} is already ${proposal.status === 'open' ? 'decided' : proposal.status}`,
          );
        // Who may decide is the policy in force's (reloaded on the clock and on request), not the
        // snapshot taken when the proposal was made: an approver removed since is refused.
        const deciders = approversOf(authority!, proposal.taskClass);
        if (!deciders.includes(args.by))
          throw new Error(
            `${args.by} may not decide promotions in ${proposal.taskClass} (admins and its approvers in policy ${authority!.policyVersion}: ${deciders.join(', ')})`,
          );
      },
    },
  );

  // Audit verdicts become evidence like any other; the message is closed once it is counted.
  const auditsToClose: { audit: Audit; text: string }[] = [];
  setHandler(
    auditVerdictUpdate,
    (args) => {
      const at = workflowNowIso();
      const audit = state.audits!.find((a) => a.id === args.auditId)!;
      queue.push({
        id: `audit/${audit.workflowId}`,
        event: {
          kind: 'audit',
          workflowId: audit.workflowId,
          taskClass: audit.taskClass,
          by: args.by,
          agree: args.agree,
          reason: args.reason,
        },
      });
      auditsToClose.push({
        audit,
        text: auditVerdictText({
          agentId: input.agentId,
          by: args.by,
          at,
          agree: args.agree,
          reason: args.reason,
        }),
      });
      return { accepted: true, by: args.by, at };
    },
    {
      validator: (args) => {
        expectProof(auditVerdictUpdate.name, args);
        const audit = state.audits?.find((a) => a.id === args.auditId);
        if (!audit) throw new Error(`no audit ${args.auditId} for ${input.agentId}`);
        if (audit.status !== 'open' || auditsToClose.some((c) => c.audit.id === args.auditId))
          throw new Error(`audit ${args.auditId} already has a verdict`);
        const reviewers = approversOf(authority!, audit.taskClass);
        if (!reviewers.includes(args.by))
          throw new Error(
            `${args.by} may not audit ${audit.taskClass} (admins and its approvers in policy ${authority!.policyVersion}: ${reviewers.join(', ')})`,
          );
        if (!args.agree && !args.reason?.trim()) throw new Error('a disagreement needs a reason');
      },
    },
  );

  const link = input.uiBaseUrl ? temporalUiLink(input.uiBaseUrl, info.namespace, info.workflowId) : undefined;

  for (;;) {
    // On the clock, not on quiet: evidence arriving more often than the refresh period must not
    // keep a revoked key or a removed admin trusted here.
    if (!authority || refreshRequested || workflowNowMs() >= authorityLoadedAtMs + authorityRefreshMs) {
      refreshRequested = false;
      authority = await authorities.loadControlAuthority();
      authorityLoadedAtMs = workflowNowMs();
    }
    // Rings for the next refresh, or earlier when an open audit's time is up; evidence wakes the
    // loop without restarting the timer.
    const expiry = nextAuditExpiryMs(state);
    alarm.setFor(Math.min(authorityLoadedAtMs + authorityRefreshMs, expiry ?? Infinity));
    await condition(
      () =>
        queue.length > 0 ||
        decisions.length > 0 ||
        refreshRequested ||
        alarm.rang() ||
        workflowInfo().continueAsNewSuggested,
    );
    const auditsDue = expiry !== undefined && expiry <= workflowNowMs();

    for (const decision of decisions.splice(0)) {
      const proposal = state.proposals.find((p) => p.id === decision.proposalId);
      if (!proposal) continue;
      if (decision.approve) {
        const applied = applyPromotion(state, decision.proposalId, decision.by, workflowNowMs());
        if (!applied.ok) continue;
        noteDay(series, state, applied.state, {}, workflowNowMs());
        setState(applied.state);
        await judging.countProposalDecision({
          taskClass: proposal.taskClass,
          approved: true,
          cause: applied.change.cause,
        });
        await closeProposal(
          proposal,
          proposalDecidedText({
            approved: true,
            by: decision.by,
            at: decision.at,
            rung: applied.change.to,
            taskClass: proposal.taskClass,
          }),
        );
      } else {
        setState(declinePromotion(state, decision.proposalId, decision.by, workflowNowMs()));
        await judging.countProposalDecision({ taskClass: proposal.taskClass, approved: false });
        await closeProposal(
          proposal,
          proposalDecidedText({ approved: false, by: decision.by, at: decision.at }),
        );
      }
    }

    // Events counted lately are dropped here, and the judge never sees the seen set: its input is
    // the batch and the rest of the state, however many tasks the agent ran.
    const counted = recentlyCounted(state, workflowNowMs());
    const batch = queue.splice(0, BATCH).filter(({ id }) => !counted.counted(id));
    if (batch.length > 0 || auditsDue) {
      // An empty batch still closes the audits whose time is up.
      const { seen } = state;
      const judged = await judging.judgeLedgerEvents({ state: { ...state, seen: [] }, events: batch });
      noteDay(series, state, judged.state, autonomousByClass(batch), workflowNowMs());
      setState({ ...judged.state, seen });
      for (const effect of judged.effects) await tell(effect, judged);
      for (const { audit, text } of auditsToClose.splice(0)) {
        if (!audit.messageRef) continue;
        await notifying.updateNotification({
          ref: audit.messageRef,
          notification: { ...auditNotice(audit, 'channel'), kind: 'outcome', text, actions: [] },
        });
      }
    }

    const due = workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_HISTORY_EVENTS;
    if (due && queue.length <= MAX_CARRIED) {
      await condition(allHandlersFinished);
      // The next run keeps this one's workflow task timeout (the link starts ledgers with a long one).
      await makeContinueAsNewFunc<typeof trustLedger>({
        workflowTaskTimeout: workflowInfo().taskTimeoutMs,
        memo: view.carried(ledgerViewOf(state)),
      })({
        ...input,
        state,
        pending: queue.splice(0),
        authority: authority ?? undefined,
        authorityLoadedAtMs,
        series,
      });
    }
  }

  /** Tells people of one effect, where the judgement said (`where`: class channels, the owner). */
  async function tell(
    effect: LedgerEffect,
    where: Pick<JudgedLedgerEvents, 'channels' | 'owner'>,
  ): Promise<void> {
    if (effect.kind === 'audit-requested') {
      const channel = where.channels[effect.audit.taskClass] ?? '#general';
      const { ref } = await notifying.notify({
        key: `${info.workflowId}/audit-${effect.audit.id}`,
        notification: auditNotice(effect.audit, channel),
      });
      const stored = state.audits?.find((a) => a.id === effect.audit.id);
      if (stored) stored.messageRef = ref;
      return;
    }
    if (effect.kind === 'class-rollback') {
      await judging.capTaskClass({
        taskClass: effect.taskClass,
        cap: effect.cap,
        cause: effect.cause,
        by: `ledger:${input.agentId}`,
      });
      const channel = where.channels[effect.taskClass] ?? '#general';
      await notifying.notify({
        key: `${info.workflowId}/class-rollback-${effect.taskClass}-${state.history.length}-${workflowNowIso()}`,
        notification: base('rung-change', effect.taskClass, classRollbackWording(effect), channel),
      });
      return;
    }
    if (effect.kind === 'audit-expired') {
      if (!effect.audit.messageRef) return;
      await notifying.updateNotification({
        ref: effect.audit.messageRef,
        notification: {
          ...auditNotice(effect.audit, 'channel'),
          kind: 'outcome',
          text: auditExpiredText(effect.audit.id, effect.audit.reason),
          actions: [],
        },
      });
      return;
    }
    const to = where.owner ?? 'channel';
    if (effect.kind === 'demoted') {
      await notifying.notify({
        key: `${info.workflowId}/change-${state.history.length}-${effect.change.at}`,
        notification: changeNotice(effect.change, to),
      });
      return;
    }
    // The owner is told, but the people who may approve are the class's approvers and the admins:
    // the proposal goes where they all see it, the class channel, naming the owner.
    const postedIn = to !== 'channel' ? (where.channels[effect.proposal.taskClass] ?? to) : to;
    const notification = proposalNotice(effect.proposal, postedIn);
    const { ref } = await notifying.notify({
      key: `${info.workflowId}/proposal-${effect.proposal.id}`,
      notification:
        postedIn === to
          ? notification
          : { ...notification, text: proposalForOwnerText(to, input.agentId, notification.text) },
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
    { title, text }: Wording,
    /** A Slack user id (a DM), a channel, or `channel` when the owner is unknown. */
    where: string,
  ): Notification {
    const person = isSlackUserId(where);
    return {
      kind,
      workflowId: info.workflowId,
      agentId: input.agentId,
      taskClass,
      channel: person || where === 'channel' ? '#general' : where,
      ...(person ? { to: where } : {}),
      title,
      text,
      link,
    };
  }

  function auditNotice(a: Audit, channel: string): Notification {
    return {
      ...base('audit', a.taskClass, auditRequestWording({ ...a, agentId: input.agentId }), channel),
      subject: a.id,
      fields: { task: a.workflowId, reviewers: a.reviewers.join(', ') },
      actions: ['audit-agree', 'audit-disagree'],
    };
  }

  function proposalNotice(p: Proposal, to: string): Notification {
    return {
      ...base('promotion-proposal', p.taskClass, proposalWording({ ...p, agentId: input.agentId }), to),
      subject: p.id,
      fields: { approvers: p.approvers.join(', ') },
      actions: ['promote', 'decline-promotion'],
    };
  }

  function changeNotice(change: RungChange, to: string): Notification {
    return base('rung-change', change.taskClass, demotionWording({ ...change, agentId: input.agentId }), to);
  }
}
