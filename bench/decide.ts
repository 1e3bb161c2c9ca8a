import { mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { canaryAgents } from '../policy/canary';
import { decide, type AgentState, type DecisionInput, type Usage } from '../policy/decide';
import { ledgerViewOf } from '../policy/ledger';
import { parsePolicy, type LoadedPolicy } from '../policy/loader';
import type { KillSwitchState } from '../workflows/messages';
import { percentile } from './latency-stats';
import {
  agentStateFrom,
  ledgerSizeMarkdown,
  projectRoot,
  runLedgerSizeBench,
  simulateAgentLife,
  type LedgerSizeResult,
} from './ledger-size';
import { writeJson } from './tasks/write-json';

// `npm run bench:decide [-- --quick]`: decisions per second and per-call latency of decide() on a
// realistic policy (24 task classes, 120 agents), in two cases:
//  - no agent state: the policy's declared rungs (targets ≥ 200,000 decisions/s, p99 ≤ 20 µs);
//  - real agent state, as decideTask builds it: earned rungs from each agent's trust ledger after a
//    few thousand tasks run through the real ledger code (promotions, demotions, audits), freezes
//    and class caps from the kill switch, the canary's next policy for agents in the canary, and
//    today's usage near the daily bounds (targets ≥ 2,000,000 decisions/s, p99 ≤ 5 µs, issue 11).
// Then the trust ledger's query sizes after 10,000 tasks of one agent (bench/ledger-size.ts).
// Exit 0 when every target is met, 1 when one is missed, 2 when the run fails.

const CLASSES = 24;
const AGENTS = 120;
// The built-in actions only: a policy naming another is refused (tasks may still name one: refused by decide).
const ACTIONS = ['config.set', 'http.request', 'shell.exec', 'file.write'];
const ENVS = ['dev', 'staging', 'production'];
const DAY = 86_400_000;

/** Small deterministic PRNG (mulberry32) so every run measures the same inputs. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type PolicyDocument = Record<string, unknown> & {
  taskClasses: Record<string, { cap: number; bounds: { perDay: { count: number; costUsd: number } } }>;
};

function realisticPolicyDocument(random: () => number): PolicyDocument {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const step = {
    minCleanPeriod: '14d',
    minSamples: 40,
    minApprovalRate: 0.95,
    maxInterventionRate: 0.05,
    maxDefectEscapeRate: 0.02,
    maxAuditDisagreement: 0.05,
    costOfMistakeUsd: 200,
    minutesPerApproval: 5,
    costPerMinuteUsd: 2,
  };
  const taskClasses: PolicyDocument['taskClasses'] = {};
  for (let i = 0; i < CLASSES; i++) {
    const actions = ACTIONS.filter(() => random() < 0.6);
    if (actions.length === 0) actions.push('config.set');
    taskClasses[`class-${i}`] = {
      cap: 2 + Math.floor(random() * 4),
      actions,
      channel: '#ops',
      approvers: { users: ['U0APPR001', 'U0APPR002'], groups: ['sre'] },
      twoPersonRule: random() < 0.3,
      bounds: {
        actions: actions.slice(0, Math.max(1, actions.length - 1)),
        environments: ['dev', 'staging'],
        perDay: { count: 50, costUsd: 100 },
        hosts: ['deploy.internal:8080', 'api.internal'],
      },
      pins: [
        {
          id: 'prod',
          maxRung: 2,
          when: { environments: ['production'], actions: [pick(actions)] },
          reason: 'production',
        },
      ],
      approval: { remindAfter: '30m', expireAfter: '4h' },
      rollback: { healthWindow: '2m', healthInterval: '10s' },
      report: { mode: 'each', readSla: '4h', channel: '#ops' },
      escalation: [
        { after: '4h', notify: 'owner' },
        { after: '6h', notify: 'channel' },
      ],
    } as PolicyDocument['taskClasses'][string];
  }
  const agents: Record<string, unknown> = {};
  for (let i = 0; i < AGENTS; i++) {
    const rungs: Record<string, number> = {};
    for (let c = 0; c < CLASSES; c++) if (random() < 0.7) rungs[`class-${c}`] = Math.floor(random() * 6);
    agents[`agent-${i}`] = { owner: 'U0OWNER01', model: 'model-a', promptVersion: 'v1', rungs };
  }
  return {
    version: 'bench',
    admins: ['U0ADMIN01'],
    groups: { sre: ['U0SRE0001', 'U0SRE0002', 'U0SRE0003'] },
    pins: [
      {
        id: 'prod-shell',
        maxRung: 2,
        when: { actions: ['shell.exec'], environments: ['production'] },
        reason: 'shell',
      },
    ],
    taskClasses,
    agents,
    promotion: { to1: step, to2: step, to3: step, to4: step, to5: step },
    audit: { sampleRate: 0.1, expireAfter: '7d', unanswered: 'not-counted', maxOpen: 50 },
  };
}

function policyOf(doc: PolicyDocument, source: string): LoadedPolicy {
  const result = parsePolicy(stringify(doc), source);
  if (!result.ok) throw new Error(`bench policy invalid: ${JSON.stringify(result.errors.slice(0, 3))}`);
  return result.policy;
}

/**
 * The policy in force, declaring a canary of its next version for a quarter of the agents, and that
 * next version: every third class capped one rung lower (not below 2), 30 autonomous tasks a day
 * instead of 50. Pure.
 */
function policiesWithCanary(doc: PolicyDocument): { current: LoadedPolicy; next: LoadedPolicy } {
  const current = policyOf(
    { ...doc, canary: { policy: 'bench-next.yaml', share: 0.25, window: '7d' } },
    'bench',
  );
  const nextClasses = Object.fromEntries(
    Object.entries(doc.taskClasses).map(([name, cls], i) => [
      name,
      {
        ...cls,
        cap: i % 3 === 0 ? Math.max(2, cls.cap - 1) : cls.cap,
        bounds: { ...cls.bounds, perDay: { ...cls.bounds.perDay, count: 30 } },
      },
    ]),
  );
  const next = policyOf({ ...doc, version: 'bench-next', taskClasses: nextClasses }, 'bench-next.yaml');
  return { current, next };
}

function realisticTasks(
  policy: LoadedPolicy,
  random: () => number,
  count: number,
): { task: DecisionInput; usage: Usage }[] {
  const classNames = Object.keys(policy.taskClasses);
  const out: { task: DecisionInput; usage: Usage }[] = [];
  for (let i = 0; i < count; i++) {
    const taskClass = classNames[Math.floor(random() * classNames.length)];
    out.push({
      task: taskIn(policy, random, () => `agent-${Math.floor(random() * AGENTS)}`, 'model-a', taskClass),
      usage: { countToday: Math.floor(random() * 60), costTodayUsd: random() * 120 },
    });
  }
  return out;
}

function taskIn(
  policy: LoadedPolicy,
  random: () => number,
  /** Called after the steps are drawn (the order the draws had before agent state was measured). */
  agentId: () => string,
  model: string,
  taskClass: string,
): DecisionInput {
  const actions = policy.taskClasses[taskClass].actions;
  const steps = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
    action: actions[Math.floor(random() * actions.length)],
    params: { url: random() < 0.5 ? 'http://deploy.internal:8080/x' : undefined, key: 'v' } as Record<
      string,
      unknown
    >,
    costUsd: random() * 2,
  }));
  return {
    agent: { id: agentId(), model, promptVersion: 'v1' },
    taskClass,
    environment: ENVS[Math.floor(random() * ENVS.length)],
    title: 'bench task',
    steps,
    requestedRung: random() < 0.05 ? { rung: 2, reason: 'unsure' } : undefined,
  };
}

