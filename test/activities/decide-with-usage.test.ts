import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { decideWithUsage } from '../../activities/decide-with-usage';
import { decide, type Usage } from '../../policy/decide';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import { taskRequestSchema, type TaskRequest } from '../../policy/task';
import { withStepRequests, type StepRequest } from '../../policy/request-bounds';
import { createActionRegistry } from '../../activities/actions/registry';
import type { QuotaReply } from '../../workflows/messages';

const ROOT = join(__dirname, '..', '..');
const TASKS = [
  'rung0-suggest',
  'rung2-confirm',
  'rung3-bounded',
  'rung4-rollback',
  'rung5-report',
  'fallback-out-of-bounds',
  'pinned-production-deploy',
  'self-calibration-lower',
] as const;

function examplePolicy(): LoadedPolicy {
  const result = parsePolicy(
    readFileSync(join(ROOT, 'examples', 'policy.yaml'), 'utf8'),
    'examples/policy.yaml',
  );
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.policy;
}

/** An example task as the worker decides it: with the requests its steps send (`bounds.requests`). */
const exampleTask = (name: string): TaskRequest & { requests?: StepRequest[] } => {
  const task = taskRequestSchema.parse(
    JSON.parse(readFileSync(join(ROOT, 'examples', 'tasks', `${name}.json`), 'utf8')),
  );
  return withStepRequests(createActionRegistry(), task);
};

/**
 * A quota ledger holding `used` that answers one reservation as the quota-ledger workflow does:
 * granted while the count and the cost stay within the limits.
 */
function ledgerHolding(used: Usage, limits: { count: number; costUsd: number }, costUsd: number) {
  return async (): Promise<QuotaReply> => {
    const over =
      used.countToday + 1 > limits.count
        ? 'daily quota'
        : used.costTodayUsd + costUsd > limits.costUsd
          ? 'daily budget'
          : null;
    return over === null
      ? {
          granted: true,
          countUsed: used.countToday + 1,
          costUsedUsd: used.costTodayUsd + costUsd,
          reason: null,
        }
      : { granted: false, countUsed: used.countToday, costUsedUsd: used.costTodayUsd, reason: over };
  };
}

describe('decideWithUsage: the decision of a usage read first, reading it only where it counts', () => {
  const policy = examplePolicy();

  it('gives the decision decide() gives with the ledger’s usage, reserves exactly the autonomous tasks, and reads usage only out of bounds', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TASKS),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 12 }),
        async (name, countToday, costTodayUsd) => {
          const task = exampleTask(name);
          const used: Usage = { countToday, costTodayUsd };
          const limits = policy.taskClasses[task.taskClass].bounds?.perDay ?? null;
          const cost = task.steps.reduce((sum, s) => sum + (s.costUsd ?? 0), 0);
          let reads = 0;
          let reservations = 0;
          const reserve = limits && ledgerHolding(used, limits, cost);
          const result = await decideWithUsage(
            (usage) => decide(policy, null, task, usage),
            async () => {
              reads++;
              return used;
            },
            reserve &&
              (() => {
                reservations++;
                return reserve();
              }),
          );
          const readFirst = decide(policy, null, task, used);
          expect(result.decision).toEqual(readFirst);
          // Autonomous tasks hold a reservation; every other decision asked for none it kept.
          expect(result.reservation?.granted ?? false).toBe(readFirst.effectiveRung >= 3);
          if (result.reservation) expect(result.reservation.granted).toBe(true);
          const noUsage = decide(policy, null, task, { countToday: 0, costTodayUsd: 0 });
          expect(reads).toBe(noUsage.bounds.applied && noUsage.effectiveRung < 3 ? 1 : 0);
          expect(reservations).toBe(!noUsage.refused && noUsage.effectiveRung >= 3 ? 1 : 0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never reads usage or reserves for a task that does not run on its own (rung 2 here)', async () => {
    const task = exampleTask('rung2-confirm');
    const never = async (): Promise<never> => {
      throw new Error('usage is not needed below rung 3');
    };
    const result = await decideWithUsage((usage) => decide(policy, null, task, usage), never, never);
    expect(result).toEqual({
      decision: decide(policy, null, task, { countToday: 0, costTodayUsd: 0 }),
      reservation: null,
    });
    expect(result.decision.effectiveRung).toBe(2);
  });

  it('over the daily quota, decides at confirmation naming it, with no reservation held', async () => {
    const task = exampleTask('rung3-bounded');
    const limits = policy.taskClasses[task.taskClass].bounds!.perDay;
    const full: Usage = { countToday: limits.count, costTodayUsd: 0 };
    const result = await decideWithUsage(
      (usage) => decide(policy, null, task, usage),
      async () => full,
      ledgerHolding(full, limits, 0),
    );
    expect(result.reservation).toBeNull();
    expect(result.decision.effectiveRung).toBe(2);
    expect(result.decision.bounds.violations).toEqual([
      {
        bound: 'perDay.count',
        message: `${limits.count} of ${limits.count} autonomous tasks already used today`,
      },
    ]);
  });

  it('keeps a refused reservation when deciding again would still run on its own, so the task falls back with the ledger’s reason', async () => {
    const task = exampleTask('rung3-bounded');
    // A ledger that refuses while reporting room (another task took the last slot between its check and its reply).
    const racing = async (): Promise<QuotaReply> => ({
      granted: false,
      countUsed: 0,
      costUsedUsd: 0,
      reason: 'daily quota: 20 of 20 autonomous tasks already used',
    });
    const result = await decideWithUsage(
      (usage) => decide(policy, null, task, usage),
      async () => ({ countToday: 0, costTodayUsd: 0 }),
      racing,
    );
    expect(result.decision.effectiveRung).toBe(3);
    expect(result.reservation).toMatchObject({
      granted: false,
      reason: expect.stringContaining('daily quota'),
    });
  });
});
