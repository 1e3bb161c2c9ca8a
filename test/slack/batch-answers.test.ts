import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { ACTION_IDS, BATCH_ACTION_IDS } from '../../slack/action-ids';
import { BATCH_BLOCKS, BATCH_VIEW_IDS, parseBatchMetadata } from '../../slack/blocks/batch-modal';
import { postSigned, viewSubmissionPayload } from '../../slack/emulator/deliver';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import { statusQuery } from '../../workflows/messages';
import { ephemeralsFor, startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

const APPROVER = 'U0APPR002';

/** The checkbox values a batch modal offers. */
const offered = (view: Record<string, unknown>): string[] =>
  ((view.blocks as { block_id?: string; element?: { options?: { value: string }[] } }[]) ?? [])
    .find((b) => b.block_id === BATCH_BLOCKS.tasks)
    ?.element?.options?.map((o) => o.value) ?? [];

/** The arguments of the accepted update `name` in a task's history. */
async function acceptedArgs(handle: WorkflowHandle, name: string): Promise<Record<string, unknown>> {
  const accepted = ((await handle.fetchHistory()).events ?? [])
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
    .find((a) => a?.acceptedRequest?.input?.name === name);
  const [args] = (accepted!.acceptedRequest!.input!.args!.payloads ?? []).map((p) =>
    defaultPayloadConverter.fromPayload<Record<string, unknown>>(p as never),
  );
  return args;
}

// Batch answers end to end: the emulator delivers `/ladder pending`, Home clicks and modal
// submissions to the real Bolt app as signed requests; each answer goes to a real task workflow on
// the dev server (real worker), whose update validator decides it on its own.
describe('answering approval requests in a batch', () => {
  let rig: SlackRig;
  beforeAll(async () => {
    rig = await startSlackRig('batch-answers', workflowTestPolicy());
  });
  afterAll(async () => rig?.stop());

  const effects = (): string[] => {
    const path = join(rig.stack.dirs.sandboxDir, 'effects.log');
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };

  /** Submits rung-2 `ops` tasks (a2) and waits until each asks for approval. */
  const requests = async (words: string[], requester = 'U0APPR001') => {
    const submitted = await Promise.all(
      words.map((w) =>
        submit(rig.stack, taskRequest('a2', 'ops', [appendStep(w)], { requester, title: `batch ${w}` })),
      ),
    );
    for (const s of submitted) await waitForStatus(s.handle, (st) => st.phase === 'awaiting-human');
    return submitted;
  };

  /**
   * Opens the batch modal (`open`) until it lists every one of `workflowIds` (WaitingOn reaches
   * visibility a moment after a task asks); returns the open view and its metadata.
   */
  const openBatchListing = async (user: string, workflowIds: string[], open: () => Promise<unknown>) => {
    let listed: string[] = [];
    await waitUntil(async () => {
      const before = rig.emulator.viewFor(user)?.id;
      await open();
      // The modal this attempt opened (the ack comes before it opens) shows "Reading…" at once,
      // then the app fills it, or says nothing waits.
      await waitUntil(() => {
        const now = rig.emulator.viewFor(user);
        return (
          now !== undefined &&
          now.id !== before &&
          !JSON.stringify(now.view.blocks).includes('Reading the approval requests')
        );
      });
      const v = rig.emulator.viewFor(user)!.view;
      if (v.callback_id !== BATCH_VIEW_IDS.answer) return false;
      listed = parseBatchMetadata(String(v.private_metadata))!.t.map(([id]) => id);
      return workflowIds.every((id) => listed.includes(id));
    });
    const open_ = rig.emulator.viewFor(user)!;
    return { view: open_, metadata: parseBatchMetadata(String(open_.view.private_metadata))! };
  };

  /** Waits for the modal to show the batch's outcome and returns its text. */
  const outcomeInModal = async (user: string): Promise<string> => {
    await waitUntil(() => {
      const v = rig.emulator.viewFor(user)?.view as { title?: { text?: string } } | undefined;
      return v?.title?.text === 'Batch answered';
    });
    return JSON.stringify(rig.emulator.viewFor(user)!.view.blocks);
  };

  it('approves the rest of a batch when one went stale meanwhile, and names the stale one with its reason', async () => {
    const [one, stale, three] = await requests(['batch-1', 'batch-2', 'batch-3']);
    const { metadata } = await openBatchListing(
      APPROVER,
      [one, stale, three].map((s) => s.workflowId),
      () => rig.emulator.command(APPROVER, '#ops', '/ladder pending ops'),
    );
    const indexOf = (id: string): string => String(metadata.t.findIndex(([w]) => w === id));

    // Meanwhile the second is answered on its own message: its batch answer is now stale.
    const ownMessage = await waitForMessage(
      rig.emulator,
      '#ops',
      (m: EmulatedMessage) =>
        m.ephemeralTo === undefined && JSON.stringify(m.blocks).includes(`"value":"${stale.workflowId}#`),
    );
    await rig.emulator.click(APPROVER, '#ops', ownMessage.ts, ACTION_IDS.approve);
    expect(await stale.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: APPROVER });

    await rig.emulator.submitView(APPROVER, {
      [BATCH_BLOCKS.tasks]: [one, stale, three].map((s) => indexOf(s.workflowId)),
      [BATCH_BLOCKS.decision]: 'approve',
    });
    expect(await one.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: APPROVER });
    expect(await three.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: APPROVER });
    // Each step ran once: the stale answer did nothing.
    expect(
      effects()
        .filter((e) => e.startsWith('batch-'))
        .sort(),
    ).toEqual(['batch-1', 'batch-2', 'batch-3']);

    const modal = await outcomeInModal(APPROVER);
    expect(modal).toContain('2 approved, 1 refused');
    expect(modal).toMatch(
      new RegExp(
        `Refused:\\* \\*\\[\\d\\] batch batch-2\\* <[^|]+\\|${stale.workflowId}>\\\\n(already answered by ${APPROVER}|task already finished)`,
      ),
    );
    await waitUntil(() => ephemeralsFor(rig.emulator, '#ops', APPROVER).some((t) => t.startsWith('Batch: ')));
    const told = ephemeralsFor(rig.emulator, '#ops', APPROVER).find((t) => t.startsWith('Batch: '))!;
    expect(told).toContain('Batch: 2 approved, 1 refused.');
    // Each named as the modal showed it, with its task id.
    expect(told).toMatch(
      new RegExp(
        `:x: refused: \\[\\d\\] batch batch-2 \\(${stale.workflowId}\\): (already answered|task already finished)`,
      ),
    );
    expect(told).toMatch(new RegExp(`approved: \\[\\d\\] batch batch-1 \\(${one.workflowId}\\)`));
    expect(told).toMatch(new RegExp(`approved: \\[\\d\\] batch batch-3 \\(${three.workflowId}\\)`));

    // Each batch answer is signed like a click, and records the modal as what was shown.
    const args = await acceptedArgs(one.handle, 'approve');
    expect(args).toMatchObject({ approver: APPROVER, proof: { keyId: 'frontend' } });
    expect(args.shown).toMatchObject({
      ref: expect.stringMatching(/^modal\/V\d+$/),
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('rejects a batch from the App Home, each with the reason given, and asks for a reason first', async () => {
    const batch = await requests(['reject-1', 'reject-2']);
    const ids = batch.map((s) => s.workflowId);
    // The Home offers the batch once two requests of the class wait on the person.
    await waitUntil(async () => {
      await rig.emulator.openHome(APPROVER);
      const home = JSON.stringify(rig.emulator.homeFor(APPROVER)?.view ?? null);
      return ids.every((id) => home.includes(id)) && home.includes(BATCH_ACTION_IDS.open);
    });
    const { metadata } = await openBatchListing(APPROVER, ids, () =>
      rig.emulator.clickHome(APPROVER, BATCH_ACTION_IDS.open, { value: 'ops' }),
    );
    const selected = ids.map((id) => String(metadata.t.findIndex(([w]) => w === id)));
    // A rejection without a reason stays in the modal with the error on the field; nothing is sent.
    const refused = await rig.emulator.submitView(APPROVER, {
      [BATCH_BLOCKS.tasks]: selected,
      [BATCH_BLOCKS.decision]: 'reject',
      [BATCH_BLOCKS.reason]: '',
    });
    expect(refused.body).toMatchObject({ response_action: 'errors' });
    expect(rig.emulator.viewFor(APPROVER)?.errors).toEqual({
      [BATCH_BLOCKS.reason]: 'A rejection needs a reason.',
    });
    for (const s of batch) expect((await s.handle.query(statusQuery)).phase).toBe('awaiting-human');

    await rig.emulator.submitView(APPROVER, {
      [BATCH_BLOCKS.tasks]: selected,
      [BATCH_BLOCKS.decision]: 'reject',
      [BATCH_BLOCKS.reason]: 'maintenance window is closed',
    });
    for (const s of batch) expect(await s.handle.result()).toMatchObject({ outcome: 'rejected' });
    expect(await acceptedArgs(batch[0].handle, 'reject')).toMatchObject({
      approver: APPROVER,
      reason: 'maintenance window is closed',
    });
    expect(effects().filter((e) => e.startsWith('reject-'))).toEqual([]);
    expect(await outcomeInModal(APPROVER)).toContain('2 rejected, 0 refused');
    // Opened from the Home: told in the DM, and the Home is published again without them.
    const dm = rig.emulator.dmWith(APPROVER);
    await waitUntil(() =>
      ephemeralsFor(rig.emulator, dm, APPROVER).some((t) => t.startsWith('Batch: 2 rejected')),
    );
    await waitUntil(async () => {
      const home = JSON.stringify(rig.emulator.homeFor(APPROVER)?.view ?? null);
      if (ids.some((id) => home.includes(id))) await rig.emulator.openHome(APPROVER);
      return !ids.some((id) => JSON.stringify(rig.emulator.homeFor(APPROVER)?.view ?? null).includes(id));
    });
  });

  it('shows the batcher’s own request under the two-person rule as not selectable, and the workflow refuses it when a submission forges it in', async () => {
    const [other] = await requests(['two-person-other']);
    const [mine] = await requests(['two-person-mine'], APPROVER);
    const { view, metadata } = await openBatchListing(APPROVER, [other.workflowId, mine.workflowId], () =>
      rig.emulator.command(APPROVER, '#ops', '/ladder pending'),
    );
    const mineIndex = String(metadata.t.findIndex(([w]) => w === mine.workflowId));
    const otherIndex = String(metadata.t.findIndex(([w]) => w === other.workflowId));
    expect(offered(view.view)).toContain(otherIndex);
    expect(offered(view.view)).not.toContain(mineIndex);
    expect(JSON.stringify(view.view.blocks)).toContain('two-person rule: you requested it');

    // A submission the form could not produce: signed as Slack signs, selecting the own request too.
    const payload = viewSubmissionPayload(
      rig.emulator.workspace,
      view,
      { [BATCH_BLOCKS.tasks]: [otherIndex], [BATCH_BLOCKS.decision]: 'approve' },
      'forged.trigger',
    ) as {
      view: { state: { values: Record<string, Record<string, { selected_options?: { value: string }[] }>> } };
    };
    payload.view.state.values[BATCH_BLOCKS.tasks][BATCH_ACTION_IDS.tasks].selected_options!.push({
      value: mineIndex,
    });
    const delivered = await postSigned(
      { url: rig.appUrl, signingSecret: rig.signingSecret, timeoutMs: 15_000 },
      { payload: JSON.stringify(payload) },
    );
    expect(delivered.error).toBeUndefined();

    expect(await other.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: APPROVER });
    const modal = await outcomeInModal(APPROVER);
    expect(modal).toContain('1 approved, 1 refused');
    expect(modal).toContain(`two-person rule: ${APPROVER} requested this task and cannot approve it`);
    // Refused by the task's own validator: it still waits, and keeps the refusal.
    const status = await mine.handle.query(statusQuery);
    expect(status.phase).toBe('awaiting-human');
    expect(status.refusals?.map((r) => r.reason)).toContain(
      `two-person rule: ${APPROVER} requested this task and cannot approve it`,
    );
    expect(effects()).not.toContain('two-person-mine');
  });
  it('asks which class first when several have requests, and shows a typed-confirmation request as not batchable', async () => {
    const [ops] = await requests(['picker-ops']);
    const db = await submit(
      rig.stack,
      taskRequest('a2', 'db', [appendStep('picker-db')], { title: 'batch picker-db', resource: 'orders-db' }),
    );
    await waitForStatus(db.handle, (st) => st.phase === 'awaiting-human');
    // Until both classes count in visibility, the app may go straight to one of them.
    await waitUntil(async () => {
      const before = rig.emulator.viewFor(APPROVER)?.id;
      await rig.emulator.command(APPROVER, '#ops', '/ladder pending');
      await waitUntil(() => {
        const now = rig.emulator.viewFor(APPROVER);
        return (
          now !== undefined && now.id !== before && !JSON.stringify(now.view.blocks).includes('Reading the')
        );
      });
      return rig.emulator.viewFor(APPROVER)!.view.callback_id === BATCH_VIEW_IDS.pick;
    });
    const picker = JSON.stringify(rig.emulator.viewFor(APPROVER)!.view.blocks);
    expect(picker).toContain('db (1 waiting)');
    expect(picker).toMatch(/ops \(\d+ waiting\)/);
    // A class the policy does not declare is refused on the field.
    const unknown = await rig.emulator.submitView(APPROVER, { [BATCH_BLOCKS.taskClass]: 'nope' });
    expect(unknown.body).toMatchObject({ response_action: 'errors' });

    await rig.emulator.submitView(APPROVER, { [BATCH_BLOCKS.taskClass]: 'db' });
    await waitUntil(() => rig.emulator.viewFor(APPROVER)?.view.callback_id === BATCH_VIEW_IDS.answer);
    const view = rig.emulator.viewFor(APPROVER)!.view;
    expect(parseBatchMetadata(String(view.private_metadata))!.t.map(([id]) => id)).toEqual([db.workflowId]);
    expect(offered(view)).toEqual([]);
    expect(view.submit).toBeUndefined();
    expect(JSON.stringify(view.blocks)).toContain('needs typed confirmation (type *orders-db*)');
    expect((await ops.handle.query(statusQuery)).phase).toBe('awaiting-human');
  });
});
