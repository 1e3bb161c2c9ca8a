import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { loadPolicyFile, type LoadedPolicy } from '../../policy/loader';
import { ensureLocalKeysForPolicies } from '../../scripts/local-keys';

/** The example policy the bench policy is made from, so what is measured is what the project ships. */
export const EXAMPLE_POLICY = resolve(__dirname, '..', '..', '..', 'examples', 'policy.yaml');

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
 * two additions: class `bench-write` (file.write inside its bounds, unlimited daily count) with
 * `bench-agent` at rung 3, and class `bench-confirm` (file.write, cap 2) with
 * `bench-confirm-agent` at rung 2. Everything else (audit sampling, kill switch, other classes)
 * stays as shipped. Then makes the local keys of every person it names.
 *
 * @returns the path written and the policy as loaded (validated, keys read).
 * @throws {PolicyError} when the result does not validate.
 */
export function writeBenchPolicy(dir: string, keysDir: string): { path: string; policy: LoadedPolicy } {
  const doc = parseDocument(readFileSync(EXAMPLE_POLICY, 'utf8'));
  doc.setIn(['answers', 'keysFile'], join(keysDir, 'answer-keys.json'));
  doc.setIn(['agentApi'], doc.createNode({ requestsPerMinute: UNLIMITED }));
  doc.setIn(
    ['taskClasses', BENCH.autonomousClass],
    doc.createNode({
      description: 'Benchmark: one file.write per task, autonomous at rung 3.',
      cap: 3,
      actions: ['file.write'],
      channel: BENCH.autonomousChannel,
      approvers: { groups: ['sre'] },
      bounds: {
        actions: ['file.write'],
        environments: [BENCH.environment],
        perDay: { count: UNLIMITED, costUsd: UNLIMITED },
      },
      approval: { remindAfter: '30m', expireAfter: '4h' },
    }),
  );
  doc.setIn(
    ['taskClasses', BENCH.confirmClass],
    doc.createNode({
      description: 'Benchmark: one file.write per task, approved by a person first.',
      cap: 2,
      actions: ['file.write'],
      channel: BENCH.confirmChannel,
      approvers: { users: [BENCH.approver] },
      approval: { remindAfter: '30m', expireAfter: '4h' },
    }),
  );
  doc.setIn(
    ['agents', BENCH.autonomousAgent],
    doc.createNode({
      owner: BENCH.owner,
      model: BENCH.model,
      promptVersion: BENCH.promptVersion,
      rungs: { [BENCH.autonomousClass]: 3 },
    }),
  );
  doc.setIn(
    ['agents', BENCH.confirmAgent],
    doc.createNode({
      owner: BENCH.confirmOwner,
      model: BENCH.model,
      promptVersion: BENCH.promptVersion,
      rungs: { [BENCH.confirmClass]: 2 },
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
