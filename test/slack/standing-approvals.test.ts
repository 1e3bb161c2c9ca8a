import { join } from 'node:path';
import { loadPolicyFile } from '../../policy/loader';
import { ACTION_IDS } from '../../slack/action-ids';
import { buttonValue } from '../../slack/blocks/button-value';
import { VIEW_IDS } from '../../slack/blocks/modals';
import { blockActionsPayload, postSigned } from '../../slack/emulator/deliver';
import { ephemeralsFor, messageText, startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

const HOUR = 3_600_000;
const hasButton = (workflowId: string, actionId: string) => (m: { blocks?: unknown[] }) =>
  JSON.stringify(m.blocks ?? []).includes(workflowId) && JSON.stringify(m.blocks ?? []).includes(actionId);

// A standing approval made, used and revoked from Slack, end to end: the emulator delivers the
// clicks and the modal to the real Bolt app, which signs the answers for the real workflows.
describe('standing approvals, delegation and edits from Slack', () => {
  let rig: SlackRig;
  beforeAll(async () => {
    rig = await startSlackRig(
      'standing-slack',
      loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'standing.yaml')).policy,
    );
  });
  afterAll(async () => rig?.stop());

  it('approves and allows from the request, lets the next task through, lists it, and revokes it', async () => {
    const { emulator } = rig;
    // Every `web` task runs the same command: the standing approval covers what the steps act on.
    const web = (word = 'restart-web') =>
      taskRequest('a2', 'standing', [appendStep(word)], { resource: 'web' });
    const first = await submit(rig.stack, web());
    const request = await waitForMessage(
      emulator,
      '#standing',
      hasButton(first.workflowId, ACTION_IDS['allow-standing']),
    );
    expect(messageText(request)).toContain('Approve + allow for a while…');

    await emulator.click('U0APPR002', '#standing', request.ts, ACTION_IDS['allow-standing']);
    // Opened at once, then filled in with exactly what would be allowed and the class's limits.
    await waitUntil(() => JSON.stringify(emulator.viewFor('U0APPR002')?.view ?? '').includes('*web*'));
    const modal = emulator.viewFor('U0APPR002')!.view;
    expect(modal.callback_id).toBe(VIEW_IDS.allowStanding);
    const shown = JSON.stringify(modal);
    expect(shown).toContain('*a2* to run *shell.exec* on *web* in *staging* (standing)');
    // What the steps act on, as plain text: this is the scope, not the agent's label.
    expect(shown).toContain(
      '{"type":"plain_text","text":"Only tasks whose steps act on nothing but:\\nrun echo restart-web >> effects.log (in .)","emoji":false}',
    );
    expect(shown).toContain('At most how many tasks (1 to 3)');
    // The usual terms up to the class's maxTerm (2 h), and no longer.
    expect(
      (modal.blocks as { element?: { options?: { value: string }[] } }[])[1].element?.options?.map(
        (o) => o.value,
      ),
    ).toEqual([String(HOUR), String(2 * HOUR)]);

    // A number that is not one stays on its field; nothing is answered.
    await emulator.submitView('U0APPR002', { term: String(HOUR), uses: 'ten' });
    expect(emulator.viewFor('U0APPR002')?.errors).toEqual({ uses: 'Expected a whole number, such as 10.' });
    await emulator.submitView('U0APPR002', { term: String(HOUR), uses: '2' });
    expect(await first.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    await waitUntil(() =>
      ephemeralsFor(emulator, '#standing', 'U0APPR002').some((t) => t.includes('granted standing approval')),
    );
    const told = ephemeralsFor(emulator, '#standing', 'U0APPR002').find((t) =>
      t.includes('granted standing approval'),
    )!;
    const id = /standing approval (sa-[0-9a-f]{8})/.exec(told)![1];
    expect(told).toContain(
      'a2 may run shell.exec on web in staging without asking, at most 2 times, for 1 h',
    );
    expect(told).toContain('in tasks whose steps act on nothing but its one target');

    // The same label on another command is asked: the agent cannot widen the scope by naming it.
    const elsewhere = await submit(rig.stack, web('another-command'));
    await waitForStatus(elsewhere.handle, (s) => s.phase === 'awaiting-human');
    await elsewhere.handle.cancel();

    // The next task of that scope runs without a question, and its message says why.
    const second = await submit(rig.stack, web());
    expect(await second.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    // Its message keeps saying so once it ran.
    const covered = await waitForMessage(emulator, '#standing', (m) =>
      m.text.includes(`Executed: 1 of 1 step(s) ran. Approved in advance by standing approval ${id}`),
    );
    expect(covered.text).toContain(`standing approval ${id} of U0APPR002 (use 1 of 2).`);

    // The grantor's App Home lists it with a Revoke button; another approver's does not.
    await waitUntil(async () => {
      await emulator.openHome('U0APPR002');
      return JSON.stringify(emulator.homeFor('U0APPR002')?.view ?? '').includes(id);
    });
    const home = JSON.stringify(emulator.homeFor('U0APPR002')!.view);
    expect(home).toContain('Your standing approvals');
    expect(home).toContain(ACTION_IDS['revoke-standing']);
    await emulator.openHome('U0APPR001');
    await waitUntil(() => emulator.homeFor('U0APPR001') !== undefined);
    expect(JSON.stringify(emulator.homeFor('U0APPR001')!.view)).not.toContain(id);

    // `/ladder approvals` lists it with its use, and Revoke works from there.
    await emulator.command('U0APPR001', '#general', '/ladder approvals');
    const listing = await waitForMessage(
      emulator,
      '#general',
      (m) => m.text === 'Standing approvals',
      'U0APPR001',
    );
    expect(messageText(listing)).toContain(`*${id}* · a2 may run shell.exec on web in staging (standing)`);
    expect(messageText(listing)).toContain('used 1 of 2');
    expect(messageText(listing)).toContain('run echo restart-web >> effects.log (in .)');
    await emulator.click('U0APPR001', '#general', listing.ts, ACTION_IDS['revoke-standing']);
    await waitUntil(() =>
      ephemeralsFor(emulator, '#general', 'U0APPR001').some((t) =>
        t.startsWith(`Revoked standing approval ${id}`),
      ),
    );

    // Revoked: asked again.
    const third = await submit(rig.stack, web());
    await waitForStatus(third.handle, (s) => s.phase === 'awaiting-human');
    await third.handle.cancel();
    // A bad revoke names what was wrong.
    await emulator.command('U0APPR001', '#general', '/ladder approvals revoke');
    await waitForMessage(
      emulator,
      '#general',
      (m) => m.text.startsWith('Usage: `/ladder approvals revoke <id>`'),
      'U0APPR001',
    );
  });

  it('says in the allow modal, without a submit button, why no standing approval can be made from a task', async () => {
    const { emulator } = rig;
    const user = 'U0APPR002';
    const nope = 'task/a2/no-such-task';
    const payload = blockActionsPayload(emulator.workspace, {
      user,
      channel: emulator.channelId('#standing'),
      message: { ts: '1700000000.000300', text: 'task', blocks: [] },
      action: {
        action_id: ACTION_IDS['allow-standing'],
        block_id: 'ladder_task_actions',
        value: buttonValue(nope, 'e'.repeat(64)),
      },
      responseUrl: 'http://127.0.0.1:9/unused',
      triggerId: emulator.workspace.issueTrigger(user),
    });
    const ephemeralsBefore = ephemeralsFor(emulator, '#standing', user).length;
    const answer = await postSigned(
      { url: rig.appUrl, signingSecret: rig.signingSecret, timeoutMs: 15_000 },
      { payload: JSON.stringify(payload) },
    );
    expect(answer.status).toBe(200);
    // Opened at once with the widest limits, then told why instead of filled in.
    await waitUntil(() =>
      JSON.stringify(emulator.viewFor(user)?.view ?? '').includes('No standing approval'),
    );
    const modal = emulator.viewFor(user)!.view;
    expect(modal.callback_id).toBe(VIEW_IDS.allowStanding);
    expect(modal.submit).toBeUndefined();
    expect((modal.blocks as { text?: { text?: string } }[]).map((b) => b.text?.text)).toEqual([
      `No standing approval can be made here: there is no task ${nope}. Approve the task on its own with Approve.`,
    ]);
    expect(ephemeralsFor(emulator, '#standing', user)).toHaveLength(ephemeralsBefore);
    emulator.workspace.views.delete(emulator.viewFor(user)!.id);
  });

  it('declares an absence with /ladder away, lets the stand-in answer the request, and ends it with /ladder back', async () => {
    const { emulator } = rig;
    const until = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await emulator.command('U0APPR002', '#general', `/ladder away until ${until} delegate <@U0SUB0001|sub>`);
    await waitForMessage(
      emulator,
      '#general',
      (m) =>
        m.text.startsWith(`You are away until ${until}T00:00:00.000Z: <@U0SUB0001> answers your requests`),
      'U0APPR002',
    );
    // Someone the policy does not allow is refused by name.
    await emulator.command('U0APPR001', '#general', `/ladder away until ${until} delegate U0OWNER01`);
    await waitForMessage(
      emulator,
      '#general',
      (m) => m.text === 'Refused: U0OWNER01 may not stand in for U0APPR001 (the policy allows: U0SUB0001)',
      'U0APPR001',
    );

    const task = await submit(rig.stack, taskRequest('a2', 'plain', [appendStep('slack-stand-in')]));
    const request = await waitForMessage(emulator, '#plain', hasButton(task.workflowId, ACTION_IDS.approve));
    expect(messageText(request)).toContain('<@U0SUB0001> stands in for <@U0APPR002>');
    await emulator.click('U0SUB0001', '#plain', request.ts, ACTION_IDS.approve);
    expect(await task.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0SUB0001' });
    await waitForMessage(emulator, '#plain', (m) =>
      m.text.includes('Approved by U0SUB0001 (standing in for U0APPR002)'),
    );

    await emulator.command('U0APPR002', '#general', '/ladder back');
    await waitForMessage(emulator, '#general', (m) => m.text.startsWith('Welcome back'), 'U0APPR002');
    await emulator.command('U0APPR002', '#general', '/ladder back');
    await waitForMessage(
      emulator,
      '#general',
      (m) => m.text === 'Refused: U0APPR002 is not away',
      'U0APPR002',
    );
  });

  it('narrows the steps from Edit…, refuses a widening with the reason, and asks again with the edited steps', async () => {
    const { emulator } = rig;
    const step = {
      action: 'shell.exec',
      params: { command: 'echo slack-edit >> effects.log', timeoutMs: 60_000 },
    };
    const task = await submit(rig.stack, taskRequest('a2', 'plain', [step]));
    const request = await waitForMessage(
      emulator,
      '#plain',
      hasButton(task.workflowId, ACTION_IDS['edit-steps']),
    );
    const field = 'edit:0:lower:timeoutMs';
    const openEdit = async (ts: string): Promise<void> => {
      await emulator.click('U0APPR002', '#plain', ts, ACTION_IDS['edit-steps']);
      await waitUntil(() => JSON.stringify(emulator.viewFor('U0APPR002')?.view ?? '').includes(field));
    };
    await openEdit(request.ts);
    expect(JSON.stringify(emulator.viewFor('U0APPR002')!.view)).toContain('"initial_value":"60000"');
    // Not a number: stays on the field. A widening: refused by the workflow, with why.
    await emulator.submitView('U0APPR002', { [field]: 'soon' });
    expect(emulator.viewFor('U0APPR002')?.errors).toEqual({ [field]: 'Expected a number.' });
    await emulator.submitView('U0APPR002', { [field]: '120000' });
    await waitUntil(() =>
      ephemeralsFor(emulator, '#plain', 'U0APPR002').some((t) =>
        t.includes('120000 is not lower than 60000'),
      ),
    );
    await openEdit(request.ts);
    await emulator.submitView('U0APPR002', { [field]: '30000' });
    // Asked again in a new message, bound to the edited steps; the old one says what changed.
    const again = await waitForMessage(
      emulator,
      '#plain',
      (m) => m.ts !== request.ts && hasButton(task.workflowId, ACTION_IDS.approve)(m),
    );
    const approveValue = (m: { blocks?: unknown[] }): string | undefined =>
      (m.blocks as { elements?: { action_id?: string; value?: string }[] }[] | undefined)
        ?.flatMap((b) => b.elements ?? [])
        .find((e) => e.action_id === ACTION_IDS.approve)?.value;
    // Its Approve carries the edited steps' hash, not the one first shown.
    expect(approveValue(again)).toMatch(new RegExp(`^${task.workflowId}#[0-9a-f]{64}$`));
    expect(approveValue(again)).not.toBe(approveValue(request));
    await waitForMessage(
      emulator,
      '#plain',
      (m) => m.ts === request.ts && m.text.includes('Edited by U0APPR002'),
    );
    await emulator.click('U0APPR001', '#plain', again.ts, ACTION_IDS.approve);
    const result = await task.handle.result();
    expect(result).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR001' });
    expect(result.edits?.[0]).toMatchObject({
      by: 'U0APPR002',
      edits: [{ path: 'timeoutMs', from: 60_000, to: 30_000 }],
    });
  });
});
