import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { answerTask } from '../../client/answer-task';
import { pendingApprovals } from '../../client/pending-tasks';
import { tasksWaitingOn } from '../../client/waiting-on';
import { loadPolicyFile } from '../../policy/loader';
import { stepsHashOf } from '../../policy/step-edits';
import { appHomeView } from '../../slack/blocks/app-home';
import { frontendSigner } from '../helpers/answers';
import { startSlackRig, type SlackRig } from '../helpers/slack';
import { submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

// After an Edit…, the batch modal and the App Home list the steps as they are now, and their
// Approve carries those steps' hash: what a person approves is what they were shown.
describe('the batch listing and the App Home after an edit (real dev server)', () => {
  let rig: SlackRig;
  beforeAll(async () => {
    rig = await startSlackRig(
      'edited-steps',
      loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'standing.yaml')).policy,
    );
  });
  afterAll(async () => rig?.stop());

  it('shows the edited steps and binds Approve to their hash', async () => {
    mkdirSync(join(rig.stack.dirs.sandboxDir, 'jobs'), { recursive: true });
    const step = {
      action: 'shell.exec',
      params: { command: 'echo edited >> effects.log', timeoutMs: 60_000, cwd: 'jobs' },
    };
    const { handle, workflowId } = await submit(rig.stack, taskRequest('a2', 'plain', [step]));
    const asked = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const edited = [{ ...step, params: { ...step.params, timeoutMs: 1000 } }];
    const result = await answerTask(
      rig.stack.client,
      workflowId,
      'U0APPR002',
      { kind: 'edit', stepsHash: asked.stepsHash, steps: edited },
      frontendSigner(),
    );
    expect(result).toEqual({ ok: true, receipt: expect.anything() });
    const newHash = stepsHashOf(edited);
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human' && s.stepsHash === newHash);

    // The batch: the edited steps, with the hash they hash to.
    let listed: Awaited<ReturnType<typeof pendingApprovals>>['tasks'] = [];
    await waitUntil(async () => {
      listed = (
        await pendingApprovals(rig.stack.client, {
          taskQueue: rig.stack.taskQueue,
          user: 'U0APPR002',
          taskClass: 'plain',
          limit: 10,
        })
      ).tasks.filter((t) => t.workflowId === workflowId);
      return listed.length === 1;
    });
    expect(listed[0].steps).toEqual(edited);
    expect(listed[0].stepsHash).toBe(newHash);
    expect(stepsHashOf(listed[0].steps)).toBe(listed[0].stepsHash);
    expect(listed[0].stepsConfirmed).toBe(true);

    // The Home: the edited steps' details, and an Approve carrying their hash.
    let home: Awaited<ReturnType<typeof tasksWaitingOn>>['tasks'] = [];
    await waitUntil(async () => {
      home = (
        await tasksWaitingOn(rig.stack.client, {
          taskQueue: rig.stack.taskQueue,
          user: 'U0APPR002',
          limit: 15,
        })
      ).tasks.filter((t) => t.workflowId === workflowId);
      return home.length === 1 && home[0].status.stepsHash === newHash;
    });
    expect(home[0].stepsConfirmed).toBe(true);
    const view = JSON.stringify(appHomeView({ tasks: home, total: 1, uiLink: () => 'http://ui/x' }));
    expect(view).toContain('"ladder_approve"');
    expect(view).toContain(newHash);
    expect(view).not.toContain(asked.stepsHash);
    await handle.cancel();
  });
});
