import { rmSync } from 'node:fs';
import { Client, Connection, defaultPayloadConverter, type WorkflowHandle } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { createAgentToken } from '../../client/agent-tokens';
import { submitTask } from '../../client/submit-task';
import { loadPolicyFile, type LoadedPolicy } from '../../policy/loader';
import { ACTION_IDS } from '../../slack/action-ids';
import { appEndpointsFromEnv, AppUrlsError } from '../../slack/emulator/app-urls';
import { policyPeopleAndChannels } from '../../slack/emulator/policy-people';
import { startSlackEmulator, type SlackEmulator } from '../../slack/emulator/server';
import type { EmulatedMessage } from '../../slack/emulator/workspace';
import { freePort } from '../helpers/ports';
import { ephemeralsFor, waitForMessage } from '../helpers/slack';
import { taskRequest } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import type { Spawned } from '../helpers/processes';
import {
  ADMIN,
  killAll,
  newDeployment,
  newSigningSecret,
  startApiProcess,
  startFrontend,
  startWorkerProcess,
  type ApiProcess,
  type Deployment,
  type Frontend,
} from './helpers/scale-out';

const APPROVER = 'U0APPR002';

/** The arguments of the accepted `name` update in the task's history (what the workflow checked). */
async function acceptedArgs(handle: WorkflowHandle, name: string): Promise<Record<string, unknown>> {
  const accepted = ((await handle.fetchHistory()).events ?? [])
    .map((e) => e.workflowExecutionUpdateAcceptedEventAttributes)
    .filter((a) => a?.acceptedRequest?.input?.name === name);
  expect(accepted).toHaveLength(1);
  const [args] = (accepted[0]!.acceptedRequest!.input!.args!.payloads ?? []).map((p) =>
    defaultPayloadConverter.fromPayload<Record<string, unknown>>(p as never),
  );
  return args;
}

