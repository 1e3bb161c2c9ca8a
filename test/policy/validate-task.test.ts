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
        agent: { id: 'ops-agent', model: 'claude-sonnet-4-5', promptVersion: 'ops-v7' },
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

describe('validateTaskRequest: what the run would refuse is refused at submission', () => {
  /** The example deploy task (rung 2 in production) with `steps`. */
  const deploy = (steps: unknown[]) => ({
    taskId: 't-bounds',
    agent: { id: 'ops-agent', model: 'claude-sonnet-4-5', promptVersion: 'ops-v7' },
    taskClass: 'deploy',
    title: 'Release',
    requester: 'U0SRE0001',
    environment: 'production',
    steps,
  });
  const errorsOf = (raw: unknown): string[] => {
    const result = validateTaskRequest(raw, policy, registry);
    return result.ok ? [] : result.errors;
  };

  it('refuses a step whose URLs leave the class’s host bound, before any step could run', () => {
    // Approved, the first step would run and the second fail at its host check: half applied.
    expect(
      errorsOf(
        deploy([
          { action: 'shell.exec', params: { command: 'echo deployed' } },
          {
            action: 'http.request',
            params: {
              method: 'POST',
              url: 'http://127.0.0.1:4100/release',
              undo: { method: 'POST', url: 'https://deploy.example.com/undo' },
              healthUrl: 'http://[::1]:4100/health',
            },
          },
        ]),
      ),
    ).toEqual([
      'steps[1].params.undo.url: host "deploy.example.com" is not allowed (allowed: 127.0.0.1:4100)',
      'steps[1].params.healthUrl: host "[::1]:4100" is not allowed (allowed: 127.0.0.1:4100)',
    ]);
  });

  it('refuses a password in a URL even inside the bound, without echoing it', () => {
    const errors = errorsOf(
      deploy([
        {
          action: 'http.request',
          params: { method: 'POST', url: 'http://admin:hunter2@127.0.0.1:4100/deploy' },
        },
      ]),
    );
    expect(errors).toEqual([
      'steps[0].params.url: "http://…@127.0.0.1:4100/deploy" carries a user name or password: refused (it hides the real host 127.0.0.1:4100)',
    ]);
    expect(errors.join('\n')).not.toContain('hunter2');
  });

  it('refuses header names and values fetch could not send, naming the header', () => {
    expect(
      errorsOf(
        deploy([
          {
            action: 'http.request',
            params: {
              method: 'GET',
              url: 'http://127.0.0.1:4100/status',
              headers: { 'X-Bad\r\nInjected': 'v', 'X-Euro': '€', 'X-Fine': 'café\tok' },
            },
          },
        ]),
      ),
    ).toEqual([
      'steps[0].params.headers["X-Bad\\r\\nInjected"]: not a valid header name (letters, digits and !#$%&\'*+.^_`|~- only)',
      'steps[0].params.headers.X-Euro: a header value may hold no line break, NUL or character above U+00FF',
    ]);
  });

  it('checks a config.set reload URL against the bound too', () => {
    const raw = {
      ...deploy([
        {
          action: 'config.set',
          params: { file: 'flags.json', set: { a: 1 }, reloadUrl: 'http://evil.example/reload' },
        },
      ]),
      taskClass: 'config-change',
      environment: 'staging',
    };
    expect(errorsOf(raw)).toContainEqual(
      'steps[0].params.reloadUrl: host "evil.example" is not allowed (allowed: 127.0.0.1:4100)',
    );
  });

  it('refuses a step whose params hold a huge array with the size limit, not a crash', () => {
    const raw = deploy([{ action: 'shell.exec', params: { command: 'ls', x: new Array(130_000).fill(0) } }]);
    expect(errorsOf(raw)).toContain('steps[0].params: 254 KiB, at most 64 KiB');
  });
});

describe("validateTaskRequest: the agent's model and prompt version are the policy's", () => {
  const task = (agent: Record<string, unknown>) => ({
    ...exampleTasks.find(([f]) => f === 'rung3-bounded.json')![1],
    agent: { id: 'ops-agent', model: 'claude-sonnet-4-5', promptVersion: 'ops-v7', ...agent },
  });
  const errorsOf = (raw: unknown): string[] => {
    const result = validateTaskRequest(raw, policy, registry);
    return result.ok ? [] : result.errors;
  };

  it('accepts the declared pair, and takes it into the task as it is', () => {
    const result = validateTaskRequest(task({}), policy, registry);
    expect(result.ok && result.task.agent).toEqual({
      id: 'ops-agent',
      model: 'claude-sonnet-4-5',
      promptVersion: 'ops-v7',
    });
  });

  it('refuses another model, naming the field, what was sent and what the policy declares', () => {
    expect(errorsOf(task({ model: 'claude-opus-5' }))).toEqual([
      'agent.model: "claude-opus-5" is not what the policy declares for ops-agent ("claude-sonnet-4-5"); send that (the agent API fills it in when left out), or have an operator change agents.ops-agent.model in the policy',
    ]);
  });

  it('refuses the old model after operators upgraded the declaration: the agent keeps no earned rung by it', () => {
    const upgraded = structuredClone(policy);
    upgraded.agents['ops-agent'].model = 'claude-opus-5';
    const result = validateTaskRequest(task({ model: 'claude-sonnet-4-5' }), upgraded, registry);
    expect(result.ok ? [] : result.errors).toEqual([
      expect.stringMatching(
        /^agent\.model: "claude-sonnet-4-5" is not what the policy declares for ops-agent \("claude-opus-5"\)/,
      ),
    ]);
    expect(validateTaskRequest(task({ model: 'claude-opus-5' }), upgraded, registry).ok).toBe(true);
  });

  it('refuses another prompt version too, and both at once', () => {
    expect(errorsOf(task({ promptVersion: 'ops-v6' }))).toEqual([
      expect.stringMatching(
        /^agent\.promptVersion: "ops-v6" is not what the policy declares for ops-agent \("ops-v7"\)/,
      ),
    ]);
    expect(errorsOf(task({ model: 'x', promptVersion: 'y' })).map((e) => e.split(':')[0])).toEqual([
      'agent.model',
      'agent.promptVersion',
    ]);
  });

  it('reports a wrong model beside shape errors, so every problem shows at once', () => {
    const errors = errorsOf({ ...task({ model: 'gpt-x' }), title: '' });
    expect(errors.map((e) => e.split(':')[0])).toEqual(['title', 'agent.model']);
  });

  it('shows a long or hidden-character model escaped and cut, never as sent', () => {
    const [long] = errorsOf(task({ model: 'm'.repeat(5000) }));
    expect(long.length).toBeLessThan(600);
    expect(long).toContain('…" (5000 characters)');
    const [hidden] = errorsOf(task({ model: 'claude\u202Eopus' }));
    expect(hidden).toContain('"claude\\u202Eopus"');
    expect(hidden).not.toContain('\u202E');
  });

  it('checks nothing for an agent whose declaration is empty (no pair to hold the agent to)', () => {
    const undeclared = structuredClone(policy);
    (undeclared.agents['ops-agent'] as { model: string }).model = '';
    expect(errorsOf(task({ model: 'anything' }))).not.toEqual([]);
    expect(validateTaskRequest(task({ model: 'anything' }), undeclared, registry).ok).toBe(true);
  });
});
