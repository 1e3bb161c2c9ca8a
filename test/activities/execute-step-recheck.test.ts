import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { createActionRegistry } from '../../activities/actions/registry';
import type { ActionHandler } from '../../activities/actions/contract';
import { createTaskActivities } from '../../activities/task-activities';
import type { LedgerLink } from '../../client/ledger-link';
import type { LedgerView } from '../../policy/ledger';
import { parsePolicy } from '../../policy/loader';
import type { TaskRequest } from '../../policy/task';
import { examplePolicyText } from '../helpers/example-policy';
import { waitUntil } from '../helpers/wait';

// An autonomous step is re-checked against the policy and kill switch in force right before its
// effect. That read may wait on a busy ledger for longer than the step's heartbeat timeout (5 s):
// it must heartbeat meanwhile, or every attempt times out and the task fails (seen in the chaos
// run under load: five heartbeat timeouts, then "failed").

const task: TaskRequest = {
  taskId: 'recheck-1',
  agent: { id: 'ops-agent', model: 'claude-sonnet-4-5', promptVersion: 'ops-v7' },
  taskClass: 'config-change',
  title: 'Raise the checkout timeout',
  requester: 'U0SRE0002',
  environment: 'staging',
  resource: 'checkout',
  steps: [{ action: 'config.set', params: { key: 'timeout', value: 30 } }],
} as TaskRequest;

/** A `config.set` that only counts its runs, so the test is about the re-check alone. */
function countingConfigSet(runs: string[], journaled?: { undo: unknown }): ActionHandler {
  return {
    // With `journaled`, the handler keeps an undo record as real ones do: `undo` is what it holds.
    ...(journaled ? { undoRecordFor: () => journaled.undo } : {}),
    type: 'config.set',
    params: z.object({ key: z.string(), value: z.unknown() }),
    blastRadius: () => 'single-resource' as never,
    describe: () => 'set timeout',
    targets: () => ['set timeout'],
    reaches: () => [],
    draft: async () => ({ summary: 'set timeout' }) as never,
    execute: async (_params, ctx) => {
      runs.push(ctx.idempotencyKey);
      return { previous: 10 };
    },
    compensate: async () => undefined,
    retrySafety: () => ({ kind: 'repeatable', why: 'test' }),
  };
}

/** A client whose kill switch was never started (no freeze in force). */
const noKillSwitch = {
  workflow: {
    getHandle: (workflowId: string) => {
      const notStarted = async () => {
        throw new WorkflowNotFoundError('not started', workflowId, undefined);
      };
      return { describe: notStarted, query: notStarted };
    },
  },
} as unknown as Client;

/** A ledger whose view answers after `delayMs` with `rungs`, noting when in `answeredAt`. */
function slowLedger(delayMs: number, rungs: LedgerView['rungs'], answeredAt: number[] = []): LedgerLink {
  return {
    send: async () => undefined,
    read: async () => null,
    view: (agentId) =>
      new Promise((resolve) =>
        setTimeout(() => {
          answeredAt.push(Date.now());
          resolve({
            agentId,
            model: task.agent.model,
            promptVersion: task.agent.promptVersion,
            changes: 0,
            rungs,
          });
        }, delayMs),
      ),
  };
}

