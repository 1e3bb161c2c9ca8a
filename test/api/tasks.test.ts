import { WorkflowNotFoundError } from '@temporalio/client';
import type { RunningApi } from '../../api/server';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendStep, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitingQuery } from '../../api/waiting-gauge';
import { apiClient, newToken, startApi } from './helpers';
import { waitUntil } from '../helpers/wait';

// The agents' HTTP API against a real worker: every answer is checked against the OpenAPI
// document generated from the server's own zod schemas.

/** A task request as an agent sends it: no `agent`, identity comes from the token. */
function agentBody(taskClass: string, word: string, extra: Record<string, unknown> = {}) {
  const { agent: _agent, ...rest } = taskRequest('ignored', taskClass, [appendStep(word)], extra);
  return rest;
}

describe('agent HTTP API', () => {
  let stack: TestStack;
  let api: RunningApi;
  let limited: RunningApi;
  let a2: string;
  let a3: string;
  const call = apiClient(() => api.url);
  const callLimited = apiClient(() => limited.url);

  beforeAll(async () => {
    stack = await startTestStack('api-tasks', { policy: workflowTestPolicy() });
    api = await startApi(stack);
    // The same deployment with a policy allowing 3 requests per agent per minute.
    limited = await startApi(stack, () => ({
      ...stack.policy.current,
      agentApi: { ...stack.policy.current.agentApi, requestsPerMinute: 3 },
    }));
    a2 = (await newToken(stack, 'a2')).token;
    a3 = (await newToken(stack, 'a3')).token;
  });
  afterAll(async () => {
    await api?.close();
    await limited?.close();
    await stack?.stop();
  });

  it('serves its OpenAPI 3.1 document without a token', async () => {
    const r = await call('GET', '/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(r.body.components.schemas.SubmitTaskRequest.properties).not.toHaveProperty('agent');
  });

  it('submits a rung-3 task, answers with the decision, and long-polls it to its result', async () => {
    const body = agentBody('ops', 'api-bounded');
    const submitted = await call('POST', '/v1/tasks', { token: a3, json: body });
    expect(submitted.status).toBe(201);
    expect(submitted.body).toMatchObject({
      existing: false,
      task: { taskId: body.taskId, decision: { effectiveRung: 3 } },
    });
    const done = await call('GET', `/v1/tasks/${body.taskId}/wait?timeout=30`, { token: a3 });
    expect(done.body).toMatchObject({ done: true, result: { outcome: 'executed', executedSteps: 1 } });
    const again = await call('POST', '/v1/tasks', { token: a3, json: body });
    expect(again).toMatchObject({ status: 200, body: { existing: true } });
    // The task runs as the token's agent.
    await expect(stack.client.workflow.getHandle(`task/a3/${body.taskId}`).describe()).resolves.toBeTruthy();
  });

  it('answers retries without adding to the task, and refuses the same id for another request', async () => {
    const waitingA2 = async () =>
      (await stack.client.workflow.count(waitingQuery(stack.taskQueue, 'a2'))).count;
    const before = await waitingA2();
    const body = agentBody('ops', 'api-retried');
    expect((await call('POST', '/v1/tasks', { token: a2, json: body })).status).toBe(201);
    for (let i = 0; i < 5; i++)
      expect(await call('POST', '/v1/tasks', { token: a2, json: body })).toMatchObject({
        status: 200,
        body: { existing: true, task: { taskId: body.taskId, decision: { effectiveRung: 2 } } },
      });
    // Every retry was answered from the task's status: its history holds the first submission's
    // update only (a new update per retry filled the run's cap of 2,000, and then no one could answer it).
    const handle = stack.client.workflow.getHandle(`task/a2/${body.taskId}`);
    const { events } = await handle.fetchHistory();
    const updates = (events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(updates).toHaveLength(1);
    // The same id for another request starts nothing and says what differs.
    const other = await call('POST', '/v1/tasks', {
      token: a2,
      json: { ...body, title: 'something else', environment: 'production' },
    });
    expect(other).toMatchObject({ status: 409 });
    expect(other.body.detail).toBe(
      `taskId: "${body.taskId}" already names a task that asked for something else (environment, title differ); nothing was started: send the same request to retry it, or use a new task id`,
    );
    expect((await call('POST', `/v1/tasks/${body.taskId}/cancel`, { token: a2 })).status).toBe(202);
    // Until visibility has it closed, it would count against a2's waiting cap in the tests below.
    await waitUntil(async () => (await waitingA2()) === before);
  });

  it('refuses a requester who may not ask for the agent: they would answer its suggestions and read its reports', async () => {
    const body = agentBody('ops', 'outsider-requester', { requester: 'U0OTHER01' });
    const r = await call('POST', '/v1/tasks', { token: a2, json: body });
    expect(r).toMatchObject({ status: 422 });
    expect(r.body.errors).toEqual([
      {
        path: 'requester',
        message:
          "U0OTHER01 may not submit tasks for a2 in ops (the agent's owner, policy admins and the class's approvers may)",
      },
    ]);
    await expect(stack.client.workflow.getHandle(`task/a2/${body.taskId}`).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );
  });

  it('takes identity from the token only: a body naming an agent is refused and starts nothing', async () => {
    const body = { ...agentBody('ops', 'impersonate'), agent: { id: 'a5', model: 'm', promptVersion: 'p' } };
    const r = await call('POST', '/v1/tasks', { token: a3, json: body });
    expect(r.status).toBe(422);
    expect(r.body.detail).toMatch(/NOT submitted/);
    expect(r.body.errors).toEqual([
      { path: 'agent', message: 'not accepted: the agent is whoever the bearer token belongs to' },
    ]);
    for (const agent of ['a3', 'a5']) {
      await expect(
        stack.client.workflow.getHandle(`task/${agent}/${body.taskId}`).describe(),
      ).rejects.toThrow(WorkflowNotFoundError);
    }
  });

  it("refuses a step that reaches another environment's files under a staging label, and starts nothing", async () => {
    const scoped = await startApi(stack, () => ({
      ...stack.policy.current,
      environmentTargets: { production: { paths: ['prod/'] } },
    }));
    try {
      const body = {
        ...agentBody('ops', 'x'),
        steps: [{ action: 'file.write', params: { path: 'prod/flags.json', content: '{}' } }],
      };
      const r = await apiClient(() => scoped.url)('POST', '/v1/tasks', { token: a3, json: body });
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([
        {
          path: 'steps[0].params.path',
          message:
            '"prod/flags.json" belongs to production (environmentTargets.production.paths[0]: "prod/"), not staging; a task that reaches production must name it',
        },
      ]);
      await expect(stack.client.workflow.getHandle(`task/a3/${body.taskId}`).describe()).rejects.toThrow(
        WorkflowNotFoundError,
      );
    } finally {
      await scoped.close();
    }
  });

  it('refuses a new task while the agent has agentApi.maxWaiting tasks waiting for people, but not a retry', async () => {
    // The cap sits one above what a2 already has waiting, so this test's first task reaches it.
    const { count: before } = await stack.client.workflow.count(waitingQuery(stack.taskQueue, 'a2'));
    const capped = await startApi(stack, () => ({
      ...stack.policy.current,
      agentApi: { ...stack.policy.current.agentApi, maxWaiting: before + 1 },
    }));
    const post = apiClient(() => capped.url);
    try {
      const first = agentBody('ops', 'cap-first');
      expect(await post('POST', '/v1/tasks', { token: a2, json: first })).toMatchObject({
        status: 201,
        body: { task: { decision: { effectiveRung: 2 } } },
      });
      const second = agentBody('ops', 'cap-second');
      const refused = await post('POST', '/v1/tasks', { token: a2, json: second });
      expect(refused).toMatchObject({ status: 429, body: { title: 'Too many requests' } });
      expect(refused.body.detail).toBe(
        `the task was NOT submitted: ${before + 1} of your tasks already wait for a person's answer, and policy ${stack.policy.current.versionId} allows ${before + 1} (agentApi.maxWaiting); submit again once people have answered, or withdraw one you no longer need`,
      );
      await expect(stack.client.workflow.getHandle(`task/a2/${second.taskId}`).describe()).rejects.toThrow(
        WorkflowNotFoundError,
      );
      // A retry of a task already submitted is answered as it stands, cap or not.
      expect(await post('POST', '/v1/tasks', { token: a2, json: first })).toMatchObject({
        status: 200,
        body: { existing: true },
      });
      // Once one is withdrawn, the count falls (visibility is eventually consistent: ask until it has).
      expect((await post('POST', `/v1/tasks/${first.taskId}/cancel`, { token: a2 })).status).toBe(202);
      const deadline = Date.now() + 30_000;
      let accepted = await post('POST', '/v1/tasks', { token: a2, json: second });
      while (accepted.status === 429 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        accepted = await post('POST', '/v1/tasks', { token: a2, json: second });
      }
      expect(accepted.status).toBe(201);
      expect((await post('POST', `/v1/tasks/${second.taskId}/cancel`, { token: a2 })).status).toBe(202);
    } finally {
      await capped.close();
    }
  });

  it("keeps agents to their own tasks: another agent's task is 404, to read and to cancel", async () => {
    const body = agentBody('ops', 'api-confirm');
    const submitted = await call('POST', '/v1/tasks', { token: a2, json: body });
    expect(submitted.body.task).toMatchObject({ rung: 2, decision: { effectiveRung: 2 } });
    expect((await call('GET', `/v1/tasks/${body.taskId}`, { token: a2 })).body).toMatchObject({
      phase: 'awaiting-human',
      waitingOn: expect.stringContaining('U0APPR002'),
    });
    const peek = await call('GET', `/v1/tasks/${body.taskId}`, { token: a3 });
    expect(peek).toMatchObject({ status: 404, body: { title: 'Not found' } });
    expect((await call('POST', `/v1/tasks/${body.taskId}/cancel`, { token: a3 })).status).toBe(404);
    expect((await call('GET', `/v1/tasks/${body.taskId}/wait?timeout=1`, { token: a3 })).status).toBe(404);

    // Its own agent may: the wait times out first (still waiting), then the cancel ends it.
    const pending = await call('GET', `/v1/tasks/${body.taskId}/wait?timeout=1`, { token: a2 });
    expect(pending.body).toMatchObject({ done: false, phase: 'awaiting-human' });
    // The answer shows the task ended, not the phase it was leaving.
    expect(await call('POST', `/v1/tasks/${body.taskId}/cancel`, { token: a2 })).toMatchObject({
      status: 202,
      body: { done: true, result: { outcome: 'cancelled', executedSteps: 0 } },
    });
    const cancelled = await call('GET', `/v1/tasks/${body.taskId}/wait?timeout=30`, { token: a2 });
    expect(cancelled.body).toMatchObject({ done: true, result: { outcome: 'cancelled' } });
    expect((await call('POST', `/v1/tasks/${body.taskId}/cancel`, { token: a2 })).status).toBe(409);
  });

  it('refuses the agent a cancel once its steps started: only a person can stop them then', async () => {
    const gate = `api-gate-${Date.now()}`;
    const { agent: _agent, ...body } = taskRequest('ignored', 'ops', [
      appendStep('api-held-one'),
      { action: 'shell.exec', params: { command: `while [ ! -f ${gate} ]; do sleep 0.05; done` } },
    ]);
    expect((await call('POST', '/v1/tasks', { token: a3, json: body })).status).toBe(201);
    const handle = stack.client.workflow.getHandle(`task/a3/${body.taskId}`);
    await waitForStatus(handle, (s) => s.phase === 'executing' && s.currentStep === 1);
    const refused = await call('POST', `/v1/tasks/${body.taskId}/cancel`, { token: a3 });
    expect(refused).toMatchObject({ status: 409, contentType: 'application/problem+json' });
    expect(refused.body.detail).toMatch(
      /is executing: an agent may withdraw a task only while it is decided or waits for a person; once its steps start, only a person can stop it/,
    );
    writeFileSync(join(stack.dirs.sandboxDir, gate), '');
    const done = await call('GET', `/v1/tasks/${body.taskId}/wait?timeout=30`, { token: a3 });
    expect(done.body).toMatchObject({ done: true, result: { outcome: 'executed', executedSteps: 2 } });
  });

  it('answers bad JSON, wrong and unknown fields with problem details naming the field', async () => {
    const bad = await call('POST', '/v1/tasks', { token: a3, raw: '{"taskId": ' });
    expect(bad).toMatchObject({
      status: 400,
      contentType: 'application/problem+json',
      body: { status: 400 },
    });
    expect(bad.body.detail).toMatch(/NOT submitted/);

    const wrong = await call('POST', '/v1/tasks', {
      token: a3,
      json: { ...agentBody('ops', 'x'), environment: 'Nope!', color: 'red' },
    });
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'environment', message: 'expected an environment name such as staging' },
        { path: 'color', message: 'unknown field' },
      ]),
    );
    const policy = await call('POST', '/v1/tasks', { token: a3, json: agentBody('nope', 'x') });
    expect(policy.body.errors).toEqual([expect.objectContaining({ path: 'taskClass' })]);

    const timeout = await call('GET', '/v1/tasks/whatever/wait?timeout=600', { token: a3 });
    expect(timeout.body.errors).toEqual([
      { path: 'timeout', message: 'expected whole seconds from 1 to 60' },
    ]);
  });

  it('refuses a body over 1 MB with 413', async () => {
    const r = await call('POST', '/v1/tasks', {
      token: a3,
      raw: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(r).toMatchObject({ status: 413, body: { title: 'Request body too large' } });
  });

  it('shows the agent its rungs and what the next one needs', async () => {
    const r = await call('GET', '/v1/me/rungs', { token: a3 });
    expect(r.body.agentId).toBe('a3');
    expect(r.body.classes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          taskClass: 'ops',
          rung: 3,
          declared: true,
          next: expect.objectContaining({ rung: 4 }),
        }),
      ]),
    );
  });

  it('rate-limits each agent per minute from the policy: 429 with Retry-After, and the task is NOT submitted', async () => {
    for (let i = 0; i < 3; i++)
      expect((await callLimited('GET', '/v1/me/rungs', { token: a2 })).status).toBe(200);
    const body = agentBody('ops', 'limited');
    const r = await callLimited('POST', '/v1/tasks', { token: a2, json: body });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(r.body.detail).toMatch(/the task was NOT submitted/);
    await expect(stack.client.workflow.getHandle(`task/a2/${body.taskId}`).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );
    // Another agent has its own budget.
    expect((await callLimited('GET', '/v1/me/rungs', { token: a3 })).status).toBe(200);
  });

  it('counts each message of an MCP batch against the per-minute budget', async () => {
    // A server of its own, so the budget starts full: 3 requests per agent per minute.
    const own = await startApi(stack, () => ({
      ...stack.policy.current,
      agentApi: { ...stack.policy.current.agentApi, requestsPerMinute: 3 },
    }));
    try {
      const callOwn = apiClient(() => own.url);
      const batch = (n: number) =>
        Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i + 1, method: 'tools/list' }));
      // Plain fetch: /mcp is not in the OpenAPI document the API client checks answers against.
      const postMcp = (token: string, body: unknown) =>
        fetch(`${own.url}/mcp`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: JSON.stringify(body),
        });
      const three = await postMcp(a2, batch(3));
      expect(three.status).toBe(200);
      // The batch was three requests: the budget is spent.
      const next = await callOwn('GET', '/v1/me/rungs', { token: a2 });
      expect(next.status).toBe(429);
      const four = await postMcp(a3, batch(4));
      expect(four.status).toBe(429);
      expect(((await four.json()) as { detail: string }).detail).toMatch(
        /a batch of 4 messages counts as 4 requests; the batch was not processed/,
      );
    } finally {
      await own.close();
    }
  });

  it('answers unknown routes and methods with problem details', async () => {
    expect((await call('PUT', '/v1/tasks', { token: a3 })).status).toBe(405);
    expect((await call('GET', '/v2/nothing', { token: a3 })).status).toBe(404);
    expect((await call('GET', '/v2/nothing', { token: a3 })).status).toBe(404);
  });
});
