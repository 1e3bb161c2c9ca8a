import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { loadPolicyFile, type LoadedPolicy } from '../../policy/loader';
import { ensureLocalKeysForPolicies } from '../../scripts/local-keys';
import { projectRoot } from './project-root';

/** The example policy the bench policy is made from, so what is measured is what the project ships. */
export const EXAMPLE_POLICY = join(projectRoot(), 'examples', 'policy.yaml');

/** Far above what a run can use: no batch may fall back to confirmation on a daily quota. */
const UNLIMITED = 1_000_000;

/** Who and what the bench's tasks are. */
export const BENCH = {
  /** Earned rung 3 in `autonomousClass`: its tasks run without asking, inside the bounds. */
  autonomousAgent: 'bench-agent',
  autonomousClass: 'bench-write',
  autonomousChannel: '#bench-ladder',
  /** Rung 2 in `confirmClass`: each task waits for an approval. */
  confirmAgent: 'bench-confirm-agent',
  confirmClass: 'bench-confirm',
  confirmChannel: '#bench-approvals',
  /** Rung 5 in `reportClass`: each task runs, then reports, and nobody reads the report. */
  reportAgent: 'bench-report-agent',
  reportClass: 'bench-report',
  reportChannel: '#bench-reports',
  /**
   * When an unread report first escalates (to the agent's owner), unless the stack is told
   * otherwise: the timer whose lateness bench:timers measures. Short, so timers come due within
   * the run.
   */
  reportEscalationAfterMs: 10_000,
  /**
   * The read SLA, and the chain's last step: far beyond any run, so no report breaches it while
   * measured (a breach demotes the agent, and later tasks would stop reporting).
   */
  reportReadSla: '30m',
  /** The baseline posts here, so neither side's channel grows with the other's messages. */
  baselineChannel: '#bench-baseline',
  /** Owner of the rung-3 agent, requester of its tasks (allowed to submit for it). */
  owner: 'U0SRE0001',
  /** Owner of the rung-2 agent and requester of its tasks. */
  confirmOwner: 'U0SRE0002',
  /** The one approver of `confirmClass` (not its requester). */
  approver: 'U0SRE0001',
  /** The admin who creates the agent token (the example policy's admin). */
  admin: 'U0ADMIN01',
  model: 'bench-model',
  promptVersion: 'bench-v1',
  environment: 'staging',
} as const;

/**
 * Writes the bench policy into `dir`: the example policy with answer keys from `keysDir`, the
 * agent API's per-agent request budget raised (a batch submits hundreds of tasks a second) and
 * three additions: class `bench-write` (file.write inside its bounds, unlimited daily count) with
 * `bench-agent` at rung 3, class `bench-confirm` (file.write, cap 2) with
 * `bench-confirm-agent` at rung 2, and class `bench-report` (file.write inside its bounds, a
 * one-check health watch, a report per task escalating after `reportEscalationAfterMs`)
 * with `bench-report-agent` at rung 5. Everything else (audit sampling, kill switch, other classes)
 * stays as shipped. Then makes the local keys of every person it names.
 *
 * @param reportEscalationAfterMs - when an unread bench report first escalates; default
 *   {@link BENCH.reportEscalationAfterMs}. Whole ms, shorter than the read SLA.
 * @returns the path written and the policy as loaded (validated, keys read).
 * @throws {PolicyError} when the result does not validate.
 */
export function writeBenchPolicy(
  dir: string,
  keysDir: string,
  reportEscalationAfterMs: number = BENCH.reportEscalationAfterMs,
): { path: string; policy: LoadedPolicy } {
  if (!Number.isInteger(reportEscalationAfterMs) || reportEscalationAfterMs <= 0)
    throw new Error(
      `reportEscalationAfterMs: expected whole milliseconds > 0, got ${reportEscalationAfterMs}`,
    );
  const doc = parseDocument(readFileSync(EXAMPLE_POLICY, 'utf8'));
  doc.setIn(['answers', 'keysFile'], join(keysDir, 'answer-keys.json'));
  doc.setIn(['agentApi'], doc.createNode({ requestsPerMinute: UNLIMITED, maxWaiting: UNLIMITED }));
  // Every bench class runs one file.write; rungs above 2 run it inside these bounds.
  const writeOnly = { actions: ['file.write'], approval: { remindAfter: '30m', expireAfter: '4h' } };
  const bounds = {
    actions: ['file.write'],
    environments: [BENCH.environment],
    perDay: { count: UNLIMITED, costUsd: UNLIMITED },
  };
  const classes: Record<string, Record<string, unknown>> = {
    [BENCH.autonomousClass]: {
      description: 'Benchmark: one file.write per task, autonomous at rung 3.',
      cap: 3,
      channel: BENCH.autonomousChannel,
      approvers: { groups: ['sre'] },
      bounds,
    },
    [BENCH.confirmClass]: {
      description: 'Benchmark: one file.write per task, approved by a person first.',
      cap: 2,
      channel: BENCH.confirmChannel,
      approvers: { users: [BENCH.approver] },
    },
    [BENCH.reportClass]: {
      description: 'Benchmark: one file.write per task at rung 5, reported, never read.',
      cap: 5,
      channel: BENCH.reportChannel,
      approvers: { groups: ['sre'] },
      bounds,
      // One health check and no wait: the task reaches its report at once.
      rollback: { healthWindow: '1s', healthInterval: '1s' },
      report: { mode: 'each', readSla: BENCH.reportReadSla, channel: BENCH.reportChannel },
      escalation: [
        { after: `${reportEscalationAfterMs}ms`, notify: 'owner' },
        { after: BENCH.reportReadSla, notify: 'channel' },
      ],
    },
  };
  for (const [name, taskClass] of Object.entries(classes))
    doc.setIn(['taskClasses', name], doc.createNode({ ...writeOnly, ...taskClass }));
  const agents: [agent: string, owner: string, taskClass: string, rung: number][] = [
    [BENCH.autonomousAgent, BENCH.owner, BENCH.autonomousClass, 3],
    [BENCH.confirmAgent, BENCH.confirmOwner, BENCH.confirmClass, 2],
    [BENCH.reportAgent, BENCH.owner, BENCH.reportClass, 5],
  ];
  for (const [agent, owner, taskClass, rung] of agents)
    doc.setIn(
      ['agents', agent],
      doc.createNode({
        owner,
        model: BENCH.model,
        promptVersion: BENCH.promptVersion,
        rungs: { [taskClass]: rung },
      }),
    );
  const path = join(dir, 'policy.yaml');
  writeFileSync(
    path,
    `# Written by bench:tasks from ${EXAMPLE_POLICY}; see bench/tasks/policy.ts for every change.\n${doc.toString()}`,
  );
  ensureLocalKeysForPolicies(keysDir, [path]);
  return { path, policy: loadPolicyFile(path).policy };
}

/**
 * When an unread report of the bench's rung-5 class first escalates under `policy`, in ms.
 *
 * @throws Error when the policy has no such class or escalation (not a bench policy).
 */
export function reportEscalationAfterMs(policy: LoadedPolicy): number {
  const after = policy.taskClasses[BENCH.reportClass]?.escalation[0]?.after;
  if (after === undefined)
    throw new Error(
      `the policy has no escalation for class ${BENCH.reportClass}: not written by writeBenchPolicy`,
    );
  return after;
}