// Issue 14 item 2 with two frontends: two real workers, two Slack frontend processes (each signing
// answers with its own key, both verifying one signing secret) that the emulator delivers to in
// turn, and two agent API processes, all on one task queue of the production-shaped cluster.
describe('two Slack frontends and two API processes on the cluster', () => {
  let deployment: Deployment;
  let policy: LoadedPolicy;
  let client: Client;
  let emulator: SlackEmulator;
  let frontends: Frontend[];
  let apis: ApiProcess[];
  const processes: Spawned[] = [];
  const hasButtonFor = (workflowId: string) => (m: EmulatedMessage) =>
    m.ephemeralTo === undefined && JSON.stringify(m.blocks).includes(`"value":"${workflowId}`);

  /** Submits a rung-2 `approve` task appending `word` and waits for its request in #approve. */
  const requestApproval = async (word: string) => {
    expect(word).toMatch(/^[a-z0-9-]+$/); // words go into shell commands unquoted
    const { handle, workflowId } = await submitTask(
      client,
      taskRequest('a2', 'approve', [
        { action: 'shell.exec', params: { command: `echo ${word} >> effects.log` } },
      ]),
      { taskQueue: deployment.env.LADDER_TASK_QUEUE, policy, actions: createActionRegistry() },
    );
    const message = await waitForMessage(emulator, '#approve', hasButtonFor(workflowId), APPROVER);
    return { handle, workflowId, message };
  };
  /** The frontend that recorded `workflowId`'s answer, from the frontends' own logs. */
  const recordedBy = (workflowId: string): Frontend[] =>
    frontends.filter((f) => f.answersFor(workflowId).some((a) => a.msg === 'task answered from Slack'));

  beforeAll(async () => {
    const signingSecret = newSigningSecret();
    const emulatorPort = await freePort();
    deployment = newDeployment('frontends', emulatorPort);
    policy = loadPolicyFile(deployment.policyPath).policy;
    emulator = await startSlackEmulator({
      port: emulatorPort,
      ...policyPeopleAndChannels(policy),
      rateLimits: false,
    });
    client = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
    const started = await Promise.all([
      startWorkerProcess(deployment),
      startWorkerProcess(deployment),
      startFrontend(deployment, 'frontend-a', signingSecret),
      startFrontend(deployment, 'frontend-b', signingSecret),
      startApiProcess(deployment, 'api-1'),
      startApiProcess(deployment, 'api-2'),
    ]);
    const [w1, w2, fa, fb, api1, api2] = started;
    frontends = [fa, fb];
    apis = [api1, api2];
    processes.push(w1, w2, fa.process, fb.process, api1.process, api2.process);
    // As with Slack in front of a load balancer: one app, one signing secret, several request URLs.
    emulator.connectApp(frontends.map((f) => ({ url: f.requestUrl, signingSecret, timeoutMs: 30_000 })));
  });
  afterAll(async () => {
    await killAll(processes);
    await client?.connection.close();
    await emulator?.close();
    if (deployment) rmSync(deployment.base, { recursive: true, force: true });
  });

  it('reads LADDER_EMULATOR_APP_URLS as the list of request URLs, refusing a bad entry by its place', () => {
    const env = {
      LADDER_EMULATOR_APP_URLS: 'http://127.0.0.1:3000/slack/events, http://127.0.0.1:3001/slack/events',
    };
    expect(appEndpointsFromEnv(env, 's', 3000)).toEqual([
      { url: 'http://127.0.0.1:3000/slack/events', signingSecret: 's', timeoutMs: 3000 },
      { url: 'http://127.0.0.1:3001/slack/events', signingSecret: 's', timeoutMs: 3000 },
    ]);
    expect(appEndpointsFromEnv({}, 's', 3000)).toBeUndefined();
    expect(() => appEndpointsFromEnv({ LADDER_EMULATOR_APP_URLS: 'http://a/x,,http://b/y' }, 's', 1)).toThrow(
      new AppUrlsError(
        'LADDER_EMULATOR_APP_URLS entry 2: empty; expected comma-separated request URLs such as http://127.0.0.1:3000/slack/events',
      ),
    );
    expect(() => appEndpointsFromEnv({ LADDER_EMULATOR_APP_URLS: 'http://a/x,ftp://b/y' }, 's', 1)).toThrow(
      /entry 2: "ftp:\/\/b\/y" is ftp, expected http or https/,
    );
    expect(() => appEndpointsFromEnv({ LADDER_EMULATOR_APP_URLS: 'not a url' }, 's', 1)).toThrow(
      /entry 1: "not a url" is not a URL/,
    );
  });

  it('approves through whichever frontend takes the click: each task once, vouched for by that frontend', async () => {
    const words = Array.from({ length: 6 }, (_, i) => `click-${i}`);
    const tasks = await Promise.all(words.map((w) => requestApproval(w)));
    const takers: string[] = [];
    for (const task of tasks) {
      const clicked = await emulator.click(APPROVER, '#approve', task.message.ts, ACTION_IDS.approve);
      expect(clicked.error).toBeUndefined();
      expect(await task.handle.result()).toMatchObject({
        outcome: 'executed',
        approvedBy: APPROVER,
        executedSteps: 1,
      });
      await waitUntil(() => recordedBy(task.workflowId).length > 0);
      const [taker] = recordedBy(task.workflowId);
      expect(recordedBy(task.workflowId)).toHaveLength(1);
      // The key that vouched in the workflow's own history is the key of the frontend that took it.
      expect(await acceptedArgs(task.handle, 'approve')).toMatchObject({
        approver: APPROVER,
        proof: { keyId: taker.keyId },
      });
      takers.push(taker.keyId);
    }
    // Deliveries alternate: consecutive clicks land on different frontends, so both served three.
    for (let i = 1; i < takers.length; i++) expect(takers[i]).not.toBe(takers[i - 1]);
    expect(takers.filter((k) => k === 'frontend-a')).toHaveLength(3);
    expect(deployment.sandboxLines('effects.log').sort()).toEqual([...words].sort());
  });

  it('has one effect when Approve is clicked twice at once and the clicks land on both frontends', async () => {
    const task = await requestApproval('double');
    const before = ephemeralsFor(emulator, '#approve', APPROVER).length;
    await Promise.all([
      emulator.click(APPROVER, '#approve', task.message.ts, ACTION_IDS.approve),
      emulator.click(APPROVER, '#approve', task.message.ts, ACTION_IDS.approve),
    ]);
    expect(await task.handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    // Each frontend got one of the two clicks and logged what became of it: one recorded, one refused.
    await waitUntil(() => frontends.every((f) => f.answersFor(task.workflowId).length === 1));
    expect(frontends.map((f) => f.answersFor(task.workflowId)[0].msg).sort()).toEqual([
      'slack answer refused',
      'task answered from Slack',
    ]);
    const taker = recordedBy(task.workflowId)[0];
    expect(await acceptedArgs(task.handle, 'approve')).toMatchObject({ proof: { keyId: taker.keyId } });
    await waitUntil(() => ephemeralsFor(emulator, '#approve', APPROVER).length >= before + 2);
    const told = ephemeralsFor(emulator, '#approve', APPROVER).slice(before);
    expect(told.filter((t) => t.startsWith(`Recorded: approve by <@${APPROVER}>`))).toHaveLength(1);
    expect(told.filter((t) => t.startsWith('Refused: '))).toHaveLength(1);
    expect(deployment.sandboxLines('effects.log').filter((l) => l === 'double')).toHaveLength(1);
  });

  it('submits through one API process and waits on and cancels through the other', async () => {
    const { token } = await createAgentToken(
      client,
      { taskQueue: deployment.env.LADDER_TASK_QUEUE, signer: deployment.adminSigner },
      { agentId: 'a2', by: ADMIN },
    );
    const call = async (api: ApiProcess, method: string, path: string, json?: unknown) => {
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(json === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: json === undefined ? undefined : JSON.stringify(json),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const { agent: _agent, ...body } = taskRequest('ignored', 'approve', [
      { action: 'shell.exec', params: { command: 'echo via-api >> effects.log' } },
    ]);
    const submitted = await call(apis[0], 'POST', '/v1/tasks', body);
    expect(submitted.status).toBe(201);
    expect(submitted.body.task).toMatchObject({ rung: 2 });
    // The other process sees it (Temporal is the only shared state), still waiting on a person.
    const waiting = await call(apis[1], 'GET', `/v1/tasks/${body.taskId}/wait?timeout=1`);
    expect(waiting).toMatchObject({ status: 200, body: { done: false } });
    expect((await call(apis[1], 'POST', `/v1/tasks/${body.taskId}/cancel`)).status).toBe(202);
    const cancelled = await call(apis[0], 'GET', `/v1/tasks/${body.taskId}/wait?timeout=30`);
    expect(cancelled.body).toMatchObject({ done: true, result: { outcome: 'cancelled' } });
    expect((await call(apis[0], 'POST', `/v1/tasks/${body.taskId}/cancel`)).status).toBe(409);
    expect(deployment.sandboxLines('effects.log')).not.toContain('via-api');
  });

  it('keeps clicks working through the other frontend when one is SIGKILLed', async () => {
    const victim = frontends[1];
    victim.process.child.kill('SIGKILL');
    expect(await victim.process.exited).toBe(-1);
    const servedBefore = victim.answers().length;

    const words = Array.from({ length: 4 }, (_, i) => `after-kill-${i}`);
    const tasks = await Promise.all(words.map((w) => requestApproval(w)));
    let failedDeliveries = 0;
    for (const task of tasks) {
      // A delivery to the dead frontend fails as Slack shows it (the person sees the error); the
      // person clicks again and the next delivery goes to the live one.
      let clicked = await emulator.click(APPROVER, '#approve', task.message.ts, ACTION_IDS.approve);
      if (clicked.error) {
        expect(clicked.error).toMatch(/^dispatch_failed/);
        failedDeliveries++;
        clicked = await emulator.click(APPROVER, '#approve', task.message.ts, ACTION_IDS.approve);
      }
      expect(clicked.error).toBeUndefined();
      expect(await task.handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 1 });
      expect(await acceptedArgs(task.handle, 'approve')).toMatchObject({
        proof: { keyId: frontends[0].keyId },
      });
    }
    // Round-robin sent some clicks to the dead frontend: they failed visibly and changed nothing.
    expect(failedDeliveries).toBeGreaterThan(0);
    expect(victim.answers()).toHaveLength(servedBefore);
    expect(
      deployment
        .sandboxLines('effects.log')
        .filter((l) => l.startsWith('after-kill-'))
        .sort(),
    ).toEqual([...words].sort());
  });
});
