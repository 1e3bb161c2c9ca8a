import type { LoadedPolicy } from './loader';
import { own } from './own';
import type { Bounds, Pin, Rung, TaskClassPolicy } from './schema';
import { parseRequestBounds, requestAllowed, type RequestBound, type StepRequest } from './request-bounds';
import { chargedCostUsd } from './step-cost';
import type { TaskRequest } from './task';

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

/**
 * The subset of a task request that deciding reads, and the HTTP requests its steps send (the
 * action handlers name them): needed only where the class has `bounds.requests`, where a task
 * without them is outside bounds.
 */
export type DecisionInput = Pick<
  TaskRequest,
  'agent' | 'taskClass' | 'environment' | 'steps' | 'requestedRung' | 'resource' | 'title'
> & { requests?: readonly StepRequest[] };

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
  /**
   * How long a request waits and what happens then: `warnBeforeMs` before expiry the approvers are
   * warned (null: no warning); on expiry `onExpiry` applies, `escalateTo` naming the groups (with
   * their members) that get the request in turn under `escalate`. Decisions recorded before these
   * settings existed lack the last three: read them as no warning and `reject`.
   */
  approval: Readonly<{
    remindAfterMs: number;
    expireAfterMs: number;
    warnBeforeMs?: number | null;
    onExpiry?: 'reject' | 'keep-waiting' | 'escalate';
    escalateTo?: readonly Readonly<{ group: string; members: readonly string[] }>[];
  }>;
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
/** `3 (bounded)` for each rung, built once: messages name rungs on every lowered decision. */
const LABELS: readonly string[] = RUNG_LABEL.map((name, r) => `${r} (${name})`);
const label = (r: Rung): string => LABELS[r] ?? `${r} (${RUNG_LABEL[r]})`;

