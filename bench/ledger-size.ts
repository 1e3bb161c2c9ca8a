import { agentStateFrom as agentStateOf } from '../policy/agent-state';
// The trust ledger's query sizes after many tasks of one agent (issue 11, item 6): the compact view
// a task's decision reads (target ≤ 16 KB), the whole ledger the `ledger` query answers, and the
// input a continue-as-new carries. The agent's history runs through the real code: decide() picks
// each task's rung, the ledger reducer (policy/ledger-reducer.ts) judges the evidence in batches as
// the trust-ledger workflow does, and people's answers (promotions, audits, defects) arrive later,
// so what the sizes measure is what the workflow would hold. `node dist/bench/ledger-size.js`
// runs it alone; bench/decide.ts runs it as part of `npm run bench`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { controlAuthorityOf } from '../activities/authority-activities';
import { createActionRegistry } from '../activities/actions/registry';
import { classInfrastructure } from '../activities/ledger-activities';
import { decide, type AgentState, type DecisionInput } from '../policy/decide';
import {
  ledgerViewOf,
  newLedger,
  nextAuditExpiryMs,
  type LedgerState,
  type LedgerView,
} from '../policy/ledger';
import {
  applyPromotion,
  declinePromotion,
  reduceLedger,
  type IdentifiedEvent,
  type LedgerContext,
} from '../policy/ledger-reducer';
import { loadPolicyFile, parsePolicy, type LoadedPolicy } from '../policy/loader';
import { own } from '../policy/own';
import { seededRandom, type Random } from '../scripts/chaos/random';
import {
  type ClassCap,
  type ControlAuthority,
  type KillSwitchState,
  type LedgerInput,
} from '../workflows/messages';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Events the trust-ledger workflow judges per activity call (workflows/trust-ledger.ts, BATCH). */
const JUDGE_BATCH = 100;
/** The issue's bound on the view the decision path reads. */
export const VIEW_TARGET_BYTES = 16 * 1024;

