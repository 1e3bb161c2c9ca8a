// `npm run simulate`: drives a population of simulated agents with known true error rates through
// the trust ledger's own rules (policy/ledger-reducer.ts, the code the ledger workflow runs) on
// accelerated time, and prints how well the policy's thresholds separate good agents from bad.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { newLedger, type LedgerState } from '../policy/ledger';
import {
  applyPromotion,
  reduceLedger,
  type IdentifiedEvent,
  type LedgerContext,
} from '../policy/ledger-reducer';
import { loadPolicyFile, type LoadedPolicy } from '../policy/loader';
import type { ApproverWatchRule, Rung } from '../policy/schema';
import {
  newApproverWatch,
  recordWatchedAnswer,
  recordWatchedDefect,
  type ApproverWatchState,
} from '../policy/approver-watch';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The world the agents work in; every number here is an assumption of the simulation, printed with the table. */
export interface SimulationOptions {
  policyPath: string;
  taskClass: string;
  agentsPerRate: number;
  /** True error rates: the share of an agent's tasks that are wrong. */
  errorRates: number[];
  tasksPerDay: number;
  days: number;
  /** Share of wrong proposals a reviewer catches at rungs 0–2 (the rest execute and may surface as defects). */
  reviewerCatches: number;
  /** Share of wrong executions someone later reports as a defect, and how long that takes at most. */
  defectReported: number;
  defectDelayMaxMs: number;
  /** Share of sampled wrong outcomes an auditor disagrees with. */
  auditorCatches: number;
  /**
   * Share of the questions at rungs 0-2 a rubber-stamping approver answers: they approve everything
   * within seconds (the rest go to a careful reviewer who catches `reviewerCatches`). 0: nobody does.
   */
  rubberStampShare: number;
  /**
   * The rubber-stamp watch the ledger applies: the policy's `approverWatch`, or null for none. The
   * watch is shared by every agent of the class, as it is in Ladder (one per class, not per agent).
   */
  approverWatch: ApproverWatchRule | null;
  seed: number;
}

/** The checkout's root, from `scripts/` (sources) or `dist/scripts/` (built). */
const ROOT = existsSync(resolve(__dirname, '..', 'package.json'))
  ? resolve(__dirname, '..')
  : resolve(__dirname, '..', '..');

export const DEFAULTS: SimulationOptions = {
  policyPath: resolve(ROOT, 'examples', 'policy.yaml'),
  taskClass: 'config-change',
  agentsPerRate: 20,
  errorRates: [0, 0.005, 0.01, 0.02, 0.03, 0.04, 0.06, 0.08, 0.1, 0.15, 0.25],
  tasksPerDay: 10,
  days: 180,
  reviewerCatches: 0.9,
  defectReported: 0.7,
  defectDelayMaxMs: 48 * HOUR,
  auditorCatches: 0.9,
  rubberStampShare: 0,
  approverWatch: null,
  seed: 42,
};

/** Seconds a rubber-stamping approver takes, and minutes a careful reviewer does. */
const RUBBER_STAMP_ANSWER_MS = 4_000;
const CAREFUL_ANSWER_MS = 6 * 60_000;
const RUBBER_STAMPER = 'U0SIMSTAMP';
const CAREFUL_REVIEWER = 'U0SIMCARE';

/** mulberry32: small, seedable, good enough to make runs repeatable. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface AgentRun {
  id: string;
  trueError: number;
  startRung: Rung;
  promotions: { at: number; from: number; to: number }[];
  /** Time of the first wrong autonomous execution, and of the demotion that followed it. */
  firstAutonomousMistakeAt: number | null;
  demotedAfterMistakeAt: number | null;
}

export interface SimulationResult {
  options: SimulationOptions;
  agents: AgentRun[];
  /** Error rate tolerated into each rung: 1 − minApprovalRate of that step. */
  tolerated: Record<number, number>;
}

/**
 * Runs the simulation. Every promotion a proposal earns is approved at once (a rubber-stamping
 * human: the worst case for false promotions); demotions are the rules' own.
 */