/**
 * Decides the rung a task runs at and everything the workflow needs to run it there.
 *
 * Invariants: the effective rung is never above the earned rung, the class cap, or an engaged kill
 * switch; a matching pin holds it at or below the pin; at rung ≥ 3 any bound violation gives rung 2
 * with the violation named; a lower requested rung is always granted; every decision below the
 * earned rung carries at least one reason. Unknown agent, task class or action fails closed.
 *
 * Cost: a few hundred nanoseconds (`npm run bench:decide`); the parts of messages that depend only
 * on the policy are built once per task class and shared.
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
  const index = policyIndex(policy);
  const agent = index.agents.get(agentId);
  const entry = index.classes.get(task.taskClass);
  const taskClass: TaskClassPolicy | undefined = entry?.taskClass;
  const requestedRung = task.requestedRung?.rung ?? null;

  if (!agent || !entry || !taskClass) {
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
  const facts = (entry.facts ??= classFacts(policy, task.taskClass, taskClass));
  const steps = task.steps;
  for (let i = 0; i < steps.length; i++) {
    if (!facts.actions.includes(steps[i].action)) {
      return refusal(
        policy,
        task,
        requestedRung,
        'unknown-action',
        `action "${steps[i].action}" is not allowed for task class "${task.taskClass}" (allowed: ${facts.actionsList})`,
        taskClass,
      );
    }
  }

  const earnedRung: Rung =
    (agentState ? own(agentState.earnedRungs, task.taskClass) : own(agent.rungs, task.taskClass)) ?? 0;
  const reasons: DecisionReason[] = [];
  let rung = earnedRung;
  // Every rule below is gated on `ceiling < earnedRung` before its reason is added: most tasks
  // pass most rules, and decide() runs on every task, so the common path allocates nothing extra.
  // (rung ≤ earnedRung always, so a rule that does not bite the earned rung cannot lower rung.)
  // Reasons that depend only on the policy are built once per class (`facts`) and reused.

  if (taskClass.cap < earnedRung) {
    reasons.push(facts.capReason);
    if (taskClass.cap < rung) rung = taskClass.cap;
  }
  const ks = policy.killSwitch;
  if (ks.engaged && ks.cap < earnedRung && (ks.agents === undefined || ks.agents.includes(agentId))) {
    const scope = ks.agents ? `agent "${agentId}"` : 'every agent';
    reasons.push({
      rule: 'kill-switch',
      ceiling: ks.cap,
      message: `the policy kill switch caps ${scope} at rung ${label(ks.cap)}`,
    });
    if (ks.cap < rung) rung = ks.cap;
  }
  if (agentState) {
    const runtimeCap = agentState.killSwitchCap;
    if (runtimeCap !== undefined && runtimeCap < earnedRung) {
      reasons.push({
        rule: 'kill-switch-runtime',
        ceiling: runtimeCap,
        message: `a kill switch engaged at run time caps agent "${agentId}" at rung ${label(runtimeCap)}`,
      });
      if (runtimeCap < rung) rung = runtimeCap;
    }
    const classCap = own(agentState.classCaps, task.taskClass);
    if (classCap !== undefined && classCap < earnedRung) {
      reasons.push({
        rule: 'class-rollback',
        ceiling: classCap,
        message: `task class "${task.taskClass}" scope reduced to rung ${label(classCap)} for every agent by a rollback trigger`,
      });
      if (classCap < rung) rung = classCap;
    }
  }
  rung = applyPins(policy.pins, index.pinReasons, earnedRung, rung, task, reasons);
  rung = applyPins(taskClass.pins, facts.pinReasons, earnedRung, rung, task, reasons);
  // Rungs above 2 need their infrastructure in place for the class, whatever the agent earned.
  if (facts.noBounds && earnedRung > 2) {
    reasons.push(facts.noBounds);
    if (2 < rung) rung = 2;
  }
  if (facts.noRollback && earnedRung > 3) {
    reasons.push(facts.noRollback);
    if (3 < rung) rung = 3;
  }
  if (facts.noReport && earnedRung > 4) {
    reasons.push(facts.noReport);
    if (4 < rung) rung = 4;
  }

  // Bounds only decide something at rung 3 and above; below that the task is confirmed anyway.
  const boundsApplied = rung >= 3;
  const violations =
    boundsApplied && taskClass.bounds ? checkBounds(taskClass.bounds, facts, task, usage) : NO_VIOLATIONS;
  if (violations.length > 0) {
    let message = 'outside bounds, falls back to confirmation: ';
    for (let i = 0; i < violations.length; i++) message += (i > 0 ? '; ' : '') + violations[i].message;
    reasons.push({ rule: 'bounds', ceiling: 2, message });
    if (2 < rung) rung = 2;
  }
  if (requestedRung !== null && requestedRung < rung) {
    reasons.push({
      rule: 'requested-lower',
      ceiling: requestedRung,
      message: `the agent asked for rung ${label(requestedRung)}: ${task.requestedRung!.reason}`,
    });
    rung = requestedRung;
  }

  return assemble(policy, task, facts.statics, taskClass.typedConfirmation, {
    effectiveRung: rung,
    earnedRung,
    requestedRung,
    refused: null,
    reasons,
    bounds: { applied: boundsApplied, violations },
  });
}

const NO_VIOLATIONS: readonly BoundViolation[] = Object.freeze([]);

/** The policy's agents and task classes by own key, as Maps (one lookup instead of two). */
interface PolicyIndex {
  agentsRecord: LoadedPolicy['agents'];
  classesRecord: LoadedPolicy['taskClasses'];
  agents: Map<string, LoadedPolicy['agents'][string]>;
  /** Each class, with its facts once a task of it was decided. */
  classes: Map<string, { taskClass: TaskClassPolicy; facts: ClassFacts | null }>;
  pins: LoadedPolicy['pins'];
  /** The reason each of the policy's own pins gives. */
  pinReasons: readonly DecisionReason[];
}

const indexCache = new WeakMap<LoadedPolicy, PolicyIndex>();

/**
 * The index of a loaded policy, built on first use and kept per policy object (a loaded policy is
 * never edited; a copy with other agents or classes is another object, and an index whose records
 * are no longer the policy's is rebuilt). Keys are own keys only, as {@link own} reads them.
 */
function policyIndex(policy: LoadedPolicy): PolicyIndex {
  const cached = indexCache.get(policy);
  if (
    cached &&
    cached.agentsRecord === policy.agents &&
    cached.classesRecord === policy.taskClasses &&
    cached.pins === policy.pins &&
    cached.pinReasons.length === policy.pins.length
  )
    return cached;
  const ownEntries = <T, U>(record: Readonly<Record<string, T>>, value: (v: T) => U): Map<string, U> =>
    new Map(Object.getOwnPropertyNames(record).map((k) => [k, value(record[k])] as const));
  const index: PolicyIndex = {
    agentsRecord: policy.agents,
    classesRecord: policy.taskClasses,
    agents: ownEntries(policy.agents, (agent) => agent),
    classes: ownEntries(policy.taskClasses, (taskClass) => ({ taskClass, facts: null })),
    pins: policy.pins,
    pinReasons: pinReasonsOf(policy.pins),
  };
  indexCache.set(policy, index);
  return index;
}

