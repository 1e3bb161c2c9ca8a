import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { decide, type DecisionInput, type Usage } from '../policy/decide';
import { parsePolicy, type LoadedPolicy } from '../policy/loader';

// `npm run bench:decide`: decisions per second and per-call latency of decide() on a realistic
// policy (24 task classes, 120 agents). Targets: ≥ 200,000 decisions/s, p99 ≤ 20 µs.

const CLASSES = 24;
const AGENTS = 120;
const ACTIONS = ['config.set', 'http.request', 'shell.exec', 'file.write', 'k8s.scale', 'dns.update'];
const ENVS = ['dev', 'staging', 'production'];

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

function realisticPolicy(random: () => number): LoadedPolicy {
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
  const taskClasses: Record<string, unknown> = {};
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
    };
  }
  const agents: Record<string, unknown> = {};
  for (let i = 0; i < AGENTS; i++) {
    const rungs: Record<string, number> = {};
    for (let c = 0; c < CLASSES; c++) if (random() < 0.7) rungs[`class-${c}`] = Math.floor(random() * 6);
    agents[`agent-${i}`] = { owner: 'U0OWNER01', model: 'model-a', promptVersion: 'v1', rungs };
  }
  const text = stringify({
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
    audit: { sampleRate: 0.1 },
  });
  const result = parsePolicy(text, 'bench');
  if (!result.ok) throw new Error(`bench policy invalid: ${JSON.stringify(result.errors.slice(0, 3))}`);
  return result.policy;
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
    const actions = policy.taskClasses[taskClass].actions;
    const steps = Array.from({ length: 1 + Math.floor(random() * 3) }, () => ({
      action: actions[Math.floor(random() * actions.length)],
      params: { url: random() < 0.5 ? 'http://deploy.internal:8080/x' : undefined, key: 'v' } as Record<
        string,
        unknown
      >,
      costUsd: random() * 2,
    }));
    out.push({
      task: {
        agent: { id: `agent-${Math.floor(random() * AGENTS)}`, model: 'model-a', promptVersion: 'v1' },
        taskClass,
        environment: ENVS[Math.floor(random() * ENVS.length)],
        title: 'bench task',
        steps,
        requestedRung: random() < 0.05 ? { rung: 2, reason: 'unsure' } : undefined,
      },
      usage: { countToday: Math.floor(random() * 60), costTodayUsd: random() * 120 },
    });
  }
  return out;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function main(): void {
  const random = rng(42);
  const policy = realisticPolicy(random);
  const inputs = realisticTasks(policy, random, 10_000);
  let sink = 0;

  for (let i = 0; i < 200_000; i++) {
    const { task, usage } = inputs[i % inputs.length];
    sink += decide(policy, null, task, usage).effectiveRung; // warm up the JIT
  }

  const throughputCalls = 1_000_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < throughputCalls; i++) {
    const { task, usage } = inputs[i % inputs.length];
    sink += decide(policy, null, task, usage).effectiveRung;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const perSecond = throughputCalls / seconds;

  const latencyCalls = 200_000;
  const latencies = new Float64Array(latencyCalls);
  for (let i = 0; i < latencyCalls; i++) {
    const { task, usage } = inputs[i % inputs.length];
    const start = process.hrtime.bigint();
    sink += decide(policy, null, task, usage).effectiveRung;
    latencies[i] = Number(process.hrtime.bigint() - start) / 1000; // µs
  }
  latencies.sort();
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const rungs = new Array(6).fill(0) as number[];
  for (const { task, usage } of inputs) rungs[decide(policy, null, task, usage).effectiveRung]++;

  const rows = [
    ['decisions/s', Math.round(perSecond).toLocaleString('en-US'), '≥ 200,000', perSecond >= 200_000],
    ['p50 latency', `${p50.toFixed(2)} µs`, '', true],
    ['p99 latency', `${p99.toFixed(2)} µs`, '≤ 20 µs', p99 <= 20],
  ] as const;
  console.log(
    `decide() on ${CLASSES} task classes × ${AGENTS} agents, ${inputs.length.toLocaleString('en-US')} distinct tasks`,
  );
  console.log(`effective rungs over the task set (0..5): ${rungs.join(' / ')}`);
  console.log('');
  console.log(`${'metric'.padEnd(14)}${'measured'.padStart(16)}${'target'.padStart(14)}  result`);
  for (const [metric, value, target, ok] of rows) {
    console.log(
      `${metric.padEnd(14)}${value.padStart(16)}${target.padStart(14)}  ${target ? (ok ? 'met' : 'MISSED') : ''}`,
    );
  }
  const outDir = resolve(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'decide.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        benchmark: 'decide',
        node: process.version,
        classes: CLASSES,
        agents: AGENTS,
        decisionsPerSecond: perSecond,
        p50Us: p50,
        p99Us: p99,
        rungs,
        checksum: sink,
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${file}`);
}

main();
