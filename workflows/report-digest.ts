import { temporalUiLink } from '../policy/slack-ids';
import { stableFingerprint } from '../policy/stable-hash';
import {
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import type { Notification } from '../activities/notify/notifier';
import { digestListing, digestTitle, unreadDigestText } from '../slack/blocks/report-wording';
import { ActivityProfiles } from './activity-profiles';
import { checkAnswerProof } from './answer-check';
import { workflowNowIso, workflowNowMs } from './clock';
import {
  addDigestItemSignal,
  DIGEST_ITEMS_LISTED,
  markReportReadUpdate,
  type DigestInput,
  type DigestItem,
  type DigestResult,
} from './messages';
import { awaitReadWithEscalation } from './read-sla';

const notifying = proxyActivities<LadderActivities>(ActivityProfiles.notify);

/**
 * One agent's report digest for one period (`digest/<queue>/<agent>/<periodStart>`): collects the
 * tasks executed at rung 5 in the period, posts them together when it ends, and holds the read SLA
 * and escalation chain for all of them. Tasks that arrive after posting are added to the posted message.
 */
export async function reportDigest(input: DigestInput): Promise<DigestResult> {
  const info = workflowInfo();
  // The first tasks, listed by name; every task counted by a fingerprint of its id (a retried
  // activity signals twice) and by class, so a busy period costs memory, not history or payloads.
  const items: DigestItem[] = [];
  const counted = new Set<number>();
  const classes = new Set<string>();
  let ref: string | null = null;
  // Set before posting, so a reader who clicks the moment the message appears is accepted.
  let posted = false;
  let readBy: { by: string; at: string } | null = null;
  // Set by the update handler; read through a function so TypeScript does not narrow it to null.
  const reader = (): { by: string; at: string } | null => readBy;

  const message = (kind: Notification['kind'], text: string): Notification => ({
    kind,
    workflowId: info.workflowId,
    agentId: input.agentId,
    taskClass: [...classes].join(', '),
    channel: input.channel,
    title: digestTitle(input.agentId, counted.size),
    text,
    link: input.uiBaseUrl ? temporalUiLink(input.uiBaseUrl, info.namespace, info.workflowId) : undefined,
  });
  const listing = (): string => digestListing(items, counted.size);

  // Tasks that arrive after posting are added to the message: one edit at a time, the last one
  // carrying everything that arrived while the one before was in flight.
  let editing = false;
  let edited = true;
  const editInLateItems = async (): Promise<void> => {
    if (editing || ref === null) return;
    editing = true;
    while (!edited && readBy === null) {
      edited = true;
      await notifying.updateNotification({
        ref,
        notification: { ...message('report', listing()), actions: ['mark-read'] },
      });
    }
    editing = false;
  };
  setHandler(addDigestItemSignal, async (item) => {
    const fingerprint = stableFingerprint(item.workflowId);
    if (counted.has(fingerprint)) return;
    counted.add(fingerprint);
    classes.add(item.taskClass);
    if (items.length < DIGEST_ITEMS_LISTED) items.push(item);
    if (!posted) return;
    // Arrived after the post's text was made: edited in now, or, while the post is still in
    // flight (no ref yet), right after it.
    edited = false;
    await editInLateItems();
  });
  setHandler(
    markReportReadUpdate,
    (args) => {
      readBy = { by: args.by, at: workflowNowIso() };
      return { accepted: true as const, by: args.by, at: readBy.at };
    },
    {
      validator: (args) => {
        if (!posted) throw new Error('the digest has not been posted yet');
        if (readBy !== null) throw new Error(`already read by ${readBy.by}`);
        checkAnswerProof(input.answerTrust, info.workflowId, markReportReadUpdate.name, args, args.by);
        if (!input.readers.includes(args.by)) {
          throw new Error(
            `${args.by} may not mark this digest read (readers: ${input.readers.join(', ') || 'none'})`,
          );
        }
      },
    },
  );

  await sleep(Math.max(0, Date.parse(input.periodEnd) - workflowNowMs()));
  await condition(() => counted.size > 0, '1 minute'); // the task that started the digest signals with its start
  posted = true;
  ({ ref } = await notifying.notify({
    key: `${info.workflowId}/digest`,
    notification: { ...message('report', listing()), actions: ['mark-read'] },
  }));
  const postedAt = workflowNowMs();
  // Tasks that arrived while the post was in flight are not in it; their handlers found no message
  // to edit yet. Signals can come in the same activation as the post's result, and run first.
  const lateWhilePosting = editInLateItems();

  const read = await awaitReadWithEscalation({
    read: () => readBy !== null,
    escalation: input.escalation,
    readSlaMs: input.readSlaMs,
    ping: async (i, step) => {
      const to = step.notify === 'owner' ? (input.owner ?? 'channel') : step.notify;
      await notifying.notify({
        key: `${info.workflowId}/escalation-${i}`,
        notification: { ...message('report-escalation', unreadDigestText(counted.size)), to },
      });
    },
  });
  for (const taskClass of classes) {
    await notifying.recordOutcome({
      workflowId: info.workflowId,
      agentId: input.agentId,
      taskClass,
      rung: 5,
      kind: read ? 'report-read' : 'sla-breach',
      by: reader()?.by,
      latencyMs: workflowNowMs() - postedAt,
    });
  }
  // An item that arrived while the outcome was recorded is still updating the message: let it finish.
  await lateWhilePosting;
  await condition(allHandlersFinished);
  return { items, total: counted.size, read, readBy: reader()?.by ?? null };
}