/**
 * Lowers `rung` for every pin of `pins` that bites the earned rung and matches the task, adding
 * the pin's (shared) reason; returns the new rung.
 */
function applyPins(
  pins: readonly Pin[],
  pinReasons: readonly DecisionReason[],
  earnedRung: Rung,
  rung: Rung,
  task: DecisionInput,
  reasons: DecisionReason[],
): Rung {
  for (let i = 0; i < pins.length; i++) {
    const pin = pins[i];
    if (pin.maxRung < earnedRung && pinMatches(pin, task)) {
      reasons.push(pinReasons[i]);
      if (pin.maxRung < rung) rung = pin.maxRung;
    }
  }
  return rung;
}

/**
 * The ids of every pin (the policy's and the task's class's) whose `when` matches `task`, whether
 * or not it lowered the rung: a standing approval must not cover a pinned action even at rung 2.
 */
export function matchingPinIds(policy: LoadedPolicy, task: DecisionInput): string[] {
  const classPins = own(policy.taskClasses, task.taskClass)?.pins ?? [];
  return [...policy.pins, ...classPins].filter((pin) => pinMatches(pin, task)).map((pin) => pin.id);
}

function pinMatches(pin: Pin, task: DecisionInput): boolean {
  const { actions, environments } = pin.when;
  if (environments && !environments.includes(task.environment)) return false;
  if (actions) {
    for (const s of task.steps) if (actions.includes(s.action)) return true;
    return false;
  }
  return true;
}

const pinReasonCache = new WeakMap<readonly Pin[], readonly DecisionReason[]>();

/** The reason each pin of a (loaded, immutable) list gives, built once per list. */
function pinReasonsOf(pins: readonly Pin[]): readonly DecisionReason[] {
  let reasons = pinReasonCache.get(pins);
  if (!reasons || reasons.length !== pins.length) {
    reasons = pins.map((pin) =>
      Object.freeze({
        rule: `pin:${pin.id}`,
        ceiling: pin.maxRung,
        message: `pinned to rung ${label(pin.maxRung)}: ${pin.reason}`,
      }),
    );
    pinReasonCache.set(pins, reasons);
  }
  return reasons;
}

/** What deciding needs of a task class that depends only on the (loaded, immutable) policy. */
interface ClassFacts {
  /** The per-class parts of every decision in the class. */
  statics: ClassStatics;
  actions: readonly string[];
  actionsList: string;
  capReason: DecisionReason;
  pinReasons: readonly DecisionReason[];
  noBounds: DecisionReason | null;
  noRollback: DecisionReason | null;
  noReport: DecisionReason | null;
  boundsActionsList: string;
  boundsEnvironmentsList: string;
  boundsHostsList: string;
  /** `bounds.requests` parsed, or null when the class bounds no requests. */
  boundsRequests: readonly RequestBound[] | null;
  boundsRequestsList: string;
}

/**
 * The facts of the class named `name` in `policy`, built the first time a task of it is decided
 * (the policy index keeps them). Reasons are shared between decisions and frozen, so a caller that
 * edits one gets a TypeError instead of changing the next decision.
 */
function classFacts(policy: LoadedPolicy, name: string, taskClass: TaskClassPolicy): ClassFacts {
  const reason = (rule: string, ceiling: Rung, message: string): DecisionReason =>
    Object.freeze({ rule, ceiling, message });
  return {
    statics: classStatics(policy, name, taskClass),
    actions: taskClass.actions,
    actionsList: taskClass.actions.join(', '),
    capReason: reason(
      'class-cap',
      taskClass.cap,
      `task class "${name}" is capped at rung ${label(taskClass.cap)}`,
    ),
    pinReasons: pinReasonsOf(taskClass.pins),
    noBounds: taskClass.bounds
      ? null
      : reason('no-bounds', 2, `task class "${name}" defines no bounds, so nothing runs unconfirmed`),
    noRollback: taskClass.rollback
      ? null
      : reason('no-rollback', 3, `task class "${name}" defines no rollback health window`),
    noReport: taskClass.report
      ? null
      : reason('no-report', 4, `task class "${name}" defines no report channel and read SLA`),
    boundsActionsList: taskClass.bounds?.actions.join(', ') ?? '',
    boundsEnvironmentsList: taskClass.bounds?.environments.join(', ') ?? '',
    boundsHostsList: taskClass.bounds?.hosts?.join(', ') ?? '',
    boundsRequests: taskClass.bounds?.requests ? parseRequestBounds(taskClass.bounds.requests) : null,
    boundsRequestsList: taskClass.bounds?.requests?.join(', ') ?? '',
  };
}

