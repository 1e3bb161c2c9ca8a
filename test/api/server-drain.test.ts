import type { MetricsServer } from '../../observability/metrics-server';
import type { RunningApi } from '../../api/server';
import { gate, newConnectionOutcome, rawRequest, readyzFor } from '../observability/drain-helpers';
import { appendStep, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { apiClient, newToken, startApi } from './helpers';

// A rolling restart of the API: an agent's long poll in flight is answered (the task as it is,
// not done, as a timed-out wait is) instead of hanging until SIGKILL or being reset.
describe('agent API drain on close', () => {
  let stack: TestStack;
  let api: RunningApi;
  let readyz: MetricsServer;
  let token: string;
  const call = apiClient(() => api.url);
  const never = gate();

  beforeAll(async () => {
    stack = await startTestStack('api-drain', { policy: workflowTestPolicy() });
    // startApi wires the abort of the Temporal long poll behind the agent's wait, as api/main.ts does.
    api = await startApi(stack);
    readyz = await readyzFor(() => api.isDraining());
    token = (await newToken(stack, 'a2')).token;
  });
  afterAll(async () => {
    never.open();
    await api?.close(0);
    await readyz?.close();
    await stack?.stop();
  });

  it('answers the long poll in flight, refuses new connections and reports stopping', async () => {
    const { agent: _agent, ...task } = taskRequest('ignored', 'ops', [appendStep('drain')]);
    expect((await call('POST', '/v1/tasks', { token, json: task })).status).toBe(201);
    await waitForStatus(
      stack.client.workflow.getHandle(`task/a2/${task.taskId}`),
      (s) => s.phase === 'awaiting-human',
    );
    expect((await rawRequest(`${readyz.baseUrl}/readyz`)).status).toBe(200);

    let waitsSeen = 0;
    api.server.on('request', (req: { url?: string }) => {
      if (req.url?.includes('/wait')) waitsSeen++;
    });
    const started = Date.now();
    const longPoll = rawRequest(`${api.url}/v1/tasks/${task.taskId}/wait?timeout=60`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await waitUntil(() => waitsSeen === 1, 10_000);

    const closed = api.close(55_000);
    expect(await rawRequest(`${readyz.baseUrl}/readyz`)).toMatchObject({
      status: 503,
      body: 'not ready: stopping\n',
    });
    expect(await newConnectionOutcome(`${api.url}/v1/openapi.json`)).toBe('ECONNREFUSED');

    const answer = await longPoll;
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({
      taskId: task.taskId,
      done: false,
      phase: 'awaiting-human',
    });
    expect(answer.headers.connection).toBe('close');
    await closed;
    // Well before the 60 s the agent asked to wait and the 55 s grace: the drain ended the poll.
    expect(Date.now() - started).toBeLessThan(45_000);
  });
});
