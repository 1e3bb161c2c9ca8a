import type { RungsView, SubmitResult, TaskView } from './schemas';

/**
 * What one authenticated agent can do, whoever serves it: the Temporal-backed service inside the
 * API process, or the HTTP client the stdio MCP server uses (which holds only the agent's token).
 * Failures are thrown as `ApiProblem` with the same words either way.
 */
export interface AgentApi {
  /** Validates and submits a task (the body without `agent`); returns it once its rung is decided. */
  submit(body: unknown): Promise<SubmitResult>;
  /** The task's status and decision. */
  get(taskId: string): Promise<TaskView>;
  /** Waits up to `timeoutSeconds` for the task to finish, then answers its status either way. */
  wait(taskId: string, timeoutSeconds: number): Promise<TaskView>;
  /** Withdraws the task while it is decided or waits for a person; refused once its steps start. */
  cancel(taskId: string): Promise<TaskView>;
  /** The agent's rung per task class and what it still needs for the next. */
  rungs(): Promise<RungsView>;
}
