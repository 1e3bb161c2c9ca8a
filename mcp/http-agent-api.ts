import type { AgentApi } from '../api/agent-api';
import { ApiProblem, noSuchTask, problemFromBody, type Problem } from '../api/problem';
import { taskIdSchema } from '../api/schemas';
import type { RungsView, SubmitResult, TaskView } from '../api/schemas';

/**
 * An {@link AgentApi} over Ladder's HTTP API with one agent's token: what the stdio MCP server
 * uses, so a process an agent runs holds the agent's token and nothing that reaches Temporal.
 * Problem details come back as {@link ApiProblem} with the server's exact words.
 */
export function createHttpAgentApi(baseUrl: string, token: string): AgentApi {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    let text: string | undefined;
    try {
      text = body === undefined ? undefined : JSON.stringify(body);
    } catch {
      // Said as the API says it for the same arguments (policy/limits.ts), not as a network error.
      throw new ApiProblem('invalid-request', 'the task was NOT submitted: fix the fields named in errors', [
        { path: 'request', message: 'cannot be read as JSON (a cycle, a BigInt or nesting too deep)' },
      ]);
    }
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json, application/problem+json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: text,
      });
    } catch (err) {
      throw new ApiProblem('unavailable', `cannot reach Ladder at ${base}: ${(err as Error).message}`);
    }
    const answer = await res.text();
    if (res.ok) return JSON.parse(answer) as T;
    let problem: Problem | null;
    try {
      problem = JSON.parse(answer) as Problem;
    } catch {
      problem = null;
    }
    if (problem && typeof problem.title === 'string' && typeof problem.detail === 'string') {
      const rebuilt = problemFromBody(problem);
      const retryAfter = res.headers.get('retry-after');
      return Promise.reject(
        retryAfter
          ? new ApiProblem(rebuilt.kind, rebuilt.detail, rebuilt.errors, Number(retryAfter))
          : rebuilt,
      );
    }
    throw new ApiProblem('unavailable', `Ladder answered ${res.status} without problem details`);
  };
  // Checked before it becomes a path: fetch would resolve an id of `.` or `..` to another route.
  const task = (taskId: string) => {
    if (!taskIdSchema.safeParse(taskId).success) throw noSuchTask(taskId);
    return `/v1/tasks/${encodeURIComponent(taskId)}`;
  };
  return {
    submit: (body) => call<SubmitResult>('POST', '/v1/tasks', body),
    // Async, so a refused id is a rejected promise like any other problem, never a throw.
    get: async (taskId) => call<TaskView>('GET', task(taskId)),
    wait: async (taskId, timeoutSeconds) =>
      call<TaskView>('GET', `${task(taskId)}/wait?timeout=${timeoutSeconds}`),
    cancel: async (taskId) => call<TaskView>('POST', `${task(taskId)}/cancel`),
    rungs: () => call<RungsView>('GET', '/v1/me/rungs'),
  };
}