export function simulate(options: SimulationOptions = DEFAULTS): SimulationResult {
  const policy: LoadedPolicy = loadPolicyFile(options.policyPath).policy;
  const rand = random(options.seed);
  const cls = options.taskClass;
  const startRung = 2 as Rung;
  const tolerated: Record<number, number> = {};
  for (const to of [1, 2, 3, 4, 5]) {
    const step = policy.promotion[`to${to}` as 'to1'];
    if (step) tolerated[to] = 1 - step.minApprovalRate;
  }
  const runs: AgentRun[] = [];
  const start = Date.UTC(2026, 0, 1);
  // One watch for the class, shared by every agent, as in Ladder; it judges approvers, not agents.
  const watch: ApproverWatchState = newApproverWatch(cls);
  const watchRule = options.approverWatch;

  interface Simulated {
    run: AgentRun;
    policy: LoadedPolicy;
    state: LedgerState;
    pendingDefects: { at: number; workflowId: string; approver: string; event: IdentifiedEvent }[];
    n: number;
  }
  const agents: Simulated[] = [];
  for (const trueError of options.errorRates) {
    for (let k = 0; k < options.agentsPerRate; k++) {
      const id = `sim-${(trueError * 1000).toFixed(0)}-${k}`;
      // The simulated agent is declared at rung 2 in the class; infrastructure is in place for
      // every rung (a passed drill included), so only evidence limits it.
      agents.push({
        run: {
          id,
          trueError,
          startRung,
          promotions: [],
          firstAutonomousMistakeAt: null,
          demotedAfterMistakeAt: null,
        },
        policy: {
          ...policy,
          agents: {
            [id]: { owner: 'U0SIM0001', model: 'm', promptVersion: 'p', rungs: { [cls]: startRung } },
          },
        },
        state: newLedger(id),
        pendingDefects: [],
        n: 0,
      });
    }
  }

  const feed = (agent: Simulated, events: IdentifiedEvent[], now: number): void => {
    const ctx: LedgerContext = {
      policy: agent.policy,
      infrastructure: () => ({
        boundsDefined: true,
        compensationForEveryAction: true,
        rollbackDrillPassed: true,
        reportWithReadSla: true,
      }),
      nowMs: now,
    };
    const run = agent.run;
    const before = agent.state.classes[cls]?.rung ?? startRung;
    const judged = reduceLedger(agent.state, events, ctx);
    agent.state = judged.state;
    const after = agent.state.classes[cls]?.rung ?? startRung;
    if (after < before && run.firstAutonomousMistakeAt !== null && run.demotedAfterMistakeAt === null)
      run.demotedAfterMistakeAt = now;
    for (const effect of judged.effects) {
      if (effect.kind !== 'proposed') continue;
      const applied = applyPromotion(agent.state, effect.proposal.id, 'U0SIMAPPR', now);
      if (applied.ok) {
        agent.state = applied.state;
        run.promotions.push({ at: now, from: applied.change.from, to: applied.change.to });
      }
    }
  };

  const interval = DAY / options.tasksPerDay;
  for (let t = start; t < start + options.days * DAY; t += interval) {
    for (const agent of agents) {
      const run = agent.run;
      // Defects reported by now land first: in the agent's ledger and, for approved work, the watch.
      const due = agent.pendingDefects.filter((d) => d.at <= t);
      if (due.length > 0) {
        if (watchRule)
          for (const d of due.filter((x) => x.approver !== ''))
            recordWatchedDefect(watch, { approver: d.approver, workflowId: d.workflowId }, watchRule, t);
        feed(
          agent,
          due.map((d) => d.event),
          t,
        );
        agent.pendingDefects = agent.pendingDefects.filter((d) => d.at > t);
      }
      const rung = agent.state.classes[cls]?.rung ?? startRung;
      const wf = `task/${run.id}/${++agent.n}`;
      const wrong = rand() < run.trueError;
      const events: IdentifiedEvent[] = [];
      const outcome = (kind: Parameters<typeof outcomeEvent>[1]): IdentifiedEvent =>
        outcomeEvent(wf, kind, cls, rung);
      let executedWrong = false;
      /** Who approved it (nobody at rung 3 and up): a defect found later is theirs too. */
      let approvedBy = '';
      if (rung <= 2) {
        const stamped = options.rubberStampShare > 0 && rand() < options.rubberStampShare;
        const approves = stamped || !(wrong && rand() < options.reviewerCatches);
        const counts = watchRule
          ? recordWatchedAnswer(
              watch,
              {
                approver: stamped ? RUBBER_STAMPER : CAREFUL_REVIEWER,
                workflowId: wf,
                approved: approves,
                answerMs: stamped ? RUBBER_STAMP_ANSWER_MS : CAREFUL_ANSWER_MS,
              },
              watchRule,
              t,
            ).counts
          : true;
        if (!approves) events.push(outcome('rejected'));
        else {
          // Ladder records an approval the watch does not count as `approved-unweighted`.
          events.push({ ...outcome(counts ? 'approved' : 'approved-unweighted'), id: `${wf}/approved` });
          events.push(outcome('executed'));
          executedWrong = wrong;
          approvedBy = stamped ? RUBBER_STAMPER : CAREFUL_REVIEWER;
        }
      } else {
        events.push(outcome('executed'));
        executedWrong = wrong;
        if (wrong && run.firstAutonomousMistakeAt === null) run.firstAutonomousMistakeAt = t;
        if (rand() < policy.audit.sampleRate) {
          const disagree = wrong && rand() < options.auditorCatches;
          events.push({
            id: `${wf}/audit`,
            event: { kind: 'audit', workflowId: wf, taskClass: cls, by: 'U0AUDIT', agree: !disagree },
          });
        }
      }
      if (events.length > 0) feed(agent, events, t);
      if (executedWrong && rand() < options.defectReported) {
        agent.pendingDefects.push({
          at: t + rand() * options.defectDelayMaxMs,
          workflowId: wf,
          approver: approvedBy,
          event: {
            id: `defect/${wf}`,
            event: { kind: 'defect', workflowId: wf, taskClass: cls, by: 'U0SIMREP', text: 'wrong' },
          },
        });
      }
    }
  }
  runs.push(...agents.map((a) => a.run));
  return { options, agents: runs, tolerated };
}