/** One call of decide(), with everything decideTask would pass it. */
export interface DecideCase {
  policy: LoadedPolicy;
  state: AgentState | null;
  task: DecisionInput;
  usage: Usage;
}

/** The agents' state at the end of their simulated working lives, and how it came about. */
export interface AgentStates {
  /** Per agent: the policy its tasks are decided with (the canary's next version or the current one). */
  policyOf: Record<string, LoadedPolicy>;
  /** Per agent: what decideTask passes to decide() (ledger view + kill switch). */
  states: Record<string, AgentState>;
  /** Per agent: its working classes, busiest first, and the model it runs now. */
  classesOf: Record<string, string[]>;
  modelOf: Record<string, string>;
  killSwitch: KillSwitchState;
  canary: string[];
  summary: {
    tasksPerAgent: number;
    events: number;
    judgeCalls: number;
    promotions: number;
    demotions: number;
    auditsExpired: number;
    classRollbacks: number;
    /** Agent × class ledgers at each rung (0..5). */
    ledgerRungs: number[];
    /** Agent × class ledgers whose rung is not the policy's declared one. */
    movedFromDeclared: number;
    setupSeconds: number;
  };
}

/** Agents the admins froze at run time (a kill switch on one agent), a few of the 120. */
const FROZEN = ['agent-7', 'agent-42', 'agent-77', 'agent-101'];
/**
 * Agents whose mistakes (30% of tasks) nobody reports as defects but every audit catches: their
 * audit disagreement fires the class rollback trigger, which caps the class for every agent.
 */
