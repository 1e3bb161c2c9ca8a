import { join } from 'node:path';
import { loadPolicyFile } from '../../policy/loader';
import { ACTION_IDS } from '../../slack/action-ids';
import { VIEW_IDS } from '../../slack/blocks/modals';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import { ledgerQuery, ledgerWorkflowId } from '../../workflows/messages';
import type { LedgerState } from '../../policy/ledger';
import { ephemeralsFor, messageText, startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

const policy = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml')).policy;

// The trust ledger's Slack surfaces, through the emulator and the real app: a proposal DM'd to the
// owner and approved by an approver, a defect reported from a task message, /ladder incident.
describe('the trust ledger in Slack', () => {
  let rig: SlackRig;
  beforeAll(async () => {
    rig = await startSlackRig('ledger-slack', policy, { ledger: true });
  });
  afterAll(async () => rig?.stop());

  const readLedger = (agent: string): Promise<LedgerState> =>
    rig.stack.client.workflow.getHandle(ledgerWorkflowId(rig.stack.taskQueue, agent)).query(ledgerQuery);
  const waitForRung = async (agent: string, rung: number): Promise<LedgerState> => {
    let state: LedgerState | undefined;
    const deadline = Date.now() + 60_000;
    while (state?.classes.ops?.rung !== rung) {
      if (Date.now() > deadline) throw new Error(`${agent} not at rung ${rung}: ${JSON.stringify(state)}`);
      await new Promise((r) => setTimeout(r, 100));
      state = await readLedger(agent).catch(() => undefined);
    }
    return state;
  };
  const withButton = (actionId: string) => (m: EmulatedMessage) =>
    m.ephemeralTo === undefined && JSON.stringify(m.blocks).includes(`"action_id":"${actionId}"`);

  it('posts a proposal with the evidence in the class channel, refuses the owner’s own approval, and promotes on an approver’s', async () => {
    const { emulator } = rig;
    const link = (await import('../../client/ledger-link')).createLedgerLink({
      client: rig.stack.client,
      taskQueue: rig.stack.taskQueue,
    });
    const approve = (i: number) =>
      link.send('climber', {
        id: `t-${i}/approved`,
        event: {
          kind: 'outcome',
          outcome: 'approved',
          workflowId: `task/climber/t-${i}`,
          taskClass: 'ops',
          rung: 2,
        },
      });
    const started = Date.now();
    // All at once: the link sends an agent's events at most one signal a second, so one await
    // each would take 39 s; together they go in a batch or two. Same 39 events, same ledger.
    await Promise.all(Array.from({ length: 39 }, (_, i) => approve(i)));
    await waitUntil(() => Date.now() > started + 3_500);
    await approve(39);

    const dm = '#ops';
    const proposal = await waitForMessage(emulator, dm, withButton(ACTION_IDS.promote));
    expect(proposal.text).toContain('<@U0OWNER01>, climber has earned a proposal.');
    expect(messageText(proposal)).toContain('climber: rung 2 → 3 in ops');
    expect(messageText(proposal)).toContain('40 samples, needs 40');

    await emulator.click('U0OWNER01', dm, proposal.ts, ACTION_IDS.promote);
    await waitUntil(() => ephemeralsFor(emulator, dm, 'U0OWNER01').length > 0);
    expect(ephemeralsFor(emulator, dm, 'U0OWNER01')[0]).toMatch(
      /^Refused: U0OWNER01 may not decide promotions in ops/,
    );
    expect((await readLedger('climber')).classes.ops.rung).toBe(2);

    await emulator.click('U0APPR001', dm, proposal.ts, ACTION_IDS.promote);
    const state = await waitForRung('climber', 3);
    expect(state.history.at(-1)).toMatchObject({ from: 2, to: 3, by: 'U0APPR001' });
    await waitUntil(() =>
      messageText(emulator.messages(dm).find((m) => m.ts === proposal.ts)!).includes('Approved by U0APPR001'),
    );
    expect(messageText(emulator.messages(dm).find((m) => m.ts === proposal.ts)!)).not.toContain(
      ACTION_IDS.promote,
    );
  });

  it('demotes at once on a defect reported from the task’s message', async () => {
    const { emulator } = rig;
    const { handle, workflowId } = await submit(
      rig.stack,
      taskRequest('steady', 'ops', [appendStep('steady')]),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3 });
    const executed = await waitForMessage(
      emulator,
      '#ops',
      (m) => withButton(ACTION_IDS['report-defect'])(m) && JSON.stringify(m.blocks).includes(workflowId),
    );
    await emulator.click('U0APPR002', '#ops', executed.ts, ACTION_IDS['report-defect']);
    await waitUntil(() => emulator.viewFor('U0APPR002')?.view.callback_id === VIEW_IDS.defect);
    await emulator.submitView('U0APPR002', { reason: 'restarted the wrong service' });
    const state = await waitForRung('steady', 2);
    expect(state.history.at(-1)).toMatchObject({
      from: 3,
      to: 2,
      by: 'U0APPR002',
      cause: expect.stringContaining('defect'),
    });
    expect(state.classes.ops.lifetime.defects).toBe(1);
    await waitForMessage(emulator, emulator.dmWith('U0OWNER01'), (m) =>
      m.text.includes('steady demoted: rung 3 → 2 in ops'),
    );

    // A second person reporting the same task is told it was reported already, not "recorded".
    await emulator.click('U0APPR001', '#ops', executed.ts, ACTION_IDS['report-defect']);
    await waitUntil(() => emulator.viewFor('U0APPR001')?.view.callback_id === VIEW_IDS.defect);
    await emulator.submitView('U0APPR001', { reason: 'same thing' });
    const told = await waitForMessage(
      emulator,
      '#ops',
      (m) => m.ephemeralTo === 'U0APPR001' && /defect/i.test(m.text),
      'U0APPR001',
    );
    expect(told.text).toBe(
      `Refused: a defect in ${workflowId} was already reported by U0APPR002; a task's defect counts once, so this report was not counted again`,
    );
    expect(
      (
        await rig.stack.client.workflow
          .getHandle(ledgerWorkflowId(rig.stack.taskQueue, 'steady'))
          .query(ledgerQuery)
      ).classes.ops.lifetime.defects,
    ).toBe(1);
  });

  it('takes /ladder incident from people with standing only, and shows the ledger in /ladder status', async () => {
    const { emulator } = rig;
    await submit(rig.stack, taskRequest('switcher', 'ops', [appendStep('sw')])).then((s) =>
      s.handle.result(),
    );
    await emulator.command('U0NOBODY2', '#ops', '/ladder incident switcher ops broke prod');
    await waitForMessage(
      emulator,
      '#ops',
      (m) => m.text.startsWith('Refused: U0NOBODY2 may not declare incidents'),
      'U0NOBODY2',
    );
    await emulator.command('U0ADMIN01', '#ops', '/ladder incident switcher ops broke prod <!here>');
    const declared = await waitForMessage(emulator, '#ops', (m) =>
      m.text.includes('Incident declared by <@U0ADMIN01>: switcher goes back to rung 2 in ops'),
    );
    // Posted in the channel: the declarer's words are shown, never a ping.
    expect(declared.text).toContain('broke prod &lt;!here&gt;');
    await waitForRung('switcher', 2);
    await emulator.command('U0APPR001', '#ops', '/ladder status switcher');
    const status = await waitForMessage(emulator, '#ops', (m) => m.text === 'Ladder status', 'U0APPR001');
    expect(messageText(status)).toContain('*ops*: earned 2 confirm');
  });
});