function checkBounds(
  bounds: Bounds,
  facts: ClassFacts,
  task: DecisionInput,
  usage: Usage,
): readonly BoundViolation[] {
  let violations: BoundViolation[] | undefined;
  const steps = task.steps;
  for (let i = 0; i < steps.length; i++) {
    const action = steps[i].action;
    if (!bounds.actions.includes(action)) {
      (violations ??= []).push({
        bound: 'actions',
        message: `action "${action}" is not in bounds (${facts.boundsActionsList})`,
      });
    }
  }
  if (!bounds.environments.includes(task.environment)) {
    (violations ??= []).push({
      bound: 'environments',
      message: `environment "${task.environment}" is not in bounds (${facts.boundsEnvironmentsList})`,
    });
  }
  if (usage.countToday + 1 > bounds.perDay.count) {
    (violations ??= []).push({
      bound: 'perDay.count',
      message: `${usage.countToday} of ${bounds.perDay.count} autonomous tasks already used today`,
    });
  }
  const cost = chargedCostUsd(steps, bounds.stepCostUsd);
  if (usage.costTodayUsd + cost > bounds.perDay.costUsd) {
    (violations ??= []).push({
      bound: 'perDay.costUsd',
      message: `cost $${round2(cost)}${pricedNote(steps, cost)} on top of $${round2(usage.costTodayUsd)} today exceeds $${round2(bounds.perDay.costUsd)} per day`,
    });
  }
  const hosts = bounds.hosts;
  if (hosts) {
    for (let i = 0; i < steps.length; i++) {
      const host = hostOf(steps[i].params.url);
      if (
        host !== undefined &&
        !hosts.includes(host) &&
        !withDefaultPortListed(steps[i].params.url, host, hosts)
      ) {
        (violations ??= []).push({
          bound: 'hosts',
          message: `host "${host}" is not in bounds (${facts.boundsHostsList})`,
        });
      }
    }
  }
  const allowed = facts.boundsRequests;
  if (allowed) {
    const requests = task.requests;
    if (requests === undefined) {
      (violations ??= []).push({
        bound: 'requests',
        message:
          'the requests its steps send were not named to the decision, so bounds.requests cannot be checked',
      });
    } else {
      for (let i = 0; i < requests.length; i++) {
        const r = requests[i];
        if (!requestAllowed(r, allowed))
          (violations ??= []).push({
            bound: 'requests',
            message: `steps[${r.step}].${r.field}: ${r.method} ${shortUrl(r.url)} is not in bounds (${facts.boundsRequestsList})`,
          });
      }
    }
  }
  return violations ?? NO_VIOLATIONS;
}

/** A URL as a bound violation names it: whole up to 200 characters. */
function shortUrl(url: string): string {
  return url.length <= 200 ? url : `${url.slice(0, 200)}… (+${url.length - 200} characters)`;
}

/** Says so when the policy's step prices, not the agent's declarations, made the charge. */
function pricedNote(steps: DecisionInput['steps'], charged: number): string {
  let declared = 0;
  for (let i = 0; i < steps.length; i++) declared += steps[i].costUsd ?? 0;
  return charged > declared
    ? ` (declared $${round2(declared)}; each step is charged at least its price in bounds.stepCostUsd)`
    : '';
}

/**
 * Whether `hosts` lists `host` with its scheme's default port written out (`example.com:443` for
 * `https://example.com`), as the run's host check (`hostListed`) allows: the decision and the run
 * must agree, or a step the run allows would send its task to a person at every rung.
 */
