import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_IDS, LADDER_ACTIONS, type LadderAction } from '../../slack/action-ids';
import { buttonValue } from '../../slack/blocks/button-value';
import { parseTaskModalMetadata, VIEW_IDS } from '../../slack/blocks/modals';
import { blockActionsPayload, postSigned } from '../../slack/emulator/deliver';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import type { delegatedTask } from '../../workflows/delegated-task';
import { ephemeralsFor, messageText, startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

// The Bolt app end to end without a browser: the emulator delivers signed commands, clicks and
// modal submissions to the real app, which drives real workflows on the real dev server.
describe('Slack app against the emulator and a real worker', () => {
  let rig: SlackRig;
  const effects = (): string[] => {
    const path = join(rig.stack.dirs.sandboxDir, 'effects.log');
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };
  const hasButtonFor = (workflowId: string) => (m: EmulatedMessage) =>
    m.ephemeralTo === undefined && JSON.stringify(m.blocks).includes(`"value":"${workflowId}`);

  beforeAll(async () => {
    rig = await startSlackRig('slack-app', workflowTestPolicy());
  });
  afterAll(async () => rig?.stop());

  it('delegates from the modal (errors shown on the fields), approves under the two-person rule, and closes the message', async () => {
    const { emulator } = rig;
    const requester = 'U0APPR001';
    await emulator.command(requester, '#ops', '/ladder delegate');
    await waitUntil(() => emulator.viewFor(requester) !== undefined);

    // Bad input stays in the modal, each error on its field; nothing starts.
    const bad = await emulator.submitView(requester, {
      agent: 'a2',
      task_class: 'ops',
      title: 'Append via Slack',
      environment: 'Not An Env',
      action: 'shell.exec',
      params: '{"command": ',
    });
    expect(bad.body).toEqual({
      response_action: 'errors',
      errors: { params: expect.stringMatching(/^expected JSON/) },
    });
    const bad2 = await emulator.submitView(requester, {
      agent: 'a2',

      title: 'Append via Slack',
      environment: 'Not An Env',
      task_class: 'fast',
      action: 'http.request',
      params: '{"command": "echo slack >> effects.log"}',
    });
    expect(bad2.body).toMatchObject({
      response_action: 'errors',
      errors: {
        environment: expect.stringContaining('environment'),
        action: expect.stringContaining('not allowed'),
      },
    });
    expect(emulator.viewFor(requester)?.errors).toHaveProperty('environment');

    await emulator.submitView(requester, {
      agent: 'a2',
      task_class: 'ops',
      title: 'Append via Slack',
      environment: 'staging',
      action: 'shell.exec',
      params: '{"command": "echo slack >> effects.log"}',
    });
    expect(emulator.viewFor(requester)).toBeUndefined();
    const started = await waitForMessage(emulator, '#ops', (m) => m.text.startsWith('Started'), requester);
    const workflowId = /`(task\/a2\/[^`]+)`/.exec(started.text)![1];

    const request = await waitForMessage(emulator, '#ops', hasButtonFor(workflowId));
    expect(messageText(request)).toContain('Approval needed: Append via Slack');
    expect(messageText(request)).toContain(`*requester:* ${requester}`);

    // The requester cannot approve their own task; someone outside the approvers cannot either.
    await emulator.click(requester, '#ops', request.ts, ACTION_IDS.approve);
    await emulator.click('U0OUTSID1', '#ops', request.ts, ACTION_IDS.approve);
    // Both clicks are acked at once and answered concurrently: either refusal may come first.
    await waitUntil(
      () =>
        ephemeralsFor(emulator, '#ops', 'U0OUTSID1').length > 0 &&
        ephemeralsFor(emulator, '#ops', requester).some((t) => t.startsWith('Refused')),
    );
    expect(ephemeralsFor(emulator, '#ops', requester)).toContainEqual(
      expect.stringMatching(/^Refused: two-person rule/),
    );
    expect(ephemeralsFor(emulator, '#ops', 'U0OUTSID1')).toEqual([
      expect.stringMatching(/^Refused: U0OUTSID1 is not an approver/),
    ]);
    expect(effects()).toEqual([]);

    await emulator.click('U0APPR002', '#ops', request.ts, ACTION_IDS.approve);
    const result = await rig.stack.client.workflow.getHandle<typeof delegatedTask>(workflowId).result();
    expect(result).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002', executedSteps: 1 });
    expect(effects()).toEqual(['slack']);
    await waitUntil(() =>
      messageText(emulator.messages('#ops').find((m) => m.ts === request.ts)!).includes('Executed'),
    );
    const closed = emulator.messages('#ops').find((m) => m.ts === request.ts)!;
    expect(messageText(closed)).toMatch(/Executed: 1 of 1 step\(s\) ran\. Approved by U0APPR002 at \d{4}-/);
    expect(messageText(closed)).not.toContain(ACTION_IDS.approve);

    // A click on the old rendering of the message (another client had it open) changes nothing.
    const stale = blockActionsPayload(emulator.workspace, {
      user: 'U0APPR002',
      channel: emulator.channelId('#ops'),
      message: request,
      action: {
        action_id: ACTION_IDS.approve,
        block_id: 'ladder_task_actions',
        value: JSON.stringify(request.blocks).match(/"value":"([^"]+)"/)![1],
      },
      responseUrl: 'http://127.0.0.1:9/unused',
      triggerId: emulator.workspace.issueTrigger('U0APPR002'),
    });
    const answer = await postSigned(
      { url: rig.appUrl, signingSecret: rig.signingSecret, timeoutMs: 15_000 },
      { payload: JSON.stringify(stale) },
    );
    expect(answer.status).toBe(200);
    await waitUntil(() =>
      ephemeralsFor(emulator, '#ops', 'U0APPR002').some((t) => t.includes('already finished')),
    );
    expect(effects()).toEqual(['slack']);
  });

  it('executes once when Approve is clicked twice at the same moment', async () => {
    const { emulator } = rig;
    const { handle, workflowId } = await submit(rig.stack, taskRequest('a2', 'ops', [appendStep('double')]));
    const request = await waitForMessage(emulator, '#ops', hasButtonFor(workflowId));
    const before = ephemeralsFor(emulator, '#ops', 'U0APPR002').length;
    await Promise.all([
      emulator.click('U0APPR002', '#ops', request.ts, ACTION_IDS.approve),
      emulator.click('U0APPR002', '#ops', request.ts, ACTION_IDS.approve),
    ]);
    expect((await handle.result()).outcome).toBe('executed');
    await waitUntil(() => ephemeralsFor(emulator, '#ops', 'U0APPR002').length >= before + 2);
    const answers = ephemeralsFor(emulator, '#ops', 'U0APPR002').slice(before);
    expect(answers).toHaveLength(2);
    expect(answers.filter((t) => t.startsWith('Recorded: approve by <@U0APPR002>'))).toHaveLength(1);
    expect(
      answers.filter((t) => /^(Refused: already answered by U0APPR002|Refused: task|This task)/.test(t)),
    ).toHaveLength(1);
    expect(effects().filter((l) => l === 'double')).toHaveLength(1);
  });

  it('asks for a reason in a modal before rejecting', async () => {
    const { emulator } = rig;
    const { handle, workflowId } = await submit(rig.stack, taskRequest('a2', 'ops', [appendStep('never')]));
    const request = await waitForMessage(emulator, '#ops', hasButtonFor(workflowId));
    await emulator.click('U0APPR002', '#ops', request.ts, ACTION_IDS.reject);
    await waitUntil(() => emulator.viewFor('U0APPR002')?.view.callback_id === VIEW_IDS.reject);
    const empty = await emulator.submitView('U0APPR002', { reason: '' });
    expect(empty.body).toEqual({
      response_action: 'errors',
      errors: { reason: 'A rejection needs a reason.' },
    });
    await emulator.submitView('U0APPR002', { reason: 'wrong window' });
    const result = await handle.result();
    expect(result.outcome).toBe('rejected');
    await waitUntil(() =>
      messageText(emulator.messages('#ops').find((m) => m.ts === request.ts)!).includes('Rejected by'),
    );
    expect(messageText(emulator.messages('#ops').find((m) => m.ts === request.ts)!)).toContain(
      'Rejected by U0APPR002',
    );
    expect(effects()).not.toContain('never');
  });

  it('requires the resource name typed in a modal where the policy asks for it', async () => {
    const { emulator } = rig;
    const { handle, workflowId } = await submit(
      rig.stack,
      taskRequest('a2', 'db', [appendStep('migrated')], { resource: 'orders-db' }),
    );
    const request = await waitForMessage(emulator, '#db', hasButtonFor(workflowId));
    // The request asks for a typed name, so its Approve is the typed Approve: it opens the modal.
    expect(messageText(request)).not.toContain(`"${ACTION_IDS.approve}"`);
    await emulator.click('U0APPR002', '#db', request.ts, ACTION_IDS['approve-typed']);
    await waitUntil(() => emulator.viewFor('U0APPR002')?.view.callback_id === VIEW_IDS.typedApprove);
    const wrong = await emulator.submitView('U0APPR002', { typed: 'orders' });
    expect(wrong.body).toEqual({
      response_action: 'errors',
      errors: { typed: 'Type "orders-db" exactly to approve.' },
    });
    await emulator.submitView('U0APPR002', { typed: 'orders-db' });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
  });

  it('escapes the agent’s words in a refusal: a hostile resource never becomes a link or a ping', async () => {
    const { emulator } = rig;
    // Too long for the button to carry the name, so the modal cannot check it and the workflow refuses.
    const resource = `<!channel> <http://evil.example/ok|orders-db> ${'x'.repeat(1900)}`;
    const { handle, workflowId } = await submit(
      rig.stack,
      taskRequest('a2', 'db', [appendStep('hostile')], { resource }),
    );
    const request = await waitForMessage(emulator, '#db', hasButtonFor(workflowId));
    await emulator.click('U0APPR002', '#db', request.ts, ACTION_IDS['approve-typed']);
    await waitUntil(() => emulator.viewFor('U0APPR002')?.view.callback_id === VIEW_IDS.typedApprove);
    await emulator.submitView('U0APPR002', { typed: 'orders-db' });
    await waitUntil(() =>
      ephemeralsFor(emulator, '#db', 'U0APPR002').some((t) => t.startsWith('Refused: typed confirmation')),
    );
    const refusal = ephemeralsFor(emulator, '#db', 'U0APPR002').find((t) =>
      t.startsWith('Refused: typed confirmation'),
    )!;
    expect(refusal).toContain('type "&lt;!channel&gt; &lt;http://evil.example/ok|orders-db&gt; xxx');
    expect(refusal).not.toMatch(/<!channel>|<http/);
    await handle.cancel();
  });

  it('rejects a rung-1 draft with its own Reject, which asks for a reason and declines the draft', async () => {
    const { emulator } = rig;
    const { handle, workflowId } = await submit(rig.stack, taskRequest('a1', 'ops', [appendStep('drafted')]));
    const draft = await waitForMessage(emulator, '#ops', hasButtonFor(workflowId));
    expect(messageText(draft)).toContain(`"${ACTION_IDS['draft-reject']}"`);
    expect(messageText(draft)).not.toContain(`"${ACTION_IDS.reject}"`);
    await emulator.click('U0APPR002', '#ops', draft.ts, ACTION_IDS['draft-reject']);
    await waitUntil(() => emulator.viewFor('U0APPR002')?.view.callback_id === VIEW_IDS.reject);
    expect(
      parseTaskModalMetadata(String(emulator.viewFor('U0APPR002')!.view.private_metadata)),
    ).toMatchObject({
      workflowId,
      draft: true,
    });
    await emulator.submitView('U0APPR002', { reason: 'not this way' });
    expect(await handle.result()).toMatchObject({ outcome: 'draft-rejected' });
    await waitUntil(() =>
      ephemeralsFor(emulator, '#ops', 'U0APPR002').some((t) => t.startsWith('Recorded: decline by')),
    );
    expect(effects()).not.toContain('drafted');
  });

  it('has a listener for every button in the table: each click is acked and answered', async () => {
    const { emulator } = rig;
    const user = 'U0APPR002';
    const hash = 'e'.repeat(64);
    const nope = 'task/a2/no-such-task';
    const ledger = `ledger/${rig.stack.taskQueue}/a2`;
    // What each button does with a click on a task (or ledger) that is not there: opens its modal,
    // or sends its answer and tells the clicker the refusal. A new button fails to compile here.
    const expected: Record<LadderAction, { value: string; view?: string; viewSays?: RegExp; told?: RegExp }> =
      {
        approve: { value: buttonValue(nope, hash), told: /^Refused: no task task\/a2\/no-such-task$/ },
        'approve-typed': { value: buttonValue(nope, hash, 'orders-db'), view: VIEW_IDS.typedApprove },
        reject: { value: nope, view: VIEW_IDS.reject },
        accept: { value: nope, told: /^Refused: no task / },
        'draft-reject': { value: nope, view: VIEW_IDS.reject },
        done: { value: nope, told: /^Refused: no task / },
        dismiss: { value: nope, told: /^Refused: no task / },
        'mark-read': { value: nope, told: /^Refused: no task / },
        'report-defect': { value: nope, view: VIEW_IDS.defect },
        'outcome-ran': { value: buttonValue(nope, 'q1'), told: /^Refused: no task / },
        'outcome-run-again': { value: buttonValue(nope, 'q1'), told: /^Refused: no task / },
        'outcome-undo': { value: buttonValue(nope, 'q1'), told: /^Refused: no task / },
        'audit-agree': { value: buttonValue(ledger, 'x1'), told: /workflow not found/ },
        'audit-disagree': { value: buttonValue(ledger, 'x1'), view: VIEW_IDS.auditDisagree },
        promote: { value: buttonValue(ledger, 'p1'), told: /workflow not found/ },
        'decline-promotion': { value: buttonValue(ledger, 'p1'), told: /workflow not found/ },
        // This policy lets no class keep standing approvals: said before anything opens.
        'allow-standing': {
          value: buttonValue(nope, hash),
          told: /^The policy in force allows no standing approvals/,
        },
        'revoke-standing': {
          value: buttonValue(`control/${rig.stack.taskQueue}/standing-approvals`, '00000000'),
          told: /^Refused: no standing approval sa-00000000$/,
        },
        // Opened at once, then filled in once the task is read: here, with why there is nothing to edit.
        'edit-steps': {
          value: buttonValue(nope, hash),
          view: VIEW_IDS.editSteps,
          viewSays: /^No task task\/a2\/no-such-task: nothing to edit\.$/,
        },
        // The clicker (Slack's user, not the button) does not own the class: the watch refuses.
        'review-approver': {
          value: buttonValue(`control/${rig.stack.taskQueue}/approver-watch/ops`, 'U0APPR001'),
          told: /^Refused: U0APPR002 may not review approvers in ops: its owners may \(U0ADMIN01\)$/,
        },
        // The clicker is not away: nothing to end.
        'end-away': {
          value: buttonValue(`control/${rig.stack.taskQueue}/delegations`),
          told: /^Refused: U0APPR002 is not away$/,
        },
      };
    for (const action of LADDER_ACTIONS) {
      const { value, view, viewSays, told } = expected[action];
      const before = ephemeralsFor(emulator, '#ops', user).length;
      const payload = blockActionsPayload(emulator.workspace, {
        user,
        channel: emulator.channelId('#ops'),
        message: { ts: '1700000000.000200', text: 'task', blocks: [] },
        action: { action_id: ACTION_IDS[action], block_id: 'ladder_task_actions', value },
        responseUrl: 'http://127.0.0.1:9/unused',
        triggerId: emulator.workspace.issueTrigger(user),
      });
      const answer = await postSigned(
        { url: rig.appUrl, signingSecret: rig.signingSecret, timeoutMs: 15_000 },
        { payload: JSON.stringify(payload) },
      );
      expect([action, answer.status]).toEqual([action, 200]);
      if (view) {
        await waitUntil(() => emulator.viewFor(user)?.view.callback_id === view);
        // A modal filled in after it opens is waited for, so nothing it does lands in the next click's turn.
        if (viewSays) await waitUntil(() => viewSays.test(firstSectionText(emulator.viewFor(user)!.view)));
        const open = emulator.viewFor(user)!;
        expect(parseTaskModalMetadata(String(open.view.private_metadata))?.workflowId).toBe(
          value.split('#')[0],
        );
        emulator.workspace.views.delete(open.id);
      } else {
        await waitUntil(() => ephemeralsFor(emulator, '#ops', user).length > before);
        expect([action, ephemeralsFor(emulator, '#ops', user).slice(before)]).toEqual([
          action,
          [expect.stringMatching(told!)],
        ]);
      }
    }
  });

  it('resolves a rung-0 suggestion with Done and a rung-5 report with Mark as read', async () => {
    const { emulator } = rig;
    const suggestion = await submit(rig.stack, taskRequest('a0', 'ops', [appendStep('by-hand')]));
    const sMsg = await waitForMessage(emulator, '#ops', hasButtonFor(suggestion.workflowId));
    await emulator.click('U0APPR001', '#ops', sMsg.ts, ACTION_IDS.done);
    expect((await suggestion.handle.result()).outcome).toBe('suggestion-done');

    const report = await submit(rig.stack, taskRequest('a5', 'ops', [appendStep('reported')]));
    const rMsg = await waitForMessage(emulator, '#ops-reports', hasButtonFor(report.workflowId));
    await emulator.click('U0OWNER01', '#ops-reports', rMsg.ts, ACTION_IDS['mark-read']);
    expect(await report.handle.result()).toMatchObject({ outcome: 'executed', reportRead: true });
    await waitUntil(() =>
      messageText(emulator.messages('#ops-reports').find((m) => m.ts === rMsg.ts)!).includes(
        'Report read by U0OWNER01',
      ),
    );
  });

  it('answers /ladder status, help and an unknown command; freeze and unfreeze are for admins only', async () => {
    const { emulator } = rig;
    await emulator.command('U0APPR001', '#general', '/ladder status a3');
    const status = await waitForMessage(emulator, '#general', (m) => m.text === 'Ladder status', 'U0APPR001');
    expect(messageText(status)).toContain('*a3*');
    expect(messageText(status)).toContain('*quota*: earned 3 bounded');

    await emulator.command('U0APPR001', '#general', '/ladder frobnicate');
    await waitForMessage(
      emulator,
      '#general',
      (m) => m.text.startsWith('Unknown command "frobnicate"'),
      'U0APPR001',
    );

    await emulator.command('U0APPR001', '#general', '/ladder freeze a3 looks odd');
    await waitForMessage(
      emulator,
      '#general',
      (m) => m.text.startsWith('Refused: U0APPR001 is not an admin'),
      'U0APPR001',
    );

    await emulator.command('U0ADMIN01', '#general', '/ladder freeze a3 looks odd');
    const frozen = await waitForMessage(emulator, '#general', (m) =>
      m.text.includes('Kill switch engaged by <@U0ADMIN01>'),
    );
    expect(frozen.ephemeralTo).toBeUndefined();
    expect(frozen.text).toContain('agent a3 capped at rung 0');
    // A task a3 would have run alone now only suggests.
    const { handle } = await submit(rig.stack, taskRequest('a3', 'quota', [appendStep('frozen')]));
    const s = await waitForStatus(handle, (st) => st.rung !== null);
    expect(s.rung).toBe(0);
    await handle.cancel();

    await emulator.command('U0APPR002', '#general', '/ladder status a3');
    await waitUntil(() =>
      emulator
        .messages('#general')
        .some(
          (m) =>
            m.ephemeralTo === 'U0APPR002' && messageText(m).includes('now at most 0 suggest (frozen at 0)'),
        ),
    );
    await emulator.command('U0ADMIN01', '#general', '/ladder unfreeze a3');
    await waitForMessage(emulator, '#general', (m) =>
      m.text.includes('Kill switch released by <@U0ADMIN01> for agent a3'),
    );

    // A typo of an agent freezes every agent, and the answer says so plainly.
    await emulator.command('U0ADMIN01', '#general', '/ladder freeze a33 <oops>');
    const wide = await waitForMessage(emulator, '#general', (m) =>
      m.text.includes('every agent capped at rung 0'),
    );
    expect(wide.text).toContain('Reason: a33 &lt;oops&gt;');
    expect(wide.text).toContain('No agent is named "a33" (did you mean a3?), so this froze *every* agent.');
    await emulator.command('U0ADMIN01', '#general', '/ladder unfreeze');
    await waitForMessage(emulator, '#general', (m) =>
      m.text.includes('Kill switch released by <@U0ADMIN01> for every agent'),
    );
  });
});

/** The text of a modal's first section block (where Ladder's modals say what they are about). */
function firstSectionText(view: Record<string, unknown>): string {
  const blocks = (view.blocks ?? []) as { type?: string; text?: { text?: string } }[];
  return blocks.find((b) => b.type === 'section')?.text?.text ?? '';
}
