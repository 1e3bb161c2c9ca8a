import { InvalidArgumentError } from 'commander';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planKills } from '../../scripts/chaos/kills';
import { parseChaosArgs, parseSlackFaults } from '../../scripts/chaos/options';
import { writeChaosPolicy } from '../../scripts/chaos/policy';
import { seededRandom } from '../../scripts/chaos/random';
import { faultBatch } from '../../scripts/chaos/slack-faults';
import { planTask, TEMPLATES, TRAP_LINGER_SECONDS } from '../../scripts/chaos/task-mix';
import { createActionRegistry } from '../../activities/actions/registry';
import { validateTaskRequest } from '../../policy/validate-task';
import { maySubmitFor } from '../../policy/submitters';
import { decide } from '../../policy/decide';
import { withStepRequests } from '../../policy/request-bounds';

// What a chaos run will do, checked before it runs: its policy loads, its tasks are valid and
// decided at the rungs they aim at, its kills and faults are spread as documented.

describe('the chaos plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ladder-chaos-plan-'));
  const { path, policy } = writeChaosPolicy(dir, '127.0.0.1:4999', join(dir, 'keys'));
  const ctx = { demoUrl: 'http://127.0.0.1:4999', policy, seed: 7 };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a valid policy pointing at its own demo service and keys, with unlimited quotas', () => {
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('127.0.0.1:4100');
    expect(policy.taskClasses.deploy.bounds?.hosts).toEqual(['127.0.0.1:4999']);
    expect(policy.taskClasses.deploy.bounds?.actions).toEqual(
      expect.arrayContaining(['http.request', 'shell.exec']),
    );
    expect(policy.taskClasses['config-change'].bounds?.actions).toEqual(
      expect.arrayContaining(['config.set', 'file.write']),
    );
    expect(policy.taskClasses['config-change'].bounds?.perDay.count).toBe(1_000_000);
    expect(policy.taskClasses['customer-email'].bounds?.hosts).toEqual(['127.0.0.1:4999']);
    expect(existsSync(join(dir, 'keys', 'answer-keys.json'))).toBe(true);
  });

  it('builds valid tasks that the policy decides at the rung each aims at, over every rung and action', () => {
    const rnd = seededRandom(7);
    const actions = createActionRegistry();
    const seen = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const task = planTask(i, rnd, ctx);
      const checked = validateTaskRequest(task.request, policy, actions);
      if (!checked.ok) throw new Error(`${task.kind}: ${checked.errors.join('; ')}`);
      expect(
        maySubmitFor(policy, task.request.requester, task.request.agent.id, task.request.taskClass),
      ).toBe(true);
      // As the worker decides it: with the requests its steps send (the classes bound them).
      const decision = decide(policy, null, withStepRequests(actions, checked.task), {
        countToday: 0,
        costTodayUsd: 0,
      });
      expect({ kind: task.kind, rung: decision.effectiveRung, refused: decision.refused }).toEqual({
        kind: task.kind,
        rung: task.rung,
        refused: null,
      });
      for (const s of task.steps) seen.add(`${task.rung} ${s.action}`);
    }
    const rungs = [...seen].map((s) => Number(s[0]));
    expect(new Set(rungs)).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const allActions = new Set([...seen].map((s) => s.slice(2)));
    expect(allActions).toEqual(new Set(['shell.exec', 'http.request', 'config.set', 'file.write']));
    expect(new Set(TEMPLATES.map((t) => t.kind)).size).toBe(TEMPLATES.length);
  });

  it('repeats the same tasks and answers for the same seed', () => {
    const a = Array.from({ length: 50 }, (_, i) => planTask(i, seededRandom(3), ctx));
    const b = Array.from({ length: 50 }, (_, i) => planTask(i, seededRandom(3), ctx));
    expect(a).toEqual(b);
  });

  it('makes trap tasks whose effect, or undo, lingers after reaching its destination', () => {
    const shell = planTask(5, seededRandom(1), ctx, 'shell-effect');
    expect(shell.request.steps[0].params.command).toMatch(
      new RegExp(`^echo '${shell.workflowId}#0' >> side-effects.log && sleep ${TRAP_LINGER_SECONDS}$`),
    );
    const http = planTask(6, seededRandom(1), ctx, 'http-effect');
    expect(http.request.steps[0].params.headers).toEqual({
      'x-demo-hold-ms': String(TRAP_LINGER_SECONDS * 1000),
    });
    const undo = planTask(7, seededRandom(1), ctx, 'compensation');
    expect(undo.rung).toBe(4);
    expect(undo.rollsBack).toBe(true);
    expect(undo.request.steps[0].params.undo).toContain(
      `#0#undo' >> side-effects.log && sleep ${TRAP_LINGER_SECONDS}`,
    );
  });

  it('spreads the kills over the submissions, timed ones first, the dev server in the middle', () => {
    expect(planKills(30, 2, 1)).toEqual([
      { what: 'worker', afterSubmitted: 7, trap: { kind: 'shell-effect', taskIndex: 7 } },
      { what: 'dev server', afterSubmitted: 15 },
      { what: 'worker', afterSubmitted: 22, trap: { kind: 'compensation', taskIndex: 22 } },
    ]);
    const full = planKills(500, 4, 1);
    expect(full.map((k) => (k.what === 'worker' ? (k.trap?.kind ?? 'random') : 'server'))).toEqual([
      'shell-effect',
      'compensation',
      'server',
      'http-effect',
      'random',
    ]);
    expect(() => planKills(3, 2, 1)).toThrow('too few');
  });

  it('reads its options and Slack fault plan, refusing a wrong one by name', () => {
    const o = parseChaosArgs([
      '--tasks',
      '30',
      '--worker-kills',
      '2',
      '--slack-faults',
      'slow=1,rate-limited=4',
    ]);
    expect(o).toMatchObject({ tasks: 30, workerKills: 2, serverKills: 1, seed: 1, settleMs: 600_000 });
    expect(o.slackFaults).toMatchObject({
      rateLimited: 4,
      serverErrors: 0,
      slow: 1,
      slowAnswers: 0,
      slowMs: 35_000,
    });
    expect(() => parseSlackFaults('fast=3', { retryAfterSeconds: 5, slowMs: 1 })).toThrow(
      InvalidArgumentError,
    );
    expect(parseSlackFaults('none', { retryAfterSeconds: 5, slowMs: 1 }).rateLimited).toBe(0);
    const batches = [0, 1, 2].map((b) => faultBatch(o.slackFaults, b, 3));
    expect(
      batches
        .flat()
        .filter((r) => r.kind === 'rate-limited')
        .reduce((n, r) => n + r.count, 0),
    ).toBe(4);
    expect(batches.flat().filter((r) => r.kind === 'slow')).toEqual([
      { method: 'chat.postMessage', kind: 'slow', count: 1, delayMs: 35_000 },
    ]);
  });
});
