import {
  addDigestItemSignal,
  DIGEST_ITEMS_LISTED,
  ledgerQuery,
  ledgerWorkflowId,
  markReportReadUpdate,
  type DigestItem,
} from '../../workflows/messages';
import { reportDigest } from '../../workflows/report-digest';
import { answerAs } from '../helpers/answers';
import { workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const item = (n: number): DigestItem => ({
  workflowId: `task/a5/busy-${n}`,
  taskClass: n % 2 === 0 ? 'digest' : 'ops',
  title: `busy task ${n}`,
  summary: `1 step(s) executed: busy task ${n}`,
});

/** A workflow's history in one line: `+<ms since start> <event type> ×<count>` per run of one type. */
async function historyOutline(handle: WorkflowHandle): Promise<string> {
  const events = (await handle.fetchHistory()).events ?? [];
  const msOf = (e: (typeof events)[number]): number =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  const start = events.length > 0 ? msOf(events[0]) : 0;
  const runs: { at: number; type: string; count: number }[] = [];
  for (const e of events) {
    const type = temporal.api.enums.v1.EventType[e.eventType ?? 0].replace(/^EVENT_TYPE_/, '');
    const last = runs.at(-1);
    if (last?.type === type) last.count++;
    else runs.push({ at: msOf(e) - start, type, count: 1 });
  }
  return runs.map((r) => `+${r.at} ${r.type}${r.count > 1 ? ` ×${r.count}` : ''}`).join(', ');
}

/**
 * A busy period's digest: it names its first tasks and counts the rest, so neither the message
 * nor the workflow's payloads grow with the period's tasks, and late tasks share their edits.
 */
describe('a rung-5 digest of a busy period', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('report-digest', { policy: workflowTestPolicy(), ledger: true });
  });
  afterAll(async () => stack?.stop());

  it(`lists the first ${DIGEST_ITEMS_LISTED} tasks, counts every one once, and coalesces late edits`, async () => {
    const before = 60;
    const after = DIGEST_ITEMS_LISTED + 30 - before;
    const workflowId = `digest/${stack.taskQueue}/a5/busy`;
    const handle = await stack.client.workflow.start(reportDigest, {
      workflowId,
      taskQueue: stack.taskQueue,
      args: [
        {
          agentId: 'a5',
          periodEnd: new Date(Date.now() + 3_000).toISOString(),
          channel: '#digest-reports',
          owner: 'U0OWNER01',
          escalation: [],
          readSlaMs: 600_000,
          answerTrust: stack.policy.current.answerTrust,
          readers: ['U0OWNER01'],
        },
      ],
    });
    const send = (ns: number[]) => Promise.all(ns.map((n) => handle.signal(addDigestItemSignal, item(n))));
    await send(Array.from({ length: before }, (_, n) => n));
    const posted = () => stack.notifier.forWorkflow(workflowId).find((m) => m.notification.kind === 'report');
    await waitUntil(() => posted() !== undefined).catch(async (err: Error) => {
      // Seen in CI only, not reproduced: say what the digest did, in order, so the next one tells why.
      throw new Error(`${err.message}; the digest's history: ${await historyOutline(handle)}`);
    });
    // Late tasks, each sent twice (a retried activity), after the message went out.
    const late = Array.from({ length: after }, (_, n) => before + n);
    await send([...late, ...late]);
    const total = before + after;
    await waitUntil(() =>
      (posted()!.updates.at(-1) ?? posted()!.notification).title.includes(`${total} task(s)`),
    );
    const last = posted()!.updates.at(-1)!;
    expect(last.text).toContain(`${DIGEST_ITEMS_LISTED}. [`);
    expect(last.text).not.toContain(`${DIGEST_ITEMS_LISTED + 1}. [`);
    expect(last.text).toContain(`…and ${total - DIGEST_ITEMS_LISTED} more task(s)`);
    expect(last.taskClass.split(', ').sort()).toEqual(['digest', 'ops']);
    // One edit at a time, each carrying what arrived meanwhile: fewer edits than late tasks.
    expect(posted()!.updates.length).toBeLessThan(after);

    await answerAs(handle, markReportReadUpdate, { by: 'U0OWNER01' });
    const result = await handle.result();
    expect(result).toMatchObject({ total, read: true, readBy: 'U0OWNER01' });
    // Listed in arrival order: every task sent before the post, then the first late ones.
    const listed = result.items.map((i) => i.workflowId);
    expect(new Set(listed).size).toBe(DIGEST_ITEMS_LISTED);
    expect(listed.slice(0, before).sort()).toEqual(
      Array.from({ length: before }, (_, n) => item(n).workflowId).sort(),
    );
    // Read is recorded once per class the period's tasks belong to, listed or not.
    expect(
      stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => [e.kind, e.taskClass]),
    ).toEqual(
      expect.arrayContaining([
        ['report-read', 'digest'],
        ['report-read', 'ops'],
      ]),
    );
    expect(stack.outcomes.events.filter((e) => e.workflowId === workflowId)).toHaveLength(2);
  }, 120_000);

  it('takes an unread digest as a breach in every class it covers: each class of the agent is demoted', async () => {
    const workflowId = `digest/${stack.taskQueue}/a5/unread`;
    const handle = await stack.client.workflow.start(reportDigest, {
      workflowId,
      taskQueue: stack.taskQueue,
      args: [
        {
          agentId: 'a5',
          periodEnd: new Date().toISOString(),
          channel: '#digest-reports',
          owner: 'U0OWNER01',
          escalation: [],
          readSlaMs: 1_000,
          answerTrust: stack.policy.current.answerTrust,
          readers: ['U0OWNER01'],
        },
      ],
    });
    await Promise.all([item(1), item(2)].map((i) => handle.signal(addDigestItemSignal, i)));
    expect(await handle.result()).toMatchObject({ read: false, total: 2 });
    const ledger = stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, 'a5'));
    await waitUntil(async () => {
      try {
        const state = await ledger.query(ledgerQuery);
        return ['digest', 'ops'].every((c) => state.classes[c]?.rung === 4);
      } catch {
        return false; // not started yet
      }
    });
    const changes = (await ledger.query(ledgerQuery)).history.map((h) => [h.taskClass, h.from, h.to]);
    expect(changes.sort()).toEqual([
      ['digest', 5, 4],
      ['ops', 5, 4],
    ]);
  }, 120_000);
});