/** Where the repository is, from this file's folder (bench/ under ts-jest, dist/bench/ when built). */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples', 'policy.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no Ladder checkout above ${from}`);
  }
}

/** An agent's working life, simulated. */
export interface AgentLifeOptions {
  agentId: string;
  /** Tasks the agent submits, evenly spread over `days`. */
  tasks: number;
  days: number;
  /** Task classes it works in, busiest first (weights 1/1, 1/2, 1/3, …); each must be in the policy. */
  classes: readonly string[];
  /**
   * How long evidence waits for the ledger to judge it, in ms: the trust-ledger workflow judges
   * what arrived while it was busy, up to 100 events per call, and wakes when an audit is due.
   */
  judgeEveryMs: number;
  /** Share of tasks that are wrong: people reject most at rungs 0–2; the rest may surface as defects. */
  errorRate: number;
  /** The policy tasks are decided with when it is not the one the ledger judges with (a canary's next version). */
  decideWith?: LoadedPolicy;
  /** Share of wrong executions someone later reports as a defect (default 0.5). */
  defectsReported?: number;
  /** Share of sampled audits a reviewer answers before they expire; the rest expire. */
  auditsAnswered: number;
  /** Share of promotion proposals a person approves (the rest are declined). */
  promotionsApproved: number;
  /** After this many tasks the agent runs a new model version (an environment change demotes it). */
  modelChangeAt?: number;
  /** Tasks between incidents people declare (none when undefined). */
  incidentEvery?: number;
  /** Checkpoints (task counts) at which `onCheckpoint` sees the state. */
  checkpoints?: readonly number[];
  onCheckpoint?: (tasks: number, state: LedgerState) => void;
  startMs: number;
  seed: number;
}

/** Counts of what happened, so a reader sees the history was not trivial. */
export interface AgentLifeCounts {
  tasks: number;
  events: number;
  judgeCalls: number;
  byRung: number[];
  fellBack: number;
  auditsRequested: number;
  auditsAnswered: number;
  auditsExpired: number;
  proposals: number;
  promotions: number;
  declined: number;
  demotions: number;
  defects: number;
  incidents: number;
  classRollbacks: number;
}

/** The ledger at the end of an agent's life, and the class caps its rollback triggers set. */
export interface AgentLife {
  state: LedgerState;
  /** The model the agent runs at the end (changed when `modelChangeAt` was set). */
  model: string;
  /** Class caps as the kill switch keeps them after the ledger's `class-rollback` effects (lowest wins). */
  classCaps: Record<string, ClassCap & { at: string }>;
  counts: AgentLifeCounts;
}

/**
 * The {@link AgentState} `decideTask` builds for an agent (activities/task-activities.ts,
 * `agentStateOf`, with a ledger link): the policy's declared rungs overlaid with the ledger view's,
 * every class capped at the policy's environment-change rung when the task runs another model or
 * prompt than the ledger knows, and the kill switch's freeze and class caps. Pure.
 */
export function agentStateFrom(
  policy: LoadedPolicy,
  agentId: string,
  view: LedgerView | null,
  killSwitch: KillSwitchState | null,
  running?: { model: string; promptVersion: string },
): AgentState {
  // With a ledger (even an empty one) there is always a state: the worker's own function.
  return agentStateOf(policy, agentId, view, killSwitch, running)!;
}

/** A task id as agents send them (a UUID), from the seeded source so runs repeat. */
function uuid(random: Random): string {
  const hex = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(random.next() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
}

/** Something people do later: a promotion answered, an audit reviewed, a defect found, a report read. */
type Later =
  | { at: number; kind: 'event'; event: IdentifiedEvent }
  | { at: number; kind: 'audit-verdict'; auditId: string; event: IdentifiedEvent }
  | { at: number; kind: 'proposal'; proposalId: string; approve: boolean; by: string };

/**
 * Runs an agent's tasks through decide() and its evidence through the real ledger reducer, as the
 * task and trust-ledger workflows would: each task is decided with the agent state built from the
 * ledger view so far (so a promotion or demotion changes later tasks), its outcomes reach the ledger
 * in batches, audits are opened as the policy samples them and answered or left to expire, proposals
 * are approved or declined by a person after a while, defects surface days later. Deterministic for
 * a seed. Pure apart from `onCheckpoint`.
 *
 * @param policy - the policy the tasks are decided and judged with.
 * @param killSwitch - freezes in force while the agent works (class caps found here are added to).
 */
export function simulateAgentLife(
  policy: LoadedPolicy,
  options: AgentLifeOptions,
  killSwitch: KillSwitchState = { all: null, agents: {}, classes: {} },
): AgentLife {
  const { agentId } = options;
  const declaredAgent = own(policy.agents, agentId);
  if (!declaredAgent)
    throw new Error(`simulateAgentLife: agent "${agentId}" is not in policy ${policy.versionId}`);
  for (const p of [policy, options.decideWith ?? policy])
    for (const c of options.classes)
      if (!own(p.taskClasses, c))
        throw new Error(`simulateAgentLife: task class "${c}" is not in policy ${p.versionId}`);
  const random = seededRandom(options.seed);
  const registry = createActionRegistry();
  const context = (nowMs: number): LedgerContext => ({
    policy,
    infrastructure: (taskClass) => classInfrastructure(policy, registry, taskClass),
    nowMs,
  });
  const weights = options.classes.map((_, i) => 1 / (i + 1));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const pickClass = (): string => {
    let r = random.next() * totalWeight;
    for (let i = 0; i < weights.length; i++) if ((r -= weights[i]) < 0) return options.classes[i];
    return options.classes[options.classes.length - 1];
  };
  let state = newLedger(agentId);
  const classCaps: Record<string, ClassCap & { at: string }> = { ...(killSwitch.classes ?? {}) };
  const counts: AgentLifeCounts = {
    tasks: 0,
    events: 0,
    judgeCalls: 0,
    byRung: [0, 0, 0, 0, 0, 0],
    fellBack: 0,
    auditsRequested: 0,
    auditsAnswered: 0,
    auditsExpired: 0,
    proposals: 0,
    promotions: 0,
    declined: 0,
    demotions: 0,
    defects: 0,
    incidents: 0,
    classRollbacks: 0,
  };
  const queue: IdentifiedEvent[] = [];
  let later: Later[] = [];
  const wrongTasks = new Set<string>();
  const drilled = new Set<string>();
  let lastJudgedAt = options.startMs;
  let ref = 0;
  const messageRef = (): string => `C0BENCH01/${(1_700_000_000 + ++ref).toFixed(6)}`;
  const usage = new Map<string, { countToday: number; costTodayUsd: number }>();

  const push = (event: IdentifiedEvent): void => {
    queue.push(event);
    counts.events++;
  };

  /** One wake-up of the ledger workflow: proposal answers first, then the evidence in batches. */
  const judge = (nowMs: number): void => {
    lastJudgedAt = nowMs;
    const due = later.filter((l) => l.at <= nowMs && l.kind === 'proposal');
    later = later.filter((l) => !(l.at <= nowMs && l.kind === 'proposal'));
    for (const d of due) {
      if (d.kind !== 'proposal') continue;
      if (d.approve) {
        const applied = applyPromotion(state, d.proposalId, d.by, nowMs);
        if (applied.ok) {
          state = applied.state;
          counts.promotions++;
        }
      } else if (state.proposals.some((p) => p.id === d.proposalId && p.status === 'open')) {
        state = declinePromotion(state, d.proposalId, d.by, nowMs);
        counts.declined++;
      }
    }
    const expiry = nextAuditExpiryMs(state);
    if (queue.length === 0 && (expiry === undefined || expiry > nowMs)) return;
    do {
      const judged = reduceLedger(state, queue.splice(0, JUDGE_BATCH), context(nowMs));
      counts.judgeCalls++;
      state = judged.state;
      for (const effect of judged.effects) {
        switch (effect.kind) {
          case 'audit-requested': {
            counts.auditsRequested++;
            const stored = state.audits?.find((a) => a.id === effect.audit.id);
            if (stored) stored.messageRef = messageRef();
            if (random.chance(options.auditsAnswered)) {
              const { workflowId, taskClass } = effect.audit;
              const agree = !wrongTasks.has(workflowId);
              const reviewer = random.pick(effect.audit.reviewers);
              later.push({
                at: nowMs + random.next() * 0.8 * (policy.audit.expireAfter ?? 7 * DAY),
                kind: 'audit-verdict',
                auditId: effect.audit.id,
                event: {
                  id: `audit/${workflowId}`,
                  event: {
                    kind: 'audit',
                    workflowId,
                    taskClass,
                    by: reviewer,
                    agree,
                    ...(agree ? {} : { reason: 'the change broke the staging health check' }),
                  },
                },
              });
            }
            break;
          }
          case 'audit-expired':
            counts.auditsExpired++;
            break;
          case 'proposed': {
            counts.proposals++;
            const stored = state.proposals.find((p) => p.id === effect.proposal.id);
            if (stored) stored.messageRef = messageRef();
            later.push({
              at: nowMs + HOUR + random.next() * 2 * DAY,
              kind: 'proposal',
              proposalId: effect.proposal.id,
              approve: random.chance(options.promotionsApproved),
              by: random.pick(effect.proposal.approvers),
            });
            break;
          }
          case 'demoted':
            counts.demotions++;
            break;
          case 'class-rollback': {
            counts.classRollbacks++;
            const current = classCaps[effect.taskClass];
            if (!current || effect.cap < current.cap)
              classCaps[effect.taskClass] = {
                taskClass: effect.taskClass,
                cap: effect.cap,
                by: `ledger:${agentId}`,
                reason: effect.cause,
                at: new Date(nowMs).toISOString(),
              };
            break;
          }
        }
      }
    } while (queue.length > 0);
  };

  /** People's answers that are due: into the queue, as the workflow's updates would put them. */
  const deliver = (nowMs: number): void => {
    const due = later.filter((l) => l.at <= nowMs && l.kind !== 'proposal');
    if (due.length === 0) return;
    later = later.filter((l) => !(l.at <= nowMs && l.kind !== 'proposal'));
    for (const d of due) {
      if (d.kind === 'audit-verdict') {
        // The update's validator refuses a verdict on an audit that is no longer open.
        if (!state.audits?.some((a) => a.id === d.auditId && a.status === 'open')) continue;
        counts.auditsAnswered++;
      }
      if (d.kind !== 'proposal') push(d.event);
    }
  };

  let model = declaredAgent.model;
  const promptVersion = declaredAgent.promptVersion;
  const interval = (options.days * DAY) / options.tasks;
  const checkpoints = new Set(options.checkpoints ?? []);
  for (let i = 0; i < options.tasks; i++) {
    const nowMs = options.startMs + Math.floor(i * interval);
    deliver(nowMs);
    const auditDue = (nextAuditExpiryMs(state) ?? Infinity) <= nowMs;
    if (queue.length >= JUDGE_BATCH || auditDue || nowMs - lastJudgedAt >= options.judgeEveryMs) judge(nowMs);
    if (options.modelChangeAt !== undefined && i === options.modelChangeAt) model = `${model}-next`;

    const view = ledgerViewOf(state);
    // decideTask reports a model or prompt the ledger does not know yet (the same id from every task that saw the same view).
    if (view.model !== model || view.promptVersion !== promptVersion)
      push({
        id: `version/${view.model ?? '-'}/${view.promptVersion ?? '-'}->${model}/${promptVersion}/${view.changes}`,
        event: { kind: 'version', model, promptVersion },
      });
    const taskClass = pickClass();
    const decidePolicy = options.decideWith ?? policy;
    const cls = decidePolicy.taskClasses[taskClass];
    const day = Math.floor(nowMs / DAY);
    const usageKey = `${day}/${taskClass}`;
    const today = usage.get(usageKey) ?? { countToday: 0, costTodayUsd: 0 };
    usage.set(usageKey, today);
    const task = taskOf(random, agentId, model, promptVersion, taskClass, cls);
    const decision = decide(
      decidePolicy,
      agentStateFrom(
        decidePolicy,
        agentId,
        view,
        { ...killSwitch, classes: classCaps },
        {
          model,
          promptVersion,
        },
      ),
      task,
      today,
    );
    counts.tasks++;
    const workflowId = `task/${agentId}/${uuid(random)}`;
    const rung = decision.refused ? 0 : decision.effectiveRung;
    counts.byRung[rung]++;
    const outcome = (kind: string, at = nowMs): void => {
      const event: IdentifiedEvent = {
        id: `${workflowId}/${kind}`,
        event: { kind: 'outcome', outcome: kind as never, workflowId, taskClass, rung },
      };
      if (at === nowMs) push(event);
      else later.push({ at, kind: 'event', event });
    };
    const wrong = random.chance(options.errorRate);
    let executedWrong = false;
    if (decision.refused) outcome('refused');
    else if (rung === 0) outcome(wrong ? 'suggestion-dismissed' : 'suggestion-done');
    else if (rung === 1 && wrong && random.chance(0.8)) outcome('draft-rejected');
    else if (rung === 1) {
      outcome('draft-accepted');
      outcome('executed');
      executedWrong = wrong;
    } else if (rung === 2) {
      if (decision.reasons.some((r) => r.rule === 'bounds')) {
        outcome('fell-back');
        counts.fellBack++;
      }
      if (wrong && random.chance(0.8)) outcome('rejected');
      else if (random.chance(0.02)) outcome('expired');
      else {
        outcome('approved');
        outcome('executed');
        executedWrong = wrong;
      }
    } else {
      today.countToday++;
      today.costTodayUsd += task.steps.reduce((s, step) => s + (step.costUsd ?? 0), 0);
      if (rung >= 4 && wrong && random.chance(0.5))
        outcome(random.chance(0.02) ? 'rollback-failed' : 'rolled-back');
      else if (random.chance(0.01)) outcome('failed');
      else {
        outcome('executed');
        executedWrong = wrong;
        if (rung === 5) {
          const readSla = cls.report?.readSla ?? 4 * HOUR;
          if (random.chance(0.005)) outcome('sla-breach', nowMs + readSla);
          else outcome('report-read', nowMs + random.next() * readSla);
        }
      }
    }
    if (executedWrong) {
      wrongTasks.add(workflowId);
      if (random.chance(options.defectsReported ?? 0.5)) {
        counts.defects++;
        later.push({
          at: nowMs + DAY + random.next() * 4 * DAY,
          kind: 'event',
          event: {
            id: `defect/${workflowId}`,
            event: {
              kind: 'defect',
              workflowId,
              taskClass,
              by: declaredAgent.owner,
              text: 'the change it made had to be reverted by hand',
            },
          },
        });
      }
    }
    if (options.incidentEvery !== undefined && i > 0 && i % options.incidentEvery === 0) {
      counts.incidents++;
      push({
        id: `incident/${agentId}/${i}`,
        event: {
          kind: 'incident',
          taskClass,
          by: policy.admins[0],
          text: 'customer-facing outage after a change',
        },
      });
    }
    // A rollback drill once the agent reaches rung 3 in a class that can roll back (rung 4 needs one passed).
    if (view.rungs[taskClass] === 3 && cls.rollback && !drilled.has(taskClass)) {
      drilled.add(taskClass);
      push({
        id: `drill/${agentId}/${taskClass}/${i}`,
        event: {
          kind: 'drill',
          taskClass,
          by: policy.admins[0],
          passed: true,
          detail: cls.actions.map((a) => `${a}: passed`).join('; '),
        },
      });
    }
    if (checkpoints.has(i + 1)) {
      judge(nowMs);
      options.onCheckpoint?.(i + 1, state);
    }
  }
  judge(options.startMs + options.days * DAY);
  return { state, model, classCaps, counts };
}

/** A task of the class as an agent would send it: mostly inside the class's bounds, sometimes not. */
function taskOf(
  random: Random,
  agentId: string,
  model: string,
  promptVersion: string,
  taskClass: string,
  cls: LoadedPolicy['taskClasses'][string],
): DecisionInput {
  const bounds = cls.bounds;
  const inBounds = random.chance(0.85);
  const action =
    bounds && inBounds
      ? random.pick(bounds.actions.filter((a) => cls.actions.includes(a)))
      : random.pick(cls.actions);
  const environment =
    bounds && inBounds ? random.pick(bounds.environments) : random.pick(['dev', 'staging', 'production']);
  const host = bounds?.hosts?.[0] ?? 'api.internal';
  const url = `http://${host}/deploys`;
  return {
    agent: { id: agentId, model, promptVersion },
    taskClass,
    environment,
    title: `${action} in ${environment}`,
    // What the worker names for bounds.requests: the one request an http.request step sends.
    requests: action === 'http.request' ? [{ step: 0, field: 'params.url', method: 'POST', url }] : [],
    steps: [
      {
        action,
        params: action === 'http.request' ? { url, method: 'POST' } : { key: 'flag', value: 'on' },
        costUsd: bounds ? (bounds.perDay.costUsd / Math.max(1, bounds.perDay.count)) * random.next() : 0,
      },
    ],
  };
}

