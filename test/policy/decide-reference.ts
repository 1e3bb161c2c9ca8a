// decide() as it was before it was optimised for `npm run bench:decide` (policy/decide.ts at commit
// 1a88db8), kept unchanged as the reference the optimised one must agree with on every input
// (test/policy/decide-equivalence.test.ts). Not used by Ladder itself.
import type { Decision as CurrentDecision } from '../../policy/decide';
import type { LoadedPolicy } from '../../policy/loader';
import { own } from '../../policy/own';
import type { Bounds, Pin, Rung, TaskClassPolicy } from '../../policy/schema';
import type { TaskRequest } from '../../policy/task';
import { parseRequestBounds, requestAllowed, type StepRequest } from '../../policy/request-bounds';

// Pure: no I/O, no clock, no randomness. Same inputs, same Decision; safe to call from workflow code
// (import only types from ./loader there) and cheap enough to call on every task.

/** What the trust ledger knows of an agent; `null` means no ledger yet, so the policy's declared rungs apply. */
export interface AgentState {
  /** Earned rung per task class; a class not listed has earned nothing yet (rung 0). */
  earnedRungs: Partial<Record<string, Rung>>;
  /** A kill switch engaged at run time (e.g. `/ladder freeze`), on top of the policy's own. */
  killSwitchCap?: Rung;
  /** Task classes whose scope a rollback trigger reduced for every agent: class → cap. */
  classCaps?: Partial<Record<string, Rung>>;
}

/** What the agent has already executed autonomously today in this task class. */
export interface Usage {
  countToday: number;
  costTodayUsd: number;
}

/** The subset of a task request that deciding reads, and the requests its steps send. */
export type DecisionInput = { requests?: readonly StepRequest[] } & Pick<
  TaskRequest,
  'agent' | 'taskClass' | 'environment' | 'steps' | 'requestedRung' | 'resource' | 'title'
>;

/** A rule that held the rung below what the agent earned. */
export interface DecisionReason {
  /** Stable id, e.g. `class-cap`, `kill-switch`, `pin:prod-migrations`, `bounds`, `requested-lower`. */
  rule: string;
  /** The highest rung this rule allows. */
  ceiling: Rung;
  message: string;
}

export interface BoundViolation {
  bound: 'actions' | 'environments' | 'perDay.count' | 'perDay.costUsd' | 'hosts' | 'requests' | 'defined';
  message: string;
}

export interface Decision {
  agentId: string;
  taskClass: string;
  /** The rung the task runs at: the minimum of earned, cap, kill switches, pins, bounds and what was asked. */
  effectiveRung: Rung;
  earnedRung: Rung;
  /** The lower rung the agent asked for, if any. */
  requestedRung: Rung | null;
  /** Set when the task must not run at all (unknown agent, class or action): fail closed. */
  refused: { rule: string; message: string } | null;
  /** Every rule that lowered the rung below the earned one, in the order they were applied. */
  reasons: DecisionReason[];
  bounds: {
    /** Whether bounds were checked: only at rung 3 and above, where they decide anything. */
    applied: boolean;
    violations: readonly BoundViolation[];
  };
  /** Shared with other decisions of the same class and frozen: read-only. */
  approvers: readonly string[];
  twoPersonRule: boolean;
  typedConfirmation: Readonly<{ required: false }> | { required: true; expected: string };
  channel: string;
  approval: CurrentDecision['approval'];
  rollback: Readonly<{ healthWindowMs: number; healthIntervalMs: number }> | null;
  report: Readonly<{
    mode: 'each' | 'digest';
    periodMs: number | null;
    readSlaMs: number;
    channel: string;
  }> | null;
  escalation: readonly Readonly<{ afterMs: number; notify: string }>[];
  policyVersion: string;
}

const RUNG_LABEL = ['suggest', 'draft', 'confirm', 'bounded', 'rollback', 'report'] as const;
const label = (r: Rung): string => `${r} (${RUNG_LABEL[r]})`;

/**
 * Decides the rung a task runs at and everything the workflow needs to run it there.
 *
 * Invariants: the effective rung is never above the earned rung, the class cap, or an engaged kill
 * switch; a matching pin holds it at or below the pin; at rung ≥ 3 any bound violation gives rung 2
 * with the violation named; a lower requested rung is always granted; every decision below the
 * earned rung carries at least one reason. Unknown agent, task class or action fails closed.
 *
 * @param policy - a validated policy (see `parsePolicy`).
 * @param agentState - the trust ledger's state for the agent, or `null` to use the policy's declared rungs.
 * @param task - the task request.
 * @param usage - the agent's autonomous executions today in this task class (count and USD).
 */
