import { ACTION_IDS } from '../../slack/action-ids';
import { startSlackRig, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

/** The text and button values of a published Home, for assertions. */
const homeText = (rig: SlackRig, user: string): string =>
  JSON.stringify(rig.emulator.homeFor(user)?.view ?? null);

// The App Home end to end: the emulator opens a person's Home, the real Bolt app publishes what
// waits on them (read from Temporal's WaitingOn), and a button there answers the real workflow.
describe('the App Home', () => {
  let rig: SlackRig;
  beforeAll(async () => {
    rig = await startSlackRig('app-home', workflowTestPolicy());
  });
  afterAll(async () => rig?.stop());

  it('lists what waits on the person with the same buttons, answers from there, and drops what was answered', async () => {
    const { handle, workflowId } = await submit(rig.stack, taskRequest('a2', 'ops', [appendStep('home')]));
    const status = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    // WaitingOn reaches visibility a moment after the task asks.
    await waitUntil(async () => {
      await rig.emulator.openHome('U0APPR002');
      return homeText(rig, 'U0APPR002').includes(workflowId);
    });
    const home = homeText(rig, 'U0APPR002');
    expect(home).toContain('a2 ops test task');
    // What will run, as plain text (the Temporal UI's markdown escapes do not show).
    expect(home).toContain('step 1/1: shell.exec echo home &gt;&gt; effects.log');
    expect(home).toContain(`"value":"${workflowId}#${status.stepsHash}"`);
    expect(home).toContain(ACTION_IDS.reject);
    // Someone the task does not wait on sees nothing of it.
    await rig.emulator.openHome('U0OUTSID1');
    await waitUntil(() => rig.emulator.homeFor('U0OUTSID1') !== undefined);
    expect(homeText(rig, 'U0OUTSID1')).not.toContain(workflowId);
    expect(homeText(rig, 'U0OUTSID1')).toContain('Nothing waits on you now.');

    await rig.emulator.clickHome('U0APPR002', ACTION_IDS.approve, {
      value: `${workflowId}#${status.stepsHash}`,
    });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    // Published again after the answer, without the task.
    await waitUntil(async () => {
      if (homeText(rig, 'U0APPR002').includes(workflowId)) await rig.emulator.openHome('U0APPR002');
      return !homeText(rig, 'U0APPR002').includes(workflowId);
    });
  });
});
