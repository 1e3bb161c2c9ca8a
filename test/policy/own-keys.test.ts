import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActionRegistry } from '../../activities/actions/registry';
import { decide } from '../../policy/decide';
import { loadPolicyFile } from '../../policy/loader';
import { own } from '../../policy/own';
import { taskRequestSchema } from '../../policy/task';
import { validateTaskRequest } from '../../policy/validate-task';

// Ids given by a user are looked up as the policy's own keys only: names that exist on every object
// through Object.prototype are unknown like any other, never accepted and never a crash.

const ROOT = join(__dirname, '..', '..');
const { policy } = loadPolicyFile(join(ROOT, 'examples', 'policy.yaml'));
const registry = createActionRegistry();
const base = JSON.parse(readFileSync(join(ROOT, 'examples', 'tasks', 'rung3-bounded.json'), 'utf8'));
const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
const NO_USAGE = { countToday: 0, costTodayUsd: 0 };

function task(edit: (t: any) => void): any {
  const t = structuredClone(base);
  edit(t);
  return t;
}

describe('own(record, key)', () => {
  it('finds own keys only', () => {
    expect(own({ a: 1 }, 'a')).toBe(1);
    for (const name of PROTO_NAMES) expect(own({ a: 1 }, name)).toBeUndefined();
    expect(own(undefined, 'a')).toBeUndefined();
  });
});

describe('validateTaskRequest with prototype names', () => {
  it.each(PROTO_NAMES)('refuses agent id %s with a clear error', (name) => {
    const result = validateTaskRequest(
      task((t) => (t.agent.id = name)),
      policy,
      registry,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(
      /^agent\.id: (unknown agent "\w+" \(declared: ops-agent, release-agent, support-agent\)|expected an agent id as declared in the policy)$/,
    );
  });

  it('names constructor as an unknown agent', () => {
    const result = validateTaskRequest(
      task((t) => (t.agent.id = 'constructor')),
      policy,
      registry,
    );
    expect(result.ok ? [] : result.errors).toEqual([
      'agent.id: unknown agent "constructor" (declared: ops-agent, release-agent, support-agent)',
    ]);
  });

  it.each(PROTO_NAMES)('refuses task class %s with a clear error, not a TypeError', (name) => {
    const result = validateTaskRequest(
      task((t) => (t.taskClass = name)),
      policy,
      registry,
    );
    expect(result.ok ? [] : result.errors).toEqual([
      `taskClass: unknown task class "${name}" (declared: config-change, deploy, customer-email, db-migration)`,
    ]);
  });

  it('refuses an undeclared environment, suggesting the declared one', () => {
    const result = validateTaskRequest(
      task((t) => (t.environment = 'prod')),
      policy,
      registry,
    );
    expect(result.ok ? [] : result.errors).toEqual([
      'environment: unknown environment "prod" (declared: dev, staging, production); did you mean "production"?',
    ]);
  });

  it('refuses an undeclared environment alongside shape errors', () => {
    const result = validateTaskRequest(
      task((t) => {
        t.environment = 'qa';
        t.title = '';
      }),
      policy,
      registry,
    );
    expect(result.ok ? [] : result.errors).toEqual([
      'title: expected a title',
      'environment: unknown environment "qa" (declared: dev, staging, production)',
    ]);
  });
});

describe('decide with prototype names', () => {
  it.each(PROTO_NAMES)('refuses agent %s as unknown', (name) => {
    const input = { ...taskRequestSchema.parse(base), agent: { ...base.agent, id: name } };
    const decision = decide(policy, null, input, NO_USAGE);
    expect(decision.refused).toEqual({
      rule: 'unknown-agent',
      message: `agent "${name}" is not declared in policy ${policy.versionId}`,
    });
    expect(decision.effectiveRung).toBe(0);
  });

  it.each(PROTO_NAMES)('refuses task class %s as unknown, with or without ledger state', (name) => {
    const input = { ...taskRequestSchema.parse(base), taskClass: name };
    for (const state of [null, { earnedRungs: {}, classCaps: {} }]) {
      const decision = decide(policy, state, input, NO_USAGE);
      expect(decision.refused).toEqual({
        rule: 'unknown-task-class',
        message: `task class "${name}" is not declared in policy ${policy.versionId}`,
      });
      expect(decision.approvers).toEqual([]);
    }
  });
});