export function decide(
  policy: LoadedPolicy,
  agentState: AgentState | null,
  task: DecisionInput,
  usage: Usage,
): Decision {
  const agentId = task.agent.id;
  // Own keys only: an agent or class named `constructor`, `__proto__` or `toString` is unknown.
  const agent = own(policy.agents, agentId);
  const taskClass: TaskClassPolicy | undefined = own(policy.taskClasses, task.taskClass);
  const requestedRung = task.requestedRung?.rung ?? null;

  if (!agent || !taskClass) {
    const message = !agent
      ? `agent "${agentId}" is not declared in policy ${policy.versionId}`
      : `task class "${task.taskClass}" is not declared in policy ${policy.versionId}`;
    return refusal(
      policy,
      task,
      requestedRung,
      !agent ? 'unknown-agent' : 'unknown-task-class',
      message,
      taskClass,
    );
  }
  const unknownAction = task.steps.find((s) => !taskClass.actions.includes(s.action));
  if (unknownAction) {
    return refusal(
      policy,
      task,
      requestedRung,
      'unknown-action',
      `action "${unknownAction.action}" is not allowed for task class "${task.taskClass}" (allowed: ${taskClass.actions.join(', ')})`,
      taskClass,
    );
  }

  const earnedRung: Rung =
    (agentState ? own(agentState.earnedRungs, task.taskClass) : own(agent.rungs, task.taskClass)) ?? 0;
  const reasons: DecisionReason[] = [];
  let rung = earnedRung;
  // Every rule below is gated on `ceiling < earnedRung` before its message is built: most tasks
  // pass most rules, and decide() runs on every task, so the common path allocates nothing extra.
  // (rung ≤ earnedRung always, so a rule that does not bite the earned rung cannot lower rung.)
  const lower = (ceiling: Rung, rule: string, message: string): void => {
    reasons.push({ rule, ceiling, message });
    if (ceiling < rung) rung = ceiling;
  };

  if (taskClass.cap < earnedRung) {
    lower(
      taskClass.cap,
      'class-cap',
      `task class "${task.taskClass}" is capped at rung ${label(taskClass.cap)}`,
    );
  }
  const ks = policy.killSwitch;
  if (ks.engaged && ks.cap < earnedRung && (ks.agents === undefined || ks.agents.includes(agentId))) {
    const scope = ks.agents ? `agent "${agentId}"` : 'every agent';
    lower(ks.cap, 'kill-switch', `the policy kill switch caps ${scope} at rung ${label(ks.cap)}`);
  }
  const runtimeCap = agentState?.killSwitchCap;
  if (runtimeCap !== undefined && runtimeCap < earnedRung) {
    lower(
      runtimeCap,
      'kill-switch-runtime',
      `a kill switch engaged at run time caps agent "${agentId}" at rung ${label(runtimeCap)}`,
    );
  }
  const classCap = own(agentState?.classCaps, task.taskClass);
  if (classCap !== undefined && classCap < earnedRung) {
    lower(
      classCap,
      'class-rollback',
      `task class "${task.taskClass}" scope reduced to rung ${label(classCap)} for every agent by a rollback trigger`,
    );
  }
  for (const pins of [policy.pins, taskClass.pins]) {
    for (const pin of pins) {
      if (pin.maxRung < earnedRung && pinMatches(pin, task)) {
        lower(pin.maxRung, `pin:${pin.id}`, `pinned to rung ${label(pin.maxRung)}: ${pin.reason}`);
      }
    }
  }
  // Rungs above 2 need their infrastructure in place for the class, whatever the agent earned.
  if (!taskClass.bounds && earnedRung > 2) {
    lower(2, 'no-bounds', `task class "${task.taskClass}" defines no bounds, so nothing runs unconfirmed`);
  }
  if (!taskClass.rollback && earnedRung > 3) {
    lower(3, 'no-rollback', `task class "${task.taskClass}" defines no rollback health window`);
  }
  if (!taskClass.report && earnedRung > 4) {
    lower(4, 'no-report', `task class "${task.taskClass}" defines no report channel and read SLA`);
  }

  // Bounds only decide something at rung 3 and above; below that the task is confirmed anyway.
  const boundsApplied = rung >= 3;
  const violations =
    boundsApplied && taskClass.bounds ? checkBounds(taskClass.bounds, task, usage) : NO_VIOLATIONS;
  if (violations.length > 0) {
    lower(
      2,
      'bounds',
      `outside bounds, falls back to confirmation: ${violations.map((v) => v.message).join('; ')}`,
    );
  }
  if (requestedRung !== null && requestedRung < rung) {
    lower(
      requestedRung,
      'requested-lower',
      `the agent asked for rung ${label(requestedRung)}: ${task.requestedRung!.reason}`,
    );
  }

  return assemble(policy, task, taskClass, {
    effectiveRung: rung,
    earnedRung,
    requestedRung,
    refused: null,
    reasons,
    bounds: { applied: boundsApplied, violations },
  });
}

