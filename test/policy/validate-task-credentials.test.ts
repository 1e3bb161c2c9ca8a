import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActionRegistry } from '../../activities/actions/registry';
import { loadPolicyFile } from '../../policy/loader';
import { validateTaskRequest } from '../../policy/validate-task';

const ROOT = join(__dirname, '..', '..');
const { policy } = loadPolicyFile(join(ROOT, 'examples', 'policy.yaml'));
const registry = createActionRegistry();
const example = (file: string): Record<string, any> =>
  JSON.parse(readFileSync(join(ROOT, 'examples', 'tasks', file), 'utf8'));
const HINT =
  "carries a credential (the Authorization header); the policy's credentials section names secrets the worker injects (see credentials)";

describe('validateTaskRequest: params that carry credentials', () => {
  it('refuses an Authorization header, naming the step and param path', () => {
    const raw = example('rung3-bounded.json');
    raw.steps[0].params.headers = { authorization: 'Bearer abc' };
    const result = validateTaskRequest(raw, policy, registry);
    expect(result.ok ? [] : result.errors).toEqual([
      `steps[0].params.headers.authorization: ${HINT.replace('Authorization', 'authorization')}`,
    ]);
  });

  it('refuses a credential-shaped string anywhere in any step, undo requests included', () => {
    const raw = example('rung3-bounded.json');
    raw.steps.push({
      action: 'shell.exec',
      params: { command: `curl -H 'Authorization: Bearer ${'t0k'.repeat(8)}' http://127.0.0.1:4100/x` },
    });
    raw.steps[0].params.undo = {
      method: 'POST',
      url: 'http://127.0.0.1:4100/deploys',
      headers: { 'X-Deploy-Token': 'abc' },
    };
    const result = validateTaskRequest(raw, policy, registry);
    expect(result.ok ? [] : result.errors.map((e) => e.split(';')[0])).toEqual([
      'steps[0].params.undo.headers.X-Deploy-Token: carries a credential (the X-Deploy-Token header)',
      'steps[1].params.command: carries a credential (a Bearer token)',
    ]);
  });

  it('reports carried credentials alongside shape errors, so one round shows everything', () => {
    const raw = example('rung3-bounded.json');
    raw.title = '';
    raw.steps[0].params.headers = { Authorization: 'x' };
    const result = validateTaskRequest(raw, policy, registry);
    expect(result.ok ? [] : result.errors).toEqual([
      'title: expected a title',
      `steps[0].params.headers.Authorization: ${HINT}`,
    ]);
  });

  it('never echoes the credential in the error', () => {
    const secret = `ghp_${'Q'.repeat(36)}`;
    const raw = example('rung3-bounded.json');
    raw.steps[0].params.body.note = secret;
    const result = validateTaskRequest(raw, policy, registry);
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain(secret);
  });
});
