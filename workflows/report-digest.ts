import { temporalUiLink } from '../policy/slack-ids';
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
  const items: DigestItem[] = [];
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
    taskClass: [...new Set(items.map((i) => i.taskClass))].join(', '),
    channel: input.channel,
    title: digestTitle(input.agentId, items.length),
    text,
    link: input.uiBaseUrl ? temporalUiLink(input.uiBaseUrl, info.namespace, info.workflowId) : undefined,
  });
  const listing = (): string => digestListing(items);

  setHandler(addDigestItemSignal, async (item) => {
    if (items.some((i) => i.workflowId === item.workflowId)) return; // a retried activity signals twice
    items.push(item);
    if (ref !== null && readBy === null) {
      await notifying.updateNotification({
        ref,
        notification: { ...message('report', listing()), actions: ['mark-read'] },
      });
    }
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
  await condition(() => items.length > 0, '1 minute'); // the task that started the digest signals with its start
  posted = true;
  ({ ref } = await notifying.notify({
    key: `${info.workflowId}/digest`,
    notification: { ...message('report', listing()), actions: ['mark-read'] },
  }));
  const postedAt = workflowNowMs();

  const read = await awaitReadWithEscalation({
    read: () => readBy !== null,
    escalation: input.escalation,
    readSlaMs: input.readSlaMs,
    ping: async (i, step) => {
      const to = step.notify === 'owner' ? (input.owner ?? 'channel') : step.notify;
      await notifying.notify({
        key: `${info.workflowId}/escalation-${i}`,
        notification: { ...message('report-escalation', unreadDigestText(items.length)), to },
      });
    },
  });
  const classes = [...new Set(items.map((i) => i.taskClass))];
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
  await condition(allHandlersFinished);
  return { items, read, readBy: reader()?.by ?? null };
}
