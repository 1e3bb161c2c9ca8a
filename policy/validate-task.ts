import { formatPath } from './checks';
import type { LoadedPolicy } from './loader';
import { taskRequestSchema, type TaskRequest } from './task';

/** Validates one step's params for its action type (the action registry provides this). */
export interface ActionParamsValidator {
  validate(type: string, params: unknown): { ok: true; params: unknown } | { ok: false; errors: string[] };
}

/**
 * Checks a task submission completely before any workflow starts: the request's shape, that the
 * agent and task class exist in the policy, that every step's action is allowed for the class, and
 * every step's params against its handler. Pure: the action registry is passed in.
 *
 * @returns the parsed task (params normalised by their handlers), or every error as `path: message`.
 */
export function validateTaskRequest(
  raw: unknown,
  policy: LoadedPolicy,
  actions: ActionParamsValidator,
): { ok: true; task: TaskRequest } | { ok: false; errors: string[] } {
  const parsed = taskRequestSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map(
        (i) => `${formatPath(i.path.filter((p) => typeof p !== 'symbol'))}: ${i.message}`,
      ),
    };
  }
  const task = parsed.data;
  const errors: string[] = [];
  if (!policy.agents[task.agent.id]) {
    errors.push(
      `agent.id: unknown agent "${task.agent.id}" (declared: ${Object.keys(policy.agents).join(', ')})`,
    );
  }
  const taskClass = policy.taskClasses[task.taskClass];
  if (!taskClass) {
    errors.push(
      `taskClass: unknown task class "${task.taskClass}" (declared: ${Object.keys(policy.taskClasses).join(', ')})`,
    );
  }
  const steps = task.steps.map((step, i) => {
    if (taskClass && !taskClass.actions.includes(step.action)) {
      errors.push(
        `steps[${i}].action: "${step.action}" is not allowed for task class "${task.taskClass}" (allowed: ${taskClass.actions.join(', ')})`,
      );
    }
    const checked = actions.validate(step.action, step.params);
    if (!checked.ok) {
      errors.push(...checked.errors.map((e) => `steps[${i}].${e}`));
      return step;
    }
    return { ...step, params: checked.params as Record<string, unknown> };
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, task: { ...task, steps } };
}