/** JSON byte sizes of what the trust ledger answers and carries. */
export interface LedgerSizes {
  /** `ledgerView` query: what every task's decision reads. */
  viewBytes: number;
  /** `ledger` query: the whole state (people, the CLI). */
  ledgerBytes: number;
  /** The whole state by top-level field, largest first. */
  ledgerByField: Record<string, number>;
  /** The input of the next run at continue-as-new (state, authority, nothing pending). */
  continueAsNewBytes: number;
  /** What the state holds that is bounded by a count, with the count. */
  held: {
    seen: number;
    history: number;
    proposals: number;
    audits: number;
    openAudits: number;
    classes: number;
  };
}

const bytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

/**
 * The input `trustLedger` passes to continue-as-new (workflows/trust-ledger.ts builds it inline:
 * `{ ...input, state, pending, authority }`); here with nothing pending. Pure.
 */
export function continueAsNewInput(
  agentId: string,
  state: LedgerState,
  authority: ControlAuthority,
  uiBaseUrl?: string,
): LedgerInput {
  return { agentId, ...(uiBaseUrl ? { uiBaseUrl } : {}), state, pending: [], authority };
}

/** JSON sizes of the view, the whole ledger (by field) and the continue-as-new input of a state. Pure. */
export function ledgerSizes(state: LedgerState, policy: LoadedPolicy): LedgerSizes {
  const byField = Object.fromEntries(
    Object.entries(state)
      .map(([k, v]) => [k, bytes(v)] as const)
      .sort((a, b) => b[1] - a[1]),
  );
  return {
    viewBytes: bytes(ledgerViewOf(state)),
    ledgerBytes: bytes(state),
    ledgerByField: byField,
    continueAsNewBytes: bytes(
      continueAsNewInput(state.agentId, state, controlAuthorityOf(policy), 'http://localhost:8233'),
    ),
    held: {
      seen: state.seen.length,
      history: state.history.length,
      proposals: state.proposals.length,
      audits: state.audits?.length ?? 0,
      openAudits: (state.audits ?? []).filter((a) => a.status === 'open').length,
      classes: Object.keys(state.classes).length,
    },
  };
}