const NO_VIOLATIONS: readonly BoundViolation[] = Object.freeze([]);

function pinMatches(pin: Pin, task: DecisionInput): boolean {
  const { actions, environments } = pin.when;
  if (environments && !environments.includes(task.environment)) return false;
  if (actions && !task.steps.some((s) => actions.includes(s.action))) return false;
  return true;
}

function checkBounds(bounds: Bounds, task: DecisionInput, usage: Usage): BoundViolation[] {
  const violations: BoundViolation[] = [];
  for (const step of task.steps) {
    if (!bounds.actions.includes(step.action)) {
      violations.push({
        bound: 'actions',
        message: `action "${step.action}" is not in bounds (${bounds.actions.join(', ')})`,
      });
    }
  }
  if (!bounds.environments.includes(task.environment)) {
    violations.push({
      bound: 'environments',
      message: `environment "${task.environment}" is not in bounds (${bounds.environments.join(', ')})`,
    });
  }
  if (usage.countToday + 1 > bounds.perDay.count) {
    violations.push({
      bound: 'perDay.count',
      message: `${usage.countToday} of ${bounds.perDay.count} autonomous tasks already used today`,
    });
  }
  // Each step is charged the greater of what it declares and its action's price, if the class has one.
  const price = (action: string): number =>
    bounds.stepCostUsd !== undefined && Object.hasOwn(bounds.stepCostUsd, action)
      ? bounds.stepCostUsd[action]
      : 0;
  const declared = task.steps.reduce((sum, s) => sum + (s.costUsd ?? 0), 0);
  const cost = task.steps.reduce((sum, s) => sum + Math.max(s.costUsd ?? 0, price(s.action)), 0);
  const priced =
    cost > declared
      ? ` (declared $${round2(declared)}; each step is charged at least its price in bounds.stepCostUsd)`
      : '';
  if (usage.costTodayUsd + cost > bounds.perDay.costUsd) {
    violations.push({
      bound: 'perDay.costUsd',
      message: `cost $${round2(cost)}${priced} on top of $${round2(usage.costTodayUsd)} today exceeds $${round2(bounds.perDay.costUsd)} per day`,
    });
  }
  if (bounds.hosts) {
    for (const step of task.steps) {
      const host = hostOf(step.params.url);
      if (
        host !== undefined &&
        !bounds.hosts.includes(host) &&
        !listedWithPort(step.params.url, bounds.hosts)
      ) {
        violations.push({
          bound: 'hosts',
          message: `host "${host}" is not in bounds (${bounds.hosts.join(', ')})`,
        });
      }
    }
  }
  // Added with bounds.requests (after the optimisation): every request the steps send must be listed.
  if (bounds.requests) {
    const listed = parseRequestBounds(bounds.requests);
    if (task.requests === undefined)
      violations.push({
        bound: 'requests',
        message:
          'the requests its steps send were not named to the decision, so bounds.requests cannot be checked',
      });
    for (const r of task.requests ?? [])
      if (!requestAllowed(r, listed)) {
        const url =
          r.url.length <= 200 ? r.url : `${r.url.slice(0, 200)}… (+${r.url.length - 200} characters)`;
        violations.push({
          bound: 'requests',
          message: `steps[${r.step}].${r.field}: ${r.method} ${url} is not in bounds (${bounds.requests.join(', ')})`,
        });
      }
  }
  return violations;
}

/** The run's own host check: an entry may spell out the scheme's default port. */
function listedWithPort(url: unknown, hosts: readonly string[]): boolean {
  try {
    const u = new URL(String(url));
    const port = u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : undefined;
    return (
      port !== undefined && !u.port && !u.hostname.startsWith('[') && hosts.includes(`${u.hostname}:${port}`)
    );
  } catch {
    return false;
  }
}

