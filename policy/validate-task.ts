import { didYouMean, formatPath } from './checks';
import { findCredentials } from './credential-detect';
import { reachObjections, type Place } from './environment-targets';
import { limitObjections, spelledOut } from './limits';
import type { LoadedPolicy } from './loader';
import { own } from './own';
import { taskRequestSchema, type TaskRequest } from './task';

/**
 * Validates one step's params for its action type, and what the class's host bound would refuse
 * when it runs (the action registry provides this).
 */
export interface ActionParamsValidator {
  validate(
    type: string,
    params: unknown,
    bounds?: { hosts?: readonly string[] },
  ): { ok: true; params: unknown } | { ok: false; errors: string[] };
  /** The URLs and workspace paths a step with valid `params` reaches. */
  reaches(type: string, params: unknown): Place[];
}

/**
 * Checks a task submission completely before any workflow starts: the request's shape, that the
 * agent and task class exist in the policy, that the agent's model and prompt version are the ones
 * the policy declares for it, that every step's action is allowed for the class, and every step's
 * params against its handler, and that no step's params carry a credential or a character that
 * reorders or hides what the approver reads, and that no step reaches a URL or path the policy's
 * `environmentTargets` give to an environment other than the task's. Size limits come first ({@link limitObjections}): a
 * request too large to start or to run to an outcome on Temporal is refused with those errors
 * alone, before any other work. Every entry point (HTTP API, MCP, client, CLI, Slack modal) submits
 * through here. Pure: the action registry is passed in.
 *
 * @returns the parsed task (params normalised by their handlers), or every error as `path: message`.
 */