/** The example policy (examples/policy.yaml), with its answer keys when the local stack made them. */
export function examplePolicy(root = projectRoot()): LoadedPolicy {
  const path = join(root, 'examples', 'policy.yaml');
  if (existsSync(join(root, '.temporal', 'keys', 'answer-keys.json'))) return loadPolicyFile(path).policy;
  const result = parsePolicy(readFileSync(path, 'utf8'), path, { readKeysFile: false });
  if (!result.ok)
    throw new Error(`examples/policy.yaml is invalid: ${JSON.stringify(result.errors.slice(0, 3))}`);
  return result.policy;
}

/** One way 10,000 tasks can reach a ledger. */
export interface LedgerSizeScenario {
  name: string;
  tasks: number;
  days: number;
  judgeEveryMs: number;
}

/** The bench's scenarios: a working life over months (audits expire), and one burst (none can). */
export const LEDGER_SIZE_SCENARIOS: readonly LedgerSizeScenario[] = [
  { name: '10,000 tasks over 120 days', tasks: 10_000, days: 120, judgeEveryMs: HOUR },
  { name: '10,000 tasks in one hour', tasks: 10_000, days: 1 / 24, judgeEveryMs: 2_000 },
];

/** Sizes at one point of the agent's life. */
export interface SizeCheckpoint {
  tasks: number;
  viewBytes: number;
  ledgerBytes: number;
  continueAsNewBytes: number;
}