const SIMPLE_URL = /^(https?):\/\/([a-z0-9.-]+)(?::(\d+))?(?:[/?#]|$)/i;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

/**
 * The `host[:port]` a URL targets, as WHATWG URL's `host` gives it (lower-cased, default port
 * dropped). Plain http(s) URLs take a fast path; anything else (userinfo, IPv6, odd schemes) goes
 * through URL, and an unparseable one yields a marker that matches no bound.
 */
function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const m = SIMPLE_URL.exec(url);
  if (m) {
    const host = m[2].toLowerCase();
    return m[3] === undefined || m[3] === DEFAULT_PORT[m[1].toLowerCase()] ? host : `${host}:${Number(m[3])}`;
  }
  try {
    return new URL(url).host;
  } catch {
    return `(unparseable url ${JSON.stringify(url)})`;
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

type ClassStatics = Pick<
  Decision,
  'approvers' | 'twoPersonRule' | 'channel' | 'approval' | 'rollback' | 'report' | 'escalation'
>;

// Per-class parts of a decision depend only on the (immutable) loaded policy, so they are computed
// once per class object. A cache keyed by object identity keeps decide() pure in effect.
const staticsCache = new WeakMap<TaskClassPolicy, ClassStatics>();

function classStatics(policy: LoadedPolicy, className: string, taskClass: TaskClassPolicy): ClassStatics {
  let statics = staticsCache.get(taskClass);
  if (!statics) {
    statics = {
      approvers: own(policy.approversByClass, className) ?? [],
      twoPersonRule: taskClass.twoPersonRule,
      channel: taskClass.channel,
      // Not part of the optimisation: the expiry settings added later (issue 13), as decide() reads them.
      approval: {
        remindAfterMs: taskClass.approval.remindAfter,
        expireAfterMs: taskClass.approval.expireAfter,
        warnBeforeMs: taskClass.approval.warnBefore ?? null,
        onExpiry: taskClass.approval.onExpiry,
        escalateTo: (taskClass.approval.escalateTo ?? []).map((group) => ({
          group,
          members: own(policy.groups, group) ?? [],
        })),
      },
      rollback: taskClass.rollback
        ? {
            healthWindowMs: taskClass.rollback.healthWindow,
            healthIntervalMs: taskClass.rollback.healthInterval,
          }
        : null,
      report: taskClass.report
        ? {
            mode: taskClass.report.mode,
            periodMs: taskClass.report.period ?? null,
            readSlaMs: taskClass.report.readSla,
            channel: taskClass.report.channel,
          }
        : null,
      escalation: taskClass.escalation.map((e) => ({ afterMs: e.after, notify: e.notify })),
    };
    deepFreeze(statics);
    staticsCache.set(taskClass, statics);
  }
  return statics;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

const NO_CLASS: ClassStatics = {
  approvers: [],
  twoPersonRule: false,
  channel: '',
  approval: { remindAfterMs: 0, expireAfterMs: 0 },
  rollback: null,
  report: null,
  escalation: [],
};
deepFreeze(NO_CLASS);

type Outcome = Pick<
  Decision,
  'effectiveRung' | 'earnedRung' | 'requestedRung' | 'refused' | 'reasons' | 'bounds'
>;

/** Builds the decision in one object literal (decide() is hot: no intermediate spreads). */
function assemble(
  policy: LoadedPolicy,
  task: DecisionInput,
  taskClass: TaskClassPolicy | undefined,
  o: Outcome,
): Decision {
  const statics = taskClass ? classStatics(policy, task.taskClass, taskClass) : NO_CLASS;
  // The per-class parts are shared and frozen: a caller that tries to edit them gets a TypeError
  // rather than silently changing the next decision.
  return {
    agentId: task.agent.id,
    taskClass: task.taskClass,
    effectiveRung: o.effectiveRung,
    earnedRung: o.earnedRung,
    requestedRung: o.requestedRung,
    refused: o.refused,
    reasons: o.reasons,
    bounds: o.bounds,
    approvers: statics.approvers,
    twoPersonRule: statics.twoPersonRule,
    typedConfirmation: taskClass?.typedConfirmation
      ? { required: true, expected: task.resource ?? task.title }
      : NOT_REQUIRED,
    channel: statics.channel,
    approval: statics.approval,
    rollback: statics.rollback,
    report: statics.report,
    escalation: statics.escalation,
    policyVersion: policy.versionId,
  };
}

const NOT_REQUIRED = Object.freeze({ required: false as const });

function refusal(
  policy: LoadedPolicy,
  task: DecisionInput,
  requestedRung: Rung | null,
  rule: string,
  message: string,
  taskClass: TaskClassPolicy | undefined,
): Decision {
  return assemble(policy, task, taskClass, {
    effectiveRung: 0,
    earnedRung: 0,
    requestedRung,
    refused: { rule, message },
    reasons: [],
    bounds: { applied: false, violations: NO_VIOLATIONS },
  });
}
