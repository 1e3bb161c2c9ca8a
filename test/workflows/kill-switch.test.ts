import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  engageKillSwitch,
  KillSwitchError,
  readKillSwitch,
  releaseKillSwitch,
} from '../../client/kill-switch';
import { killSwitch } from '../../workflows/kill-switch';
import {
  approveUpdate,
  freezeUpdate,
  KILL_SWITCH_MEMO,
  killSwitchQuery,
  killSwitchWorkflowId,
  type KillSwitchState,
  unfreezeUpdate,
} from '../../workflows/messages';
import { answerAs, frontendSigner, operatorSignerOf } from '../helpers/answers';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

describe('run-time kill switch on the real dev server', () => {
  let stack: TestStack;
  const opts = () => ({ taskQueue: stack.taskQueue, signer: frontendSigner() });
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

  it('refuses a claimed identity, a borrowed operator key and a replayed signature, before history', async () => {
    // Make sure the switch runs and has loaded its authority, as an agent with Temporal access would find it.
    await engageKillSwitch(stack.client, opts(), { agentId: 'a1', cap: 5, by: 'U0ADMIN01', reason: 'warm' });
    const handle = stack.client.workflow.getHandle<typeof killSwitch>(killSwitchWorkflowId(stack.taskQueue));
    const acceptedUpdates = async (): Promise<number> =>
      ((await handle.fetchHistory()).events ?? []).filter(
        (e) => e.workflowExecutionUpdateAcceptedEventAttributes,
      ).length;
    const acceptedBefore = await acceptedUpdates();
    // A raw update with only a claimed admin id, as `temporal workflow update execute` would send it.
    await expect(
      handle.executeUpdate(freezeUpdate, { args: [{ cap: 0, by: 'U0ADMIN01', reason: 'I am the admin' }] }),
    ).rejects.toThrow(/update failed/i);
    const refused = await handle
      .executeUpdate(freezeUpdate, { args: [{ cap: 0, by: 'U0ADMIN01', reason: 'I am the admin' }] })
      .catch((e: Error & { cause?: Error }) => e.cause?.message);
    expect(refused).toMatch(/unsigned answer refused/);
    // U0APPR001's own key cannot answer as the admin.
    await expect(
      engageKillSwitch(
        stack.client,
        { taskQueue: stack.taskQueue, signer: operatorSignerOf('U0APPR001') },
        { cap: 0, by: 'U0ADMIN01', reason: 'borrowed' },
      ),
    ).rejects.toThrow(/belongs to U0APPR001 and cannot answer as U0ADMIN01/);
    // A signature made for an unfreeze does not open a freeze, nor one for another deployment.
    const unfreeze = frontendSigner().sign(handle.workflowId, 'unfreeze', { by: 'U0ADMIN01' });
    await expect(
      handle.executeUpdate(freezeUpdate, { args: [{ ...unfreeze, cap: 0, reason: 'replayed' }] }),
    ).rejects.toThrow(/update failed/i);
    const elsewhere = frontendSigner().sign('control/other-queue/kill-switch', 'freeze', {
      cap: 0,
      by: 'U0ADMIN01',
      reason: 'replayed',
    });
    const replayed = await handle
      .executeUpdate(freezeUpdate, { args: [elsewhere] })
      .catch((e: Error & { cause?: Error }) => e.cause?.message);
    expect(replayed).toMatch(/signature does not match/);
    // None of it reached the state (nor history: validators refuse before it is written).
    expect((await readKillSwitch(stack.client, stack.taskQueue)).all).toBeNull();
    expect(await acceptedUpdates()).toBe(acceptedBefore);
    await releaseKillSwitch(stack.client, opts(), { agentId: 'a1', by: 'U0ADMIN01' });
  });

  it('refuses a signed unfreeze sent again after a new freeze: a signature counts once', async () => {
    const handle = stack.client.workflow.getHandle<typeof killSwitch>(killSwitchWorkflowId(stack.taskQueue));
    const signer = frontendSigner();
    await handle.executeUpdate(freezeUpdate, {
      args: [
        signer.sign(handle.workflowId, 'freeze', { agentId: 'a2', cap: 1, by: 'U0ADMIN01', reason: 'first' }),
      ],
    });
    const unfreeze = signer.sign(handle.workflowId, 'unfreeze', { agentId: 'a2', by: 'U0ADMIN01' });
    await handle.executeUpdate(unfreezeUpdate, { args: [unfreeze] });
    await engageKillSwitch(stack.client, opts(), { agentId: 'a2', cap: 1, by: 'U0ADMIN01', reason: 'again' });
    // Whoever read the unfreeze from history sends it again, within its TTL, under a new update id.
    const replayed = await handle
      .executeUpdate(unfreezeUpdate, { args: [unfreeze] })
      .catch((e: Error & { cause?: Error }) => e.cause?.message);
    expect(replayed).toMatch(
      /this signed answer \(signed at .*\) was already taken: a signature counts once/,
    );
    expect((await readKillSwitch(stack.client, stack.taskQueue)).agents.a2).toMatchObject({
      reason: 'again',
    });
    await releaseKillSwitch(stack.client, opts(), { agentId: 'a2', by: 'U0ADMIN01' });
    expect((await readKillSwitch(stack.client, stack.taskQueue)).agents.a2).toBeUndefined();
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
    // Decisions read the memo: once the freeze has returned, it holds the same state as the query.
    const switchHandle = stack.client.workflow.getHandle(killSwitchWorkflowId(stack.taskQueue));
    const published = async () => (await switchHandle.describe()).memo?.[KILL_SWITCH_MEMO];
    expect(await published()).toEqual(await switchHandle.query(killSwitchQuery));
    expect(await published()).toMatchObject({
      agents: { a3: { cap: 1, reason: 'investigating a bad deploy' } },
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
    expect(((await published()) as KillSwitchState).agents.a3).toBeUndefined();
    expect(await published()).toEqual(await switchHandle.query(killSwitchQuery));
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
    await answerAs(handle, approveUpdate, { approver: 'U0APPR002', stepsHash: status.stepsHash });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 2 });
    maybeRecordHistory(
      stack.client.workflow.getHandle(killSwitchWorkflowId(stack.taskQueue)),
      'killSwitch',
      'freezes',
    );
    await releaseKillSwitch(stack.client, opts(), { by: 'U0ADMIN01' });
  });
});