const CAUGHT_BY_AUDITS = ['agent-11', 'agent-51', 'agent-91'];

/**
 * Every agent's state as decideTask would read it after `tasksPerAgent` tasks each: the agent
 * works in its declared classes over 90 days through {@link simulateAgentLife} (the real ledger
 * reducer and decide()); some agents err more than others, one in ten changes model late, three
 * err often and are caught only by audits; class rollback triggers of any agent cap the class for
 * all (the kill switch keeps the lowest cap); four agents are frozen by an admin. Deterministic.
 */
export function buildAgentStates(
  current: LoadedPolicy,
  next: LoadedPolicy,
  tasksPerAgent: number,
): AgentStates {
  const started = process.hrtime.bigint();
  const random = rng(7);
  const at = new Date(Date.UTC(2026, 0, 1)).toISOString();
  const killSwitch: KillSwitchState = {
    all: null,
    agents: Object.fromEntries(
      FROZEN.map((agentId) => [
        agentId,
        { agentId, cap: 1, by: 'U0ADMIN01', reason: 'investigating a bad change', at },
      ]),
    ),
    classes: {},
  };
  const canary = canaryAgents(current);
  const out: AgentStates = {
    policyOf: {},
    states: {},
    classesOf: {},
    modelOf: {},
    killSwitch,
    canary,
    summary: {
      tasksPerAgent,
      events: 0,
      judgeCalls: 0,
      promotions: 0,
      demotions: 0,
      auditsExpired: 0,
      classRollbacks: 0,
      ledgerRungs: [0, 0, 0, 0, 0, 0],
      movedFromDeclared: 0,
      setupSeconds: 0,
    },
  };
  const lives = Object.keys(current.agents).map((agentId, i) => {
    const declared = Object.keys(current.agents[agentId].rungs);
    const classes = declared
      .map((c) => ({ c, key: random() }))
      .sort((a, b) => a.key - b.key)
      .map((x) => x.c);
    if (classes.length === 0) classes.push('class-0');
    const policy = canary.includes(agentId) ? next : current;
    const life = simulateAgentLife(
      current,
      {
        agentId,
        classes,
        tasks: tasksPerAgent,
        days: 90,
        judgeEveryMs: DAY,
        errorRate: [0.001, 0.003, 0.01, 0.03][i % 4],
        auditsAnswered: 0.3,
        ...(CAUGHT_BY_AUDITS.includes(agentId)
          ? { errorRate: 0.3, defectsReported: 0, auditsAnswered: 1 }
          : {}),
        promotionsApproved: 0.85,
        ...(i % 10 === 3 ? { modelChangeAt: Math.floor(tasksPerAgent * 0.8) } : {}),
        startMs: Date.UTC(2026, 0, 5),
        seed: 1000 + i,
        ...(policy === next ? { decideWith: next } : {}),
      },
      killSwitch,
    );
    killSwitch.classes = life.classCaps;
    out.policyOf[agentId] = policy;
    out.classesOf[agentId] = classes;
    out.modelOf[agentId] = life.model;
    const s = out.summary;
    s.events += life.counts.events;
    s.judgeCalls += life.counts.judgeCalls;
    s.promotions += life.counts.promotions;
    s.demotions += life.counts.demotions;
    s.auditsExpired += life.counts.auditsExpired;
    s.classRollbacks += life.counts.classRollbacks;
    for (const [c, l] of Object.entries(life.state.classes)) {
      s.ledgerRungs[l.rung]++;
      if (l.rung !== current.agents[agentId].rungs[c]) s.movedFromDeclared++;
    }
    return { agentId, life, policy };
  });
  // The kill switch as every task reads it now: the freezes and every class cap any ledger set.
  for (const { agentId, life, policy } of lives) {
    out.states[agentId] = agentStateFrom(policy, agentId, ledgerViewOf(life.state), killSwitch, {
      model: life.model,
      promptVersion: 'v1',
    });
  }
  out.summary.setupSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  return out;
}

