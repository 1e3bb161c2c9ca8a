import type { RunningApi } from '../../api/server';
import { answerTask } from '../../client/answer-task';
import { approveUpdate, statusQuery } from '../../workflows/messages';
import { frontendSigner, operatorSignerOf } from '../helpers/answers';
import { appendStep, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { apiClient, newToken, startApi } from './helpers';

// The gate, tried as the agent would: it holds its own token (and, at worst, reaches Temporal),
// and wants its rung-2 task approved without a person.
describe('a gate the agent cannot open', () => {
  let stack: TestStack;
  let api: RunningApi;
  let a2: string;
  const call = apiClient(() => api.url);
  const body = (word: string, extra: Record<string, unknown> = {}) => {
    const { agent: _agent, ...rest } = taskRequest('ignored', 'ops', [appendStep(word)], extra);
    return rest;
  };

  beforeAll(async () => {
    stack = await startTestStack('gate', { policy: workflowTestPolicy() });
    api = await startApi(stack);
    a2 = (await newToken(stack, 'a2')).token;
  });
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
  });

  it('offers the agent no way to answer its own task over HTTP', async () => {
    const task = body('gate-http');
    expect((await call('POST', '/v1/tasks', { token: a2, json: task })).status).toBe(201);
    const handle = stack.client.workflow.getHandle(`task/a2/${task.taskId}`);
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    for (const path of ['approve', 'answer', 'respond', 'reject']) {
      const r = await call('POST', `/v1/tasks/${task.taskId}/${path}`, {
        token: a2,
        json: { approver: 'U0APPR002', stepsHash: (await handle.query(statusQuery)).stepsHash },
      });
      expect([404, 405]).toContain(r.status);
    }
    expect((await handle.query(statusQuery)).phase).toBe('awaiting-human');
    await call('POST', `/v1/tasks/${task.taskId}/cancel`, { token: a2 });
  });

  it('cannot raise its rung by asking for a higher one', async () => {
    const task = body('gate-rung', { requestedRung: { rung: 5, reason: 'trust me' } });
    const r = await call('POST', `/v1/tasks`, { token: a2, json: task });
    // Asking is only ever for a lower rung: a2 earned 2 in ops and stays there.
    expect(r.body.task.decision.effectiveRung).toBe(2);
    await call('POST', `/v1/tasks/${task.taskId}/cancel`, { token: a2 });
  });

  it('refuses a raw Temporal update with a claimed approver, and a signature replayed on another task or steps', async () => {
    const [mine, other] = [body('gate-raw-1'), body('gate-raw-2')];
    for (const t of [mine, other])
      expect((await call('POST', '/v1/tasks', { token: a2, json: t })).status).toBe(201);
    const handle = stack.client.workflow.getHandle(`task/a2/${mine.taskId}`);
    const otherHandle = stack.client.workflow.getHandle(`task/a2/${other.taskId}`);
    const { stepsHash } = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const other2 = await waitForStatus(otherHandle, (s) => s.phase === 'awaiting-human');

    // What `temporal workflow update execute --name approve --input '{"approver":…}'` sends.
    const claimed = await answerTask(stack.client, handle.workflowId, 'U0APPR002', {
      kind: 'approve',
      stepsHash,
    });
    expect(claimed).toEqual({ ok: false, reason: expect.stringMatching(/^unsigned answer refused/) });

    // A real approval signed for the other task, replayed here (and here with other steps).
    const signedForOther = frontendSigner().sign(otherHandle.workflowId, approveUpdate.name, {
      approver: 'U0APPR002',
      stepsHash: other2.stepsHash,
    });
    const replays = [
      { ...signedForOther, stepsHash },
      frontendSigner().sign(handle.workflowId, approveUpdate.name, {
        approver: 'U0APPR002',
        stepsHash: 'f'.repeat(64),
      }),
    ];
    for (const args of replays) {
      const refused = await handle
        .executeUpdate(approveUpdate, { args: [args] })
        .then(() => 'accepted')
        .catch((e: Error & { cause?: Error }) => e.cause?.message ?? e.message);
      expect(refused).not.toBe('accepted');
    }
    const status = await handle.query(statusQuery);
    expect(status.phase).toBe('awaiting-human');
    expect(status.refusals?.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^unsigned answer refused/),
      expect.stringMatching(/signature does not match this answer/),
      expect.stringMatching(/different version of the steps|signature does not match/),
    ]);
    await Promise.all([handle.cancel(), otherHandle.cancel()]);
  });

  it('refuses an answer signed with a key revoked after the task was decided', async () => {
    const task = body('gate-revoked');
    expect((await call('POST', '/v1/tasks', { token: a2, json: task })).status).toBe(201);
    const handle = stack.client.workflow.getHandle(`task/a2/${task.taskId}`);
    const { stepsHash } = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    // The frontend's key is revoked in the policy now in force (the task kept the keys of its decision).
    const before = stack.policy.current;
    stack.policy.current = { ...before, answerTrust: { ...before.answerTrust, revoked: ['frontend'] } };
    try {
      const revoked = await answerTask(
        stack.client,
        handle.workflowId,
        'U0APPR002',
        { kind: 'approve', stepsHash },
        frontendSigner(),
      );
      expect(revoked).toEqual({
        ok: false,
        reason: 'answer signed with key "frontend", revoked since this task was decided',
      });
      expect((await handle.query(statusQuery)).phase).toBe('awaiting-human');
      // The approver's own key is still good.
      const own = await answerTask(
        stack.client,
        handle.workflowId,
        'U0APPR002',
        { kind: 'approve', stepsHash },
        operatorSignerOf('U0APPR002'),
      );
      expect(own.ok).toBe(true);
      expect(await handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    } finally {
      stack.policy.current = before;
    }
  });
});