export interface LedgerSizeResult {
  scenario: string;
  agentId: string;
  classes: readonly string[];
  policyVersion: string;
  audit: LoadedPolicy['audit'];
  counts: AgentLifeCounts;
  sizes: LedgerSizes;
  /** The same sizes after fewer tasks: flat figures show nothing grows with the task count. */
  checkpoints: SizeCheckpoint[];
  viewTargetBytes: number;
  viewMet: boolean;
  seconds: number;
}

/** The example policy's busiest agent and the classes it works in. */
const AGENT = 'ops-agent';
const CLASSES = ['config-change', 'deploy', 'db-migration'] as const;

/**
 * Runs one scenario: {@link simulateAgentLife} for the example policy's `ops-agent` in three
 * classes (0.3% of tasks wrong, 30% of audits answered, a model change at 60% of the tasks, an
 * incident every 4,000 tasks), and the sizes of its ledger at checkpoints and at the end.
 */
export function measureLedgerSize(policy: LoadedPolicy, scenario: LedgerSizeScenario): LedgerSizeResult {
  const started = process.hrtime.bigint();
  const checkpoints: SizeCheckpoint[] = [];
  const at = [1_000, 2_500, 5_000].filter((n) => n < scenario.tasks);
  const life = simulateAgentLife(policy, {
    agentId: AGENT,
    classes: CLASSES,
    tasks: scenario.tasks,
    days: scenario.days,
    judgeEveryMs: scenario.judgeEveryMs,
    errorRate: 0.003,
    auditsAnswered: 0.3,
    promotionsApproved: 0.85,
    modelChangeAt: Math.floor(scenario.tasks * 0.6),
    incidentEvery: 4_000,
    checkpoints: at,
    onCheckpoint: (tasks, state) => {
      const s = ledgerSizes(state, policy);
      checkpoints.push({
        tasks,
        viewBytes: s.viewBytes,
        ledgerBytes: s.ledgerBytes,
        continueAsNewBytes: s.continueAsNewBytes,
      });
    },
    startMs: Date.UTC(2026, 0, 5),
    seed: 11,
  });
  const sizes = ledgerSizes(life.state, policy);
  checkpoints.push({
    tasks: scenario.tasks,
    viewBytes: sizes.viewBytes,
    ledgerBytes: sizes.ledgerBytes,
    continueAsNewBytes: sizes.continueAsNewBytes,
  });
  return {
    scenario: scenario.name,
    agentId: AGENT,
    classes: CLASSES,
    policyVersion: policy.versionId,
    audit: policy.audit,
    counts: life.counts,
    sizes,
    checkpoints,
    viewTargetBytes: VIEW_TARGET_BYTES,
    viewMet: sizes.viewBytes <= VIEW_TARGET_BYTES,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/** Every scenario on the example policy. */
export function runLedgerSizeBench(policy: LoadedPolicy = examplePolicy()): LedgerSizeResult[] {
  return LEDGER_SIZE_SCENARIOS.map((s) => measureLedgerSize(policy, s));
}

const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The results as markdown: one table of sizes, then what the ledger holds and what happened. Pure. */
export function ledgerSizeMarkdown(results: readonly LedgerSizeResult[]): string {
  if (results.length === 0) return '';
  const first = results[0];
  const lines = [
    `Trust ledger of \`${first.agentId}\` (${first.classes.join(', ')}) on policy ${first.policyVersion}; audits: sample ${first.audit.sampleRate}, expire after ${n(first.audit.expireAfter / DAY)} d, unanswered ${first.audit.unanswered}, at most ${first.audit.maxOpen} open. JSON bytes:`,
    '',
    '| scenario | `ledgerView` (decision path) | target | result | `ledger` query (whole state) | continue-as-new input | view / ledger after ' +
      first.checkpoints
        .slice(0, -1)
        .map((c) => n(c.tasks))
        .join(' / ') +
      ' tasks |',
    '|---|---:|---:|---|---:|---:|---|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.scenario} | ${n(r.sizes.viewBytes)} | ≤ ${n(r.viewTargetBytes)} | ${r.viewMet ? 'met' : 'MISSED'} | ${n(r.sizes.ledgerBytes)} | ${n(r.sizes.continueAsNewBytes)} | ${r.checkpoints
        .slice(0, -1)
        .map((c) => `${n(c.viewBytes)} / ${n(c.ledgerBytes)}`)
        .join(' · ')} |`,
    );
  }
  lines.push(
    '',
    '| scenario | whole state by field (bytes) | held | history of the run |',
    '|---|---|---|---|',
  );
  for (const r of results) {
    const fields = Object.entries(r.sizes.ledgerByField)
      .filter(([, b]) => b > 8)
      .map(([k, b]) => `${k} ${n(b)}`)
      .join(', ');
    const h = r.sizes.held;
    const c = r.counts;
    lines.push(
      `| ${r.scenario} | ${fields} | ${h.seen} seen ids, ${h.history} rung changes, ${h.proposals} proposals, ${h.audits} audits (${h.openAudits} open), ${h.classes} classes | ${n(c.events)} events in ${n(c.judgeCalls)} judge calls; rungs 0–5: ${c.byRung.join('/')}; ${c.fellBack} fell back; audits ${c.auditsRequested} opened, ${c.auditsAnswered} answered, ${c.auditsExpired} expired; ${c.proposals} proposals (${c.promotions} approved, ${c.declined} declined); ${c.demotions} demotions; ${c.defects} defects, ${c.incidents} incidents, ${c.classRollbacks} class rollbacks |`,
    );
  }
  return lines.join('\n');
}

/** `node dist/bench/ledger-size.js`: the sizes alone, printed (bench:decide also writes them to JSON). */
function main(): number {
  const results = runLedgerSizeBench();
  console.log(`## bench:ledger-size — ${new Date().toISOString()}\n`);
  console.log(ledgerSizeMarkdown(results));
  return results.every((r) => r.viewMet) ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
