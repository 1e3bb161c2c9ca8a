import { ACTION_IDS } from '../../slack/action-ids';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import { onEveryStoredMessage, ToldWatch } from '../../bench/tasks/told-watch';
import { startSlackRig, waitForMessage, type SlackRig } from '../helpers/slack';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';

// bench:tasks' click lanes wait for what the real Slack app tells the clicker once it has recorded
// the answer. This holds that wait to the real app, worker and dev server: if the app stopped
// naming the task in its "Recorded" message, every click lane of the bench would time out.
describe("a click lane's wait for the clicker to be told", () => {
  let rig: SlackRig;
  let told: ToldWatch;
  beforeAll(async () => {
    rig = await startSlackRig('told-watch', workflowTestPolicy());
    told = new ToldWatch();
    onEveryStoredMessage(rig.emulator.workspace, (message, at) => told.seen(message, at));
  });
  afterAll(async () => rig?.stop());

  const hasButtonFor = (workflowId: string) => (m: EmulatedMessage) =>
    m.ephemeralTo === undefined && JSON.stringify(m.blocks).includes(`"value":"${workflowId}`);

  it('ends once the app tells the approver their Approve was recorded', async () => {
    const { handle, workflowId } = await submit(rig.stack, taskRequest('a2', 'ops', [appendStep('told')]));
    const request = await waitForMessage(rig.emulator, '#ops', hasButtonFor(workflowId));
    const clickedAt = Date.now();
    const toldAt = told.expect('U0APPR002', workflowId, 60_000);
    const ack = await rig.emulator.click('U0APPR002', '#ops', request.ts, ACTION_IDS.approve);
    expect(ack.status).toBe(200);
    expect(await toldAt).toBeGreaterThanOrEqual(clickedAt);
    expect(told.open).toBe(0);
    expect((await handle.result()).outcome).toBe('executed');
  });
});
