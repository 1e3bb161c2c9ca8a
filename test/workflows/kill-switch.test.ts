import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  engageKillSwitch,
  KillSwitchError,
  readKillSwitch,
  releaseKillSwitch,
} from '../../client/kill-switch';
import { approveUpdate, killSwitchWorkflowId } from '../../workflows/messages';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

describe('run-time kill switch on the real dev server', () => {
  let stack: TestStack;
  const opts = () => ({ taskQueue: stack.taskQueue, policy: stack.policy.current });
  const lines = (): string[] => {
    const file = join(stack.dirs.sandboxDir, 'effects.log');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  };

  beforeAll(async () => {
    stack = await startTestStack('kill-switch', { policy: workflowTestPolicy() });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses anyone but a policy admin, and names the admins', async () => {
    await expect(
      engageKillSwitch(stack.client, opts(), { cap: 0, by: 'U0APPR001', reason: 'x' }),
    ).rejects.toThrow(
      new KillSwitchError(
        'U0APPR001 is not an admin in policy ' + stack.policy.current.versionId + ' (admins: U0ADMIN01)',
      ),
    );
    await expect(
      engageKillSwitch(stack.client, opts(), { agentId: 'ghost', cap: 0, by: 'U0ADMIN01', reason: 'x' }),
    ).rejects.toThrow(/unknown agent "ghost"/);
  });

  it('caps one agent at once, with the reason in the decision, and lets it go when released', async () => {
    await engageKillSwitch(stack.client, opts(), {
      agentId: 'a3',
      cap: 1,
      by: 'U0ADMIN01',
      reason: 'investigating a bad deploy',
    });
    expect((await readKillSwitch(stack.client, stack.taskQueue)).agents.a3).toMatchObject({
      cap: 1,
      by: 'U0ADMIN01',
    });

    const frozen = await submit(stack, taskRequest('a3', 'ops', [appendStep('frozen-draft')]));
    const status = await waitForStatus(frozen.handle, (s) => s.phase === 'awaiting-human');
    expect(status.rung).toBe(1);
    expect(status.decision?.reasons.map((r) => r.rule)).toEqual(['kill-switch-runtime']);
    await frozen.handle.cancel();

    // Another agent is not affected.
    expect(
      (await (await submit(stack, taskRequest('a4', 'ops', [appendStep('a4-free')]))).handle.result()).rung,
    ).toBe(4);

    await releaseKillSwitch(stack.client, opts(), { agentId: 'a3', by: 'U0ADMIN01' });
    expect(
      (await (await submit(stack, taskRequest('a3', 'ops', [appendStep('thawed')]))).handle.result()).rung,
    ).toBe(3);
  });

  it('makes an in-flight autonomous task fall back to confirmation before its next step', async () => {
    const { handle } = await submit(
      stack,
      taskRequest('a3', 'ops', [
        {
          action: 'shell.exec',
          params: { command: 'echo ks2-one >> effects.log; while [ ! -f go2 ]; do sleep 0.05; done' },
        },
        appendStep('ks2-two'),
      ]),
    );
    await waitForStatus(handle, (s) => s.phase === 'executing' && lines().includes('ks2-one'));
    await engageKillSwitch(stack.client, opts(), { cap: 0, by: 'U0ADMIN01', reason: 'incident 42' });
    writeFileSync(join(stack.dirs.sandboxDir, 'go2'), '');
    const status = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    expect(status.events[0]).toMatch(
      /fell back to confirmation before step 2: .*a kill switch engaged at run time caps agent "a3" at rung 0/,
    );
    expect(lines()).not.toContain('ks2-two');
    await handle.executeUpdate(approveUpdate, {
      args: [{ approver: 'U0APPR002', stepsHash: status.stepsHash }],
    });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 2 });
    maybeRecordHistory(
      stack.client.workflow.getHandle(killSwitchWorkflowId(stack.taskQueue)),
      'killSwitch',
      'freezes',
    );
    await releaseKillSwitch(stack.client, opts(), { by: 'U0ADMIN01' });
  });
});