describe('executeStep of an autonomous step', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ladder-recheck-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function activitiesWith(ledger: LedgerLink, runs: string[], journaled?: { undo: unknown }) {
    const parsed = parsePolicy(examplePolicyText());
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    return createTaskActivities({
      policy: () => parsed.policy,
      registry: createActionRegistry([countingConfigSet(runs, journaled)]),
      client: noKillSwitch,
      taskQueue: 'recheck-test',
      workspaceRoot: dir,
      sandboxDir: dir,
      stateDir: dir,
      outcomes: { record: async () => undefined } as never,
      ledger,
    });
  }

  it('heartbeats while the re-check waits on a slow ledger, then runs the step', async () => {
    const runs: string[] = [];
    const answeredAt: number[] = [];
    const activities = activitiesWith(slowLedger(3_500, { 'config-change': 5 }, answeredAt), runs);
    const env = new MockActivityEnvironment();
    const beats: number[] = [];
    env.on('heartbeat', () => beats.push(Date.now()));
    const undo = await env.run(activities.executeStep, {
      workflowId: 'task/ops-agent/recheck-1',
      index: 0,
      step: task.steps[0],
      allowedHosts: null,
      autonomousTask: task,
    });
    expect(answeredAt).toHaveLength(1);
    expect(undo).toEqual({ previous: 10 });
    expect(runs).toEqual(['task/ops-agent/recheck-1#0']);
    // One beat a second (the first after one second) while the ledger had not answered yet:
    // three in 3.5 s, at least two however late a loaded machine runs the timer.
    expect(beats.filter((t) => t < answeredAt[0]).length).toBeGreaterThanOrEqual(2);
  });

  it('sends no heartbeat for a step done within the first second', async () => {
    const runs: string[] = [];
    const activities = activitiesWith(slowLedger(0, { 'config-change': 5 }), runs);
    const env = new MockActivityEnvironment();
    const beats: number[] = [];
    env.on('heartbeat', () => beats.push(Date.now()));
    const started = Date.now();
    await env.run(activities.executeStep, {
      workflowId: 'task/ops-agent/recheck-2',
      index: 0,
      step: task.steps[0],
      allowedHosts: null,
      autonomousTask: task,
    });
    expect(runs).toEqual(['task/ops-agent/recheck-2#0']);
    // None at the start: at most one per full second the step took (none for a quick step).
    expect(beats.length).toBeLessThanOrEqual(Math.floor((Date.now() - started) / 1_000));
  });

  it('refuses without running when the ledger now says the agent earned less than rung 3', async () => {
    const runs: string[] = [];
    const activities = activitiesWith(slowLedger(0, { 'config-change': 2 }), runs);
    const env = new MockActivityEnvironment();
    await expect(
      env.run(activities.executeStep, {
        workflowId: 'task/ops-agent/recheck-1',
        index: 0,
        step: task.steps[0],
        allowedHosts: null,
        autonomousTask: task,
      }),
    ).rejects.toMatchObject({
      type: 'AutonomyWithdrawn',
      nonRetryable: true,
      message: /allows rung 2/,
      details: [expect.objectContaining({ rung: 2, mayHaveRun: false })],
    });
    expect(runs).toEqual([]);
  });

  it('says when a refused retry follows an attempt that may have acted, so its undo is kept', async () => {
    const refusedOn = async (attempt: number, journaled?: { undo: unknown }) => {
      const runs: string[] = [];
      const activities = activitiesWith(slowLedger(0, { 'config-change': 2 }), runs, journaled);
      const failure = await new MockActivityEnvironment({ attempt })
        .run(activities.executeStep, {
          workflowId: 'task/ops-agent/recheck-4',
          index: 0,
          step: task.steps[0],
          allowedHosts: null,
          autonomousTask: task,
        })
        .then(
          () => undefined,
          (err: { details?: { mayHaveRun?: boolean }[] }) => err,
        );
      expect(runs).toEqual([]);
      return failure?.details?.[0]?.mayHaveRun;
    };
    // A handler without a journal: any retry may follow an attempt that acted.
    expect(await refusedOn(1)).toBe(false);
    expect(await refusedOn(2)).toBe(true);
    // A handler with one: its journal tells, on any attempt.
    expect(await refusedOn(2, { undo: undefined })).toBe(false);
    expect(await refusedOn(2, { undo: { previous: 10 } })).toBe(true);
  });

  it('decides against the quota day the workflow gave, even when retried after midnight', async () => {
    const activities = activitiesWith(slowLedger(0, {}), []);
    const bundle = await new MockActivityEnvironment({ attempt: 3 }).run(activities.decideTask, {
      task: {
        ...task,
        taskClass: 'db-migration',
        steps: [{ action: 'shell.exec', params: { command: 'true' } }],
      },
      workflowId: 'task/ops-agent/recheck-midnight',
      day: '2026-11-28',
    });
    expect((bundle as { day: string }).day).toBe('2026-11-28');
  });

  it('stops at once when cancelled while the ledger cannot answer, and runs nothing', async () => {
    // A draining worker cancels its activities after the grace time; a re-check stuck on a query
    // nobody answers (here: never) must not hold the worker until the query's own deadline.
    const runs: string[] = [];
    let asked = 0;
    const silentLedger: LedgerLink = {
      send: async () => undefined,
      read: async () => null,
      view: () => {
        asked += 1;
        return new Promise(() => undefined);
      },
    };
    const activities = activitiesWith(silentLedger, runs);
    const env = new MockActivityEnvironment();
    const running = env.run(activities.executeStep, {
      workflowId: 'task/ops-agent/recheck-3',
      index: 0,
      step: task.steps[0],
      allowedHosts: null,
      autonomousTask: task,
    });
    await waitUntil(() => asked > 0);
    env.cancel('WORKER_SHUTDOWN');
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
    expect(runs).toEqual([]);
  }, 20_000);
});