function outcomeEvent(
  workflowId: string,
  outcome: 'approved' | 'approved-unweighted' | 'rejected' | 'executed',
  taskClass: string,
  rung: number,
): IdentifiedEvent {
  return { id: `${workflowId}/${outcome}`, event: { kind: 'outcome', outcome, workflowId, taskClass, rung } };
}

/** Promotions into a rung whose tolerated error rate the agent's true error rate exceeds. */
export function falsePromotions(
  result: SimulationResult,
): { agent: string; trueError: number; to: number }[] {
  return result.agents.flatMap((a) =>
    a.promotions
      .filter((p) => result.tolerated[p.to] !== undefined && a.trueError > result.tolerated[p.to])
      .map((p) => ({ agent: a.id, trueError: a.trueError, to: p.to })),
  );
}

const median = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const days = (ms: number | null): string => (ms === null ? '—' : (ms / DAY).toFixed(1));

/** The table `npm run simulate` prints. */
export function formatSimulation(result: SimulationResult): string {
  const o = result.options;
  const start = Date.UTC(2026, 0, 1);
  const lines: string[] = [];
  lines.push(
    `Calibration of ${o.policyPath.replace(/.*\/examples\//, 'examples/')} in task class "${o.taskClass}": ${result.agents.length} simulated agents from rung 2, ${o.tasksPerDay} tasks/day for ${o.days} days.`,
  );
  lines.push(
    `Assumptions: reviewers catch ${o.reviewerCatches * 100}% of wrong proposals; ${o.defectReported * 100}% of wrong executions are reported as defects within ${o.defectDelayMaxMs / HOUR} h; auditors catch ${o.auditorCatches * 100}% of sampled wrong outcomes; every proposal is approved at once.`,
  );
  lines.push(
    o.rubberStampShare > 0
      ? `Approvers: a rubber-stamper answers ${(o.rubberStampShare * 100).toFixed(0)}% of the questions at rungs 0-2, approving every one in ${RUBBER_STAMP_ANSWER_MS / 1000} s; a careful reviewer answers the rest in ${CAREFUL_ANSWER_MS / 60_000} min. Rubber-stamp watch: ${o.approverWatch ? `on (the policy's approverWatch: ${o.approverWatch.minAnswers}+ answers, ≥ ${(o.approverWatch.minApprovalRate * 100).toFixed(0)}% approved, median ≤ ${o.approverWatch.fastAnswer / 1000} s, ${o.approverWatch.minDefects}+ defects in ${o.approverWatch.period / DAY} d)` : 'off'}.`
      : 'Approvers: every question is answered by a careful reviewer.',
  );
  lines.push(
    `Tolerated error into rung: ${Object.entries(result.tolerated)
      .map(([to, r]) => `${to}: ${(r * 100).toFixed(1)}%`)
      .join(
        ', ',
      )}. A false promotion is one into a rung whose tolerated error the agent's true error exceeds.`,
  );
  lines.push('');
  const header = [
    'true error',
    'agents',
    'reached 3',
    'median days to 3',
    'reached 5',
    'false promotions',
    'demotions after 1st autonomous mistake',
    'median latency (h)',
  ];
  const rows: string[][] = [];
  const falses = falsePromotions(result);
  for (const rate of o.errorRates) {
    const group = result.agents.filter((a) => a.trueError === rate);
    const reached3 = group.filter((a) => a.promotions.some((p) => p.to === 3));
    const reached5 = group.filter((a) => a.promotions.some((p) => p.to === 5));
    const mistaken = group.filter((a) => a.firstAutonomousMistakeAt !== null);
    const demoted = mistaken.filter((a) => a.demotedAfterMistakeAt !== null);
    const latencies = demoted.map((a) => a.demotedAfterMistakeAt! - a.firstAutonomousMistakeAt!);
    rows.push([
      `${(rate * 100).toFixed(1)}%`,
      String(group.length),
      String(reached3.length),
      days(median(reached3.map((a) => a.promotions.find((p) => p.to === 3)!.at - start))),
      String(reached5.length),
      String(falses.filter((f) => f.trueError === rate).length),
      mistaken.length === 0 ? '—' : `${demoted.length} of ${mistaken.length}`,
      latencies.length === 0 ? '—' : ((median(latencies) ?? 0) / HOUR).toFixed(1),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  lines.push(fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt));
  lines.push('');
  lines.push(`False promotions: ${falses.length}.`);
  return lines.join('\n');
}

if (require.main === module) {
  const args = new Command('simulate')
    .option('--seed <n>', 'random seed', String(DEFAULTS.seed))
    .option('--days <n>', 'simulated days', String(DEFAULTS.days))
    .option('--agents <n>', 'agents per true error rate', String(DEFAULTS.agentsPerRate))
    .option('--policy <file>', 'policy to calibrate', DEFAULTS.policyPath)
    .option('--class <taskClass>', 'task class to simulate', DEFAULTS.taskClass)
    .option(
      '--rubber-stamp <share>',
      'share of the questions a rubber-stamping approver answers in the second run (0 skips it)',
      '0.8',
    )
    .option(
      '--defects-reported <share>',
      'share of wrong executions reported as defects in the rubber-stamp runs (few are noticed)',
      '0.3',
    )
    .parse()
    .opts<{
      seed: string;
      days: string;
      agents: string;
      policy: string;
      class: string;
      rubberStamp: string;
      defectsReported: string;
    }>();
  const number = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--${name}: expected a whole number ≥ 1, got "${value}"`);
    return n;
  };
  const share = (name: string, value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
      throw new Error(`--${name}: expected a share from 0 to 1, got "${value}"`);
    return n;
  };
  const base: SimulationOptions = {
    ...DEFAULTS,
    seed: number('seed', args.seed),
    days: number('days', args.days),
    agentsPerRate: number('agents', args.agents),
    policyPath: resolve(args.policy),
    taskClass: args.class,
  };
  const rubberStamp = share('rubber-stamp', args.rubberStamp);
  const defectsReported = share('defects-reported', args.defectsReported);
  const timed = (options: SimulationOptions): string => {
    const started = Date.now();
    const table = formatSimulation(simulate(options));
    return `${table}\n(simulated in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`;
  };
  process.stdout.write(timed(base));
  if (rubberStamp > 0) {
    // The same agents with a rubber-stamper answering most questions, and few defects noticed:
    // without the policy's watch, then with it. The watch must leave no false promotion.
    const stamped = { ...base, rubberStampShare: rubberStamp, defectReported: defectsReported };
    const watch = loadPolicyFile(base.policyPath).policy.approverWatch ?? null;
    process.stdout.write(`\n${timed({ ...stamped, approverWatch: null })}`);
    if (watch) process.stdout.write(`\n${timed({ ...stamped, approverWatch: watch })}`);
    else
      process.stdout.write('\nThe policy sets no approverWatch: nothing guards against a rubber-stamper.\n');
  }
}
