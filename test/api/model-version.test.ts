import { WorkflowNotFoundError } from '@temporalio/client';
import type { RunningApi } from '../../api/server';
import type { LoadedPolicy } from '../../policy/loader';
import { appendStep, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { apiClient, newToken, startApi } from './helpers';

// A task's model and prompt version are the policy's declaration for the agent, not the agent's
// word: after operators upgrade `agents.<id>.model`, an agent sending the old name is refused,
// so it cannot keep the rungs the old model earned.

/** A task request as an agent sends it: no `agent`, identity comes from the token. */
function agentBody(word: string, extra: Record<string, unknown> = {}) {
  const { agent: _agent, ...rest } = taskRequest('ignored', 'ops', [appendStep(word)], extra);
  return rest;
}

describe('agent HTTP API: model and prompt version', () => {
  let stack: TestStack;
  let api: RunningApi;
  let a3: string;
  /** The policy the API holds; a test upgrades a3's declaration in it. */
  let policy: LoadedPolicy;
  const call = apiClient(() => api.url);

  /** The agent the task workflow was started with (its start input). */
  async function startedAgent(taskId: string): Promise<unknown> {
    const history = await stack.client.workflow.getHandle(`task/a3/${taskId}`).fetchHistory();
    const payload = history.events![0].workflowExecutionStartedEventAttributes!.input!.payloads![0];
    return (JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { task: { agent: unknown } }).task
      .agent;
  }

  const expectNoWorkflow = (taskId: string) =>
    expect(stack.client.workflow.getHandle(`task/a3/${taskId}`).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );

  beforeAll(async () => {
    stack = await startTestStack('api-model-version', { policy: workflowTestPolicy() });
    policy = stack.policy.current;
    api = await startApi(stack, () => policy);
    a3 = (await newToken(stack, 'a3')).token;
  });
  afterAll(async () => {
    await api?.close();
    await stack?.stop();
  });

  it('accepts the declared pair sent or left out, and starts the task with it', async () => {
    const sent = agentBody('mv-sent', { model: 'm', promptVersion: 'p' });
    expect((await call('POST', '/v1/tasks', { token: a3, json: sent })).status).toBe(201);
    const left = agentBody('mv-left');
    expect((await call('POST', '/v1/tasks', { token: a3, json: left })).status).toBe(201);
    expect(await startedAgent(left.taskId)).toEqual({ id: 'a3', model: 'm', promptVersion: 'p' });
  });

  it('refuses another model or prompt version with 422, naming the field and the declared value, and starts nothing', async () => {
    const body = agentBody('mv-other', { model: 'claude-opus-5', promptVersion: 'p9' });
    const r = await call('POST', '/v1/tasks', { token: a3, json: body });
    expect(r.status).toBe(422);
    expect(r.body.detail).toBe('the task was NOT submitted: fix the fields named in errors');
    expect(r.body.errors).toEqual([
      {
        path: 'model',
        message:
          '"claude-opus-5" is not what the policy declares for a3 ("m"); send that (the agent API fills it in when left out), or have an operator change agents.a3.model in the policy',
      },
      {
        path: 'promptVersion',
        message: expect.stringMatching(/^"p9" is not what the policy declares for a3 \("p"\)/),
      },
    ]);
    await expectNoWorkflow(body.taskId);
  });

  it('after operators upgrade the declared model, refuses the old one and fills in the new', async () => {
    const upgraded = structuredClone(stack.policy.current);
    upgraded.agents.a3.model = 'm-next';
    policy = upgraded;
    try {
      const old = agentBody('mv-old', { model: 'm' });
      const r = await call('POST', '/v1/tasks', { token: a3, json: old });
      expect(r.status).toBe(422);
      expect(r.body.errors).toEqual([
        {
          path: 'model',
          message: expect.stringMatching(/^"m" is not what the policy declares for a3 \("m-next"\)/),
        },
      ]);
      await expectNoWorkflow(old.taskId);
      const left = agentBody('mv-new');
      expect((await call('POST', '/v1/tasks', { token: a3, json: left })).status).toBe(201);
      expect(await startedAgent(left.taskId)).toEqual({ id: 'a3', model: 'm-next', promptVersion: 'p' });
    } finally {
      policy = stack.policy.current;
    }
  });
});