/**
 * Decision inputs with real agent state: each task of an agent in one of its working classes
 * (busier classes more often), decided with the agent's policy and state, with today's usage in
 * the last few slots of the class's daily bounds (a fifth of them at the bound). Deterministic.
 */
export function casesWithState(agents: AgentStates, count: number, seed = 42): DecideCase[] {
  const random = rng(seed);
  const ids = Object.keys(agents.states);
  const out: DecideCase[] = [];
  for (let i = 0; i < count; i++) {
    const agentId = ids[Math.floor(random() * ids.length)];
    const classes = agents.classesOf[agentId];
    const weights = classes.map((_, k) => 1 / (k + 1));
    let r = random() * weights.reduce((a, b) => a + b, 0);
    let taskClass = classes[classes.length - 1];
    for (let k = 0; k < classes.length; k++)
      if ((r -= weights[k]) < 0) {
        taskClass = classes[k];
        break;
      }
    const policy = agents.policyOf[agentId];
    const perDay = policy.taskClasses[taskClass].bounds?.perDay ?? { count: 50, costUsd: 100 };
    const usage: Usage =
      random() < 0.2
        ? { countToday: perDay.count, costTodayUsd: perDay.costUsd * (0.9 + 0.1 * random()) }
        : {
            countToday: Math.max(0, perDay.count - 1 - Math.floor(random() * 5)),
            costTodayUsd: perDay.costUsd * (0.6 + 0.3 * random()),
          };
    out.push({
      policy,
      state: agents.states[agentId],
      task: taskIn(policy, random, () => agentId, agents.modelOf[agentId], taskClass),
      usage,
    });
  }
  return out;
}

/** What one case measured: the median round, every round, and what the decisions said. */
export interface CaseFigures {
  /** Wall-clock throughput: what the target is set on. */
  decisionsPerSecond: number;
  /**
   * Decisions per second of this process's CPU time: unlike wall-clock throughput, hardly lowered
   * when other processes share the cores, so a loaded run still tells how fast decide() is.
   */
  decisionsPerCpuSecond: number;
  p50Us: number;
  p99Us: number;
  rounds: { decisionsPerSecond: number; decisionsPerCpuSecond: number; p50Us: number; p99Us: number }[];
  /** Effective rungs over the case's inputs (0..5), refusals counted at 0. */
  rungs: number[];
  /** How often each rule lowered a decision, over the case's inputs. */
  rules: Record<string, number>;
}