function withDefaultPortListed(url: unknown, host: string, hosts: readonly string[]): boolean {
  if (typeof url !== 'string' || host.includes(':')) return false;
  let protocol: string;
  try {
    protocol = new URL(url).protocol; // only on a miss: the fast path above stays allocation-free
  } catch {
    return false;
  }
  const port = protocol === 'https:' ? '443' : protocol === 'http:' ? '80' : undefined;
  return port !== undefined && hosts.includes(`${host}:${port}`);
}

/**
 * The `host[:port]` a URL targets, as WHATWG URL's `host` gives it (lower-cased, default port
 * dropped). Plain http(s) URLs take a fast path; anything else (userinfo, IPv6, odd schemes) goes
 * through URL, and an unparseable one yields a marker that matches no bound.
 */
function hostOf(url: unknown): string | undefined {
  if (typeof url !== 'string') return undefined;
  const simple = simpleHost(url);
  if (simple !== null) return simple;
  try {
    return new URL(url).host;
  } catch {
    return `(unparseable url ${JSON.stringify(url)})`;
  }
}

/**
 * The host of `http(s)://host[:port]` followed by `/`, `?`, `#` or nothing (scheme and host in any
 * case, host of ASCII letters, digits, dots and dashes, kept as URL keeps it: see {@link plainHost}),
 * or null for anything else. Scanned by
 * hand: the same answer as `/^(https?):\/\/([a-z0-9.-]+)(?::(\d+))?(?:[/?#]|$)/i`, without the match
 * array a regular expression allocates on every step.
 */
function simpleHost(url: string): string | null {
  const n = url.length;
  // "http" in any case, then an optional "s", then "://".
  if (n < 8 || (url.charCodeAt(0) | 0x20) !== 0x68 || (url.charCodeAt(1) | 0x20) !== 0x74) return null;
  if ((url.charCodeAt(2) | 0x20) !== 0x74 || (url.charCodeAt(3) | 0x20) !== 0x70) return null;
  let i = 4;
  const https = (url.charCodeAt(i) | 0x20) === 0x73;
  if (https) i++;
  if (url.charCodeAt(i) !== 0x3a || url.charCodeAt(i + 1) !== 0x2f || url.charCodeAt(i + 2) !== 0x2f)
    return null;
  i += 3;
  const start = i;
  let upper = false;
  for (; i < n; i++) {
    const c = url.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d) continue;
    if (c >= 0x41 && c <= 0x5a) {
      upper = true;
      continue;
    }
    break;
  }
  if (i === start) return null;
  const host = upper ? url.slice(start, i).toLowerCase() : url.slice(start, i);
  if (!plainHost(host)) return null;
  let port: string | undefined;
  if (i < n && url.charCodeAt(i) === 0x3a) {
    const portStart = ++i;
    while (i < n && url.charCodeAt(i) >= 0x30 && url.charCodeAt(i) <= 0x39) i++;
    if (i === portStart) return null;
    port = url.slice(portStart, i);
  }
  if (i < n) {
    const c = url.charCodeAt(i);
    if (c !== 0x2f && c !== 0x3f && c !== 0x23) return null;
  }
  return port === undefined || port === (https ? '443' : '80') ? host : `${host}:${Number(port)}`;
}

/**
 * Whether URL keeps `host` as written: WHATWG reads a host whose last label is a number (`127.1`,
 * `0x7f.1`, `2130706433`, `0177.0.0.1`) as IPv4 and rewrites it, and drops a trailing dot. Those
 * take the slow path; a canonical dotted quad stays fast.
 */
function plainHost(host: string): boolean {
  if (host.charCodeAt(host.length - 1) === 0x2e) return false;
  const last = host.slice(host.lastIndexOf('.') + 1);
  if (!/^(?:\d+|0x[0-9a-f]*)$/.test(last)) return true;
  return /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(host);
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
  statics: ClassStatics,
  typedConfirmation: boolean | undefined,
  o: Outcome,
): Decision {
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
    typedConfirmation: typedConfirmation
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
  const statics = taskClass ? classStatics(policy, task.taskClass, taskClass) : NO_CLASS;
  return assemble(policy, task, statics, taskClass?.typedConfirmation, {
    effectiveRung: 0,
    earnedRung: 0,
    requestedRung,
    refused: { rule, message },
    reasons: [],
    bounds: { applied: false, violations: NO_VIOLATIONS },
  });
}
