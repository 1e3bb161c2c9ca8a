import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createActionRegistry } from '../../activities/actions/registry';
import { loadPolicyFile } from '../../policy/loader';
import { maySubmitFor } from '../../policy/submitters';
import { validateTaskRequest } from '../../policy/validate-task';

const ROOT = join(__dirname, '..', '..');
const { policy } = loadPolicyFile(join(ROOT, 'examples', 'policy.yaml'));
const registry = createActionRegistry();
const exampleTasks = readdirSync(join(ROOT, 'examples', 'tasks')).map(
  (f) => [f, JSON.parse(readFileSync(join(ROOT, 'examples', 'tasks', f), 'utf8'))] as const,
);

describe('validateTaskRequest', () => {
  it.each(exampleTasks)('accepts the example task %s', (_file, raw) => {
    const result = validateTaskRequest(raw, policy, registry);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each(exampleTasks)('lets the requester of %s submit it on the agent’s behalf', (_file, raw) => {
    // `ladder submit` is a person submitting for an agent: the README's examples must be allowed.
    expect(maySubmitFor(policy, raw.requester, raw.agent.id, raw.taskClass)).toBe(true);
  });

  it('normalises step params through their handler (defaults filled in)', () => {
    const raw = exampleTasks.find(([f]) => f === 'rung2-confirm.json')![1];
    const result = validateTaskRequest(raw, policy, registry);
    expect(result.ok && result.task.steps[0].params).toMatchObject({ cwd: '.', timeoutMs: 60_000 });
  });

  it('reports every problem at once, each with its path', () => {
    const result = validateTaskRequest(
      {
        taskId: 'bad id!',
        agent: { id: 'ops-agent', model: 'm', promptVersion: 'p' },
        taskClass: 'deploy',
        title: '',
        requester: 'bob',
        environment: 'staging',
        steps: [],
      },
      policy,
      registry,
    );
    expect(result.ok ? [] : result.errors.map((e) => e.split(':')[0])).toEqual([
      'taskId',
      'title',
      'requester',
      'steps',
    ]);
  });

  it('names an unknown action type with the known ones', () => {
    const raw = structuredClone(exampleTasks.find(([f]) => f === 'rung3-bounded.json')![1]);
    raw.steps[0].action = 'k8s.delete';
    const result = validateTaskRequest(raw, policy, registry);
    expect(result.ok ? [] : result.errors).toEqual([
      'steps[0].action: "k8s.delete" is not allowed for task class "deploy" (allowed: http.request, shell.exec)',
      'steps[0].action: unknown action type "k8s.delete" (known: config.set, file.write, http.request, shell.exec)',
    ]);
  });
});