export interface MeasureOptions {
  warmupCalls: number;
  throughputCalls: number;
  latencyCalls: number;
  rounds: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** What the decisions of `cases` say: effective rungs and the rules that lowered them. Pure. */
export function decisionProfile(cases: readonly DecideCase[]): Pick<CaseFigures, 'rungs' | 'rules'> {
  const rungs = [0, 0, 0, 0, 0, 0];
  const rules: Record<string, number> = {};
  for (const c of cases) {
    const d = decide(c.policy, c.state, c.task, c.usage);
    rungs[d.refused ? 0 : d.effectiveRung]++;
    for (const r of d.reasons) {
      const rule = r.rule.startsWith('pin:') ? 'pin' : r.rule;
      rules[rule] = (rules[rule] ?? 0) + 1;
    }
  }
  return { rungs, rules };
}

/**
 * Throughput and per-call latency of decide() over each set of cases, `rounds` times, the sets
 * taking turns round by round (so a load that comes and goes on the machine weighs on each alike);
 * each set's median round counts.
 */
export function measureCases(
  sets: readonly (readonly DecideCase[])[],
  options: MeasureOptions,
): CaseFigures[] {
  let sink = 0;
  const run = (cases: readonly DecideCase[], calls: number): void => {
    for (let i = 0; i < calls; i++) {
      const c = cases[i % cases.length];
      sink += decide(c.policy, c.state, c.task, c.usage).effectiveRung;
    }
  };
  const timed = (cases: readonly DecideCase[], latencies: Float64Array): void => {
    for (let i = 0; i < latencies.length; i++) {
      const c = cases[i % cases.length];
      const start = process.hrtime.bigint();
      sink += decide(c.policy, c.state, c.task, c.usage).effectiveRung;
      latencies[i] = Number(process.hrtime.bigint() - start) / 1000; // µs
    }
  };
  for (const cases of sets) run(cases, options.warmupCalls); // warm up the JIT
  const rounds = sets.map((): CaseFigures['rounds'] => []);
  for (let round = 0; round < options.rounds; round++) {
    sets.forEach((cases, k) => {
      const t0 = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      run(cases, options.throughputCalls);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const latencies = new Float64Array(options.latencyCalls);
      timed(cases, latencies);
      const sorted = Array.from(latencies.sort());
      rounds[k].push({
        decisionsPerSecond: options.throughputCalls / seconds,
        decisionsPerCpuSecond: options.throughputCalls / ((cpu.user + cpu.system) / 1e6),
        p50Us: percentile(sorted, 50),
        p99Us: percentile(sorted, 99),
      });
    });
  }
  if (sink < 0) throw new Error('unreachable: rungs are never negative'); // keeps `sink` alive
  return sets.map((cases, k) => ({
    decisionsPerSecond: median(rounds[k].map((r) => r.decisionsPerSecond)),
    decisionsPerCpuSecond: median(rounds[k].map((r) => r.decisionsPerCpuSecond)),
    p50Us: median(rounds[k].map((r) => r.p50Us)),
    p99Us: median(rounds[k].map((r) => r.p99Us)),
    rounds: rounds[k],
    ...decisionProfile(cases),
  }));
}

/** A target of issue 11 and whether this run met it. */
export interface DecideTarget {
  name: string;
  value: number;
  target: string;
  met: boolean;
}

/** The targets of both decide() cases and the ledger view's size. Pure. */
export function decideTargets(
  noState: CaseFigures,
  withState: CaseFigures,
  ledger: readonly LedgerSizeResult[],
): DecideTarget[] {
  return [
    {
      name: 'no state: decisions/s',
      value: noState.decisionsPerSecond,
      target: '≥ 200,000',
      met: noState.decisionsPerSecond >= 200_000,
    },
    { name: 'no state: p99 µs', value: noState.p99Us, target: '≤ 20', met: noState.p99Us <= 20 },
    {
      name: 'real state: decisions/s',
      value: withState.decisionsPerSecond,
      target: '≥ 2,000,000',
      met: withState.decisionsPerSecond >= 2_000_000,
    },
    { name: 'real state: p99 µs', value: withState.p99Us, target: '≤ 5', met: withState.p99Us <= 5 },
    ...ledger.map((r) => ({
      name: `ledgerView bytes, ${r.scenario}`,
      value: r.sizes.viewBytes,
      target: `≤ ${r.viewTargetBytes}`,
      met: r.viewMet,
    })),
  ];
}

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

/** The decide() table, markdown. Pure. */
export function decideMarkdown(noState: CaseFigures, withState: CaseFigures): string {
  const row = (
    name: string,
    f: CaseFigures,
    ratio: string,
    target: string,
    perSecond: number,
    p99: number,
  ): string =>
    `| ${name} | ${int(f.decisionsPerSecond)} | ${ratio} | ${int(f.decisionsPerCpuSecond)} | ${f.p50Us.toFixed(2)} µs | ${f.p99Us.toFixed(2)} µs | ${target} | ${verdict(f.decisionsPerSecond >= perSecond && f.p99Us <= p99)} |`;
  return [
    '| case | decisions/s | vs no state | per CPU-second | p50 | p99 | target | result |',
    '|---|---:|---:|---:|---:|---:|---|---|',
    row('no agent state (declared rungs)', noState, '1.00', '≥ 200,000/s, p99 ≤ 20 µs', 200_000, 20),
    row(
      'real agent state',
      withState,
      (withState.decisionsPerSecond / noState.decisionsPerSecond).toFixed(2),
      '≥ 2,000,000/s, p99 ≤ 5 µs',
      2_000_000,
      5,
    ),
  ].join('\n');
}

function parseArgs(argv: readonly string[]): { quick: boolean } {
  const unknown = argv.filter((a) => a !== '--quick');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')} (expected: --quick)`);
  return { quick: argv.includes('--quick') };
}

/** Tasks each agent runs before its state is read: a quick run builds the state faster. */
export const TASKS_PER_AGENT = { quick: 1_000, full: 2_500 } as const;

/** Everything both cases decide on. */
export interface DecideBenchInputs {
  current: LoadedPolicy;
  next: LoadedPolicy;
  noStateCases: DecideCase[];
  agents: AgentStates;
  stateCases: DecideCase[];
}

/**
 * The bench's inputs: the realistic policy (and its canary's next version), 10,000 tasks decided
 * without agent state, and 10,000 decided with the state of agents that ran `tasksPerAgent` tasks
 * each. Deterministic: the same inputs on every run.
 */
export function decideBenchInputs(tasksPerAgent: number, casesPerKind = 10_000): DecideBenchInputs {
  const random = rng(42);
  const doc = realisticPolicyDocument(random);
  const { current, next } = policiesWithCanary(doc);
  const noStateCases: DecideCase[] = realisticTasks(current, random, casesPerKind).map(({ task, usage }) => ({
    policy: current,
    state: null,
    task,
    usage,
  }));
  const agents = buildAgentStates(current, next, tasksPerAgent);
  return { current, next, noStateCases, agents, stateCases: casesWithState(agents, casesPerKind) };
}

async function main(): Promise<number> {
  const { quick } = parseArgs(process.argv.slice(2));
  const loadBefore = loadavg();
  const { next, noStateCases, agents, stateCases } = decideBenchInputs(
    quick ? TASKS_PER_AGENT.quick : TASKS_PER_AGENT.full,
  );
  // Measuring is cheap next to building the agents' state: a quick run measures as much as a full one
  // (short rounds are at the mercy of whatever else the machine runs).
  const options: MeasureOptions = {
    warmupCalls: 200_000,
    throughputCalls: 1_000_000,
    latencyCalls: 200_000,
    rounds: 5,
  };
  const [noState, withState] = measureCases([noStateCases, stateCases], options);
  const loadAfterDecide = loadavg();
  const ledger = runLedgerSizeBench();
  const targets = decideTargets(noState, withState, ledger);
  const missed = targets.filter((t) => !t.met);

  const s = agents.summary;
  const capped = Object.entries(agents.killSwitch.classes ?? {}).map(([c, v]) => `${c} → ${v.cap}`);
  const load = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  console.log(
    `## bench:decide — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}${quick ? ' — quick' : ''}`,
  );
  console.log(
    `\nload average (1/5/15 min): ${load(loadBefore)} before, ${load(loadAfterDecide)} after the decide() rounds (another process on a 2-core machine shows as load ≥ 1)`,
  );
  console.log(
    `\ndecide() on ${CLASSES} task classes × ${AGENTS} agents, ${int(noStateCases.length)} distinct tasks per case; median of ${options.rounds} rounds of ${int(options.throughputCalls)} calls (throughput) and ${int(options.latencyCalls)} timed calls (latency).\n`,
  );
  console.log(decideMarkdown(noState, withState));
  console.log(
    '\nTargets are on wall-clock decisions/s; "per CPU-second" divides by this process\'s CPU time instead, which other processes on the machine hardly lower.',
  );
  console.log(
    `\nReal agent state: ${AGENTS} trust ledgers after ${int(s.tasksPerAgent)} tasks each over 90 days (${int(s.events)} events judged in ${int(s.judgeCalls)} reducer calls, ${s.promotions} promotions, ${s.demotions} demotions, ${int(s.auditsExpired)} audits expired, ${s.classRollbacks} class rollback triggers; built in ${s.setupSeconds.toFixed(1)} s). Ledger rungs over agent × class (0..5): ${s.ledgerRungs.join(' / ')}, ${s.movedFromDeclared} moved from the declared rung. Frozen: ${FROZEN.length} agents at rung 1. Class caps: ${capped.length > 0 ? capped.join(', ') : 'none'}. Canary: ${agents.canary.length} agents decided with ${next.versionId}. Usage: the last slots of the daily bounds (a fifth at the bound).`,
  );
  const rules = (f: CaseFigures): string =>
    Object.entries(f.rules)
      .sort((a, b) => b[1] - a[1])
      .map(([r, k]) => `${r} ${k}`)
      .join(', ');
  console.log(
    `\n- effective rungs, no state (0..5): ${noState.rungs.join(' / ')}; rules that bit: ${rules(noState)}`,
  );
  console.log(
    `- effective rungs, real state (0..5): ${withState.rungs.join(' / ')}; rules that bit: ${rules(withState)}`,
  );
  console.log('\n### Trust-ledger query size after 10,000 tasks\n');
  console.log(ledgerSizeMarkdown(ledger));
  console.log('');
  for (const t of missed) console.log(`MISSED: ${t.name} = ${t.value.toFixed(2)}, target ${t.target}`);

  const outDir = join(projectRoot(), 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, quick ? 'decide-quick.json' : 'decide.json');
  await writeJson(file, {
    benchmark: 'decide',
    startedAt: new Date().toISOString(),
    quick,
    node: process.version,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? null,
      ramGiB: Math.round(totalmem() / 2 ** 30),
    },
    loadAverage: { before: loadBefore, afterDecide: loadAfterDecide, after: loadavg() },
    classes: CLASSES,
    agents: AGENTS,
    options,
    // The no-state case keeps its old top-level fields, so earlier results compare directly.
    decisionsPerSecond: noState.decisionsPerSecond,
    p50Us: noState.p50Us,
    p99Us: noState.p99Us,
    rungs: noState.rungs,
    noState,
    withAgentState: {
      ...withState,
      state: {
        ...agents.summary,
        frozen: FROZEN,
        classCaps: agents.killSwitch.classes,
        canaryAgents: agents.canary.length,
        canaryPolicy: next.versionId,
      },
    },
    ledgerSize: ledger,
    targets,
  });
  console.log(`wrote ${file}`);
  return missed.length > 0 ? 1 : 0;
}

if (require.main === module)
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(
        `bench:decide failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(2);
    },
  );