export function validateTaskRequest(
  raw: unknown,
  policy: LoadedPolicy,
  actions: ActionParamsValidator,
): { ok: true; task: TaskRequest } | { ok: false; errors: string[] } {
  const limits = limitObjections(raw);
  if (limits.fatal) return { ok: false, errors: limits.errors };
  // A path the limits already named (the title's length, say) is not reported twice by the schema.
  const limitPaths = new Set(limits.errors.map((e) => e.split(':')[0]));
  const parsed = taskRequestSchema.safeParse(raw);
  if (!parsed.success) {
    // Report the policy's objections too, as far as the raw request can be read, so a person
    // fixing a form sees every problem at once rather than one round at a time.
    const shapeErrors = parsed.error.issues
      .map((i) => `${formatPath(i.path.filter((p) => typeof p !== 'symbol'))}: ${i.message}`)
      .filter((e) => !limitPaths.has(e.split(':')[0]));
    const r = (typeof raw === 'object' && raw !== null ? raw : {}) as {
      agent?: { id?: unknown; model?: unknown; promptVersion?: unknown };
      taskClass?: unknown;
      environment?: unknown;
      steps?: unknown;
    };
    const readable = {
      agentId: typeof r.agent?.id === 'string' ? r.agent.id : undefined,
      model: typeof r.agent?.model === 'string' ? r.agent.model : undefined,
      promptVersion: typeof r.agent?.promptVersion === 'string' ? r.agent.promptVersion : undefined,
      taskClass: typeof r.taskClass === 'string' ? r.taskClass : undefined,
      environment: typeof r.environment === 'string' ? r.environment : undefined,
      actions: Array.isArray(r.steps)
        ? r.steps.map((s: unknown) =>
            typeof (s as { action?: unknown })?.action === 'string'
              ? (s as { action: string }).action
              : undefined,
          )
        : [],
    };
    const policyErrors = policyObjections(readable, policy).filter(
      (e) => !shapeErrors.some((s) => s.split(':')[0] === e.split(':')[0]),
    );
    const carried = Array.isArray(r.steps)
      ? r.steps.flatMap((s: unknown, i) => credentialObjections(i, (s as { params?: unknown })?.params))
      : [];
    return { ok: false, errors: [...limits.errors, ...shapeErrors, ...policyErrors, ...carried] };
  }
  const task = parsed.data;
  const objections = policyObjections(
    {
      agentId: task.agent.id,
      model: task.agent.model,
      promptVersion: task.agent.promptVersion,
      taskClass: task.taskClass,
      environment: task.environment,
      actions: task.steps.map((s) => s.action),
    },
    policy,
  );
  // Errors read in the request's order: agent and class first, then each step's action and params.
  const errors = [...limits.errors, ...objections.filter((e) => !e.startsWith('steps['))];
  const steps = task.steps.map((step, i) => {
    errors.push(...objections.filter((e) => e.startsWith(`steps[${i}].`)));
    errors.push(...credentialObjections(i, step.params));
    // Against the class's bounds too: a step the run would refuse is refused before anyone approves
    // it, not after the steps before it took effect.
    const checked = actions.validate(step.action, step.params, {
      hosts: own(policy.taskClasses, task.taskClass)?.bounds?.hosts,
    });
    if (!checked.ok) {
      errors.push(...checked.errors.map((e) => `steps[${i}].${e}`));
      return step;
    }
    // What the steps reach decides the environment as much as the agent's label does.
    errors.push(
      ...reachObjections(
        [{ index: i, places: actions.reaches(step.action, checked.params) }],
        task.environment,
        policy.environmentTargets,
      ),
    );
    return { ...step, params: checked.params as Record<string, unknown> };
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, task: { ...task, steps } };
}

/**
 * A step's params that carry a credential, as `steps[i].params.<path>: message`: agents name no
 * secret; the worker injects those the policy's `credentials` section names.
 */
function credentialObjections(index: number, params: unknown): string[] {
  return findCredentials(params).map(
    (f) =>
      `${formatPath([`steps[${index}]`, 'params', ...f.path])}: carries a credential (${f.kind}); the policy's credentials section names secrets the worker injects (see credentials)`,
  );
}

/**
 * Unknown agent, a model or prompt version other than the policy declares for the agent, unknown
 * task class, undeclared environment, and actions the class does not allow, as `path: message`. Ids
 * are looked up as the policy's own keys only, so `constructor` or `__proto__` is unknown like any
 * other undeclared name.
 */
function policyObjections(
  task: {
    agentId?: string;
    model?: string;
    promptVersion?: string;
    taskClass?: string;
    environment?: string;
    actions: (string | undefined)[];
  },
  policy: LoadedPolicy,
): string[] {
  const errors: string[] = [];
  const agent = task.agentId === undefined ? undefined : own(policy.agents, task.agentId);
  if (task.agentId !== undefined && !agent) {
    const declared = Object.keys(policy.agents);
    errors.push(
      `agent.id: unknown agent "${task.agentId}" (declared: ${declared.join(', ')})${didYouMean(task.agentId, declared)}`,
    );
  }
  if (task.agentId !== undefined && agent) errors.push(...versionObjections(task, task.agentId, agent));
  const taskClass = task.taskClass === undefined ? undefined : own(policy.taskClasses, task.taskClass);
  if (task.taskClass !== undefined && !taskClass) {
    const declared = Object.keys(policy.taskClasses);
    errors.push(
      `taskClass: unknown task class "${task.taskClass}" (declared: ${declared.join(', ')})${didYouMean(task.taskClass, declared)}`,
    );
  }
  const environments = policy.environments;
  if (task.environment !== undefined && environments && !environments.includes(task.environment)) {
    errors.push(
      `environment: unknown environment "${task.environment}" (declared: ${environments.join(', ')})${didYouMean(task.environment, environments)}`,
    );
  }
  task.actions.forEach((action, i) => {
    if (taskClass && action !== undefined && !taskClass.actions.includes(action)) {
      errors.push(
        `steps[${i}].action: "${action}" is not allowed for task class "${task.taskClass}" (allowed: ${taskClass.actions.join(', ')})`,
      );
    }
  });
  return errors;
}

/** The most characters of a refused model or prompt version an error repeats. */
const MAX_VERSION_SHOWN = 80;

/** `"claude-sonnet-4-5"` as an error shows a value the agent sent: quoted, escaped, cut when long. */
function shownValue(value: string): string {
  const chars = Array.from(value);
  const cut = chars.length > MAX_VERSION_SHOWN;
  // JSON spells out controls and quotes; spelledOut the characters that reorder or show as nothing.
  const quoted = spelledOut(JSON.stringify(cut ? chars.slice(0, MAX_VERSION_SHOWN).join('') : value));
  return cut ? `${quoted.slice(0, -1)}…" (${chars.length} characters)` : quoted;
}

/**
 * A `model` or `promptVersion` that is not what the policy declares for the agent, as `agent.model:
 * "claude-sonnet-4-5" is not what the policy declares for ops-agent ("claude-opus-5")`.
 *
 * Why: the trust ledger demotes an agent whose model or prompt changed (DESIGN §2, "environment
 * change"), comparing the pair it holds with the task's. Were the task's pair the agent's word, an
 * agent could keep sending the old model's name after operators upgraded `agents.<id>.model` and
 * keep the rungs the old model earned. So the pair is the policy's: an entry point that does not ask
 * the agent fills in the declaration, and one that does gets it checked here. A policy that declares
 * none (an empty value) checks nothing.
 */
function versionObjections(
  task: { model?: string; promptVersion?: string },
  agentId: string,
  declared: { model?: string; promptVersion?: string },
): string[] {
  const errors: string[] = [];
  for (const field of ['model', 'promptVersion'] as const) {
    const sent = task[field];
    const expected = declared[field];
    if (sent === undefined || !expected || sent === expected) continue;
    errors.push(
      `agent.${field}: ${shownValue(sent)} is not what the policy declares for ${agentId} (${JSON.stringify(expected)}); send that (the agent API fills it in when left out), or have an operator change agents.${agentId}.${field} in the policy`,
    );
  }
  return errors;
}
