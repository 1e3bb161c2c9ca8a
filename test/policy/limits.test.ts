import { WorkflowNotFoundError } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { TaskValidationError } from '../../client/submit-task';
import {
  limitObjections,
  MAX_NESTING,
  MAX_REQUEST_BYTES,
  MAX_STEP_PARAMS_BYTES,
  MAX_STEPS,
  MAX_TITLE_CHARS,
  MAX_TYPED_NAME,
} from '../../policy/limits';
import { validateTaskRequest } from '../../policy/validate-task';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

const policy = workflowTestPolicy();
const registry = createActionRegistry();

/** A shell step whose params are exactly `bytes` long as JSON. */
function stepOfSize(bytes: number) {
  const empty = JSON.stringify({ command: '' }).length;
  return { action: 'shell.exec', params: { command: 'x'.repeat(bytes - empty) } };
}

function errorsOf(raw: unknown): string[] {
  const result = validateTaskRequest(raw, policy, registry);
  return result.ok ? [] : result.errors;
}

describe('task size limits', () => {
  it('states the limits', () => {
    expect({ MAX_STEPS, MAX_STEP_PARAMS_BYTES, MAX_REQUEST_BYTES, MAX_TITLE_CHARS }).toEqual({
      MAX_STEPS: 50,
      MAX_STEP_PARAMS_BYTES: 64 * 1024,
      MAX_REQUEST_BYTES: 256 * 1024,
      MAX_TITLE_CHARS: 200,
    });
  });

  it('accepts a task at every limit', () => {
    const steps = Array.from({ length: MAX_STEPS }, (_, i) => appendStep(`s${i}`));
    expect(errorsOf(taskRequest('a3', 'ops', steps, { title: 't'.repeat(MAX_TITLE_CHARS) }))).toEqual([]);
    expect(errorsOf(taskRequest('a3', 'ops', [stepOfSize(MAX_STEP_PARAMS_BYTES)]))).toEqual([]);
  });

  it('refuses more than 50 steps before any other check, naming the count and the limit', () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => appendStep(`s${i}`));
    expect(errorsOf(taskRequest('a3', 'ops', steps))).toEqual([
      'steps: 10000 steps, at most 50 per task',
      'request: 712 KiB as JSON, at most 256 KiB per task',
    ]);
    expect(errorsOf(taskRequest('a3', 'ops', steps.slice(0, 51)))).toEqual([
      'steps: 51 steps, at most 50 per task',
    ]);
  });

  it('refuses a step whose params are over 64 KiB as JSON, naming the step', () => {
    const steps = [appendStep('a'), appendStep('b'), appendStep('c'), stepOfSize(80 * 1024)];
    expect(errorsOf(taskRequest('a3', 'ops', steps))).toContain('steps[3].params: 80 KiB, at most 64 KiB');
    expect(limitObjections(taskRequest('a3', 'ops', [stepOfSize(MAX_STEP_PARAMS_BYTES + 1)])).errors).toEqual(
      ['steps[0].params: 65 KiB, at most 64 KiB'],
    );
  });

  it('refuses a request over 256 KiB as JSON with that alone', () => {
    const steps = Array.from({ length: 5 }, () => stepOfSize(60 * 1024));
    expect(errorsOf(taskRequest('a3', 'ops', steps))).toEqual([
      'request: 301 KiB as JSON, at most 256 KiB per task',
    ]);
  });

  it('refuses a resource an approver could not type to confirm', () => {
    const withResource = (resource: string) => taskRequest('a3', 'ops', [appendStep('s')], { resource });
    expect(errorsOf(withResource('orders-db '))).toEqual([
      'resource: starts or ends with white space; an approver could not type it to confirm',
    ]);
    expect(errorsOf(withResource('orders\u200B-db'))).toEqual([
      'resource: contains U+200B (an invisible character) at character 7; an approver could not type it to confirm',
    ]);
    expect(errorsOf(withResource('x'.repeat(MAX_TYPED_NAME + 1)))).toEqual([
      `resource: ${MAX_TYPED_NAME + 1} characters, at most ${MAX_TYPED_NAME} (what Slack's confirmation box takes)`,
    ]);
    expect(errorsOf(withResource('x'.repeat(MAX_TYPED_NAME)))).toEqual([]);
    expect(errorsOf(withResource('orders-db'))).toEqual([]);
  });

  it('refuses a title over 200 characters once, naming its length', () => {
    const errors = errorsOf(taskRequest('a3', 'ops', [appendStep('a')], { title: 't'.repeat(250) }));
    expect(errors).toEqual(['title: 250 characters, at most 200']);
  });

  it('refuses NUL characters in any string or key, by path, alongside other problems', () => {
    const raw = taskRequest(
      'ghost',
      'ops',
      [{ action: 'shell.exec', params: { command: 'echo a\u0000b' } }],
      {
        title: 'nul\u0000title',
      },
    );
    const errors = errorsOf(raw);
    expect(errors).toEqual(
      expect.arrayContaining([
        'title: contains a NUL character (\\u0000)',
        'steps[0].params.command: contains a NUL character (\\u0000)',
        'agent.id: unknown agent "ghost" (declared: a0, a1, a2, a3, a4, a5)',
      ]),
    );
    expect(limitObjections({ steps: [{ params: { 'a\u0000b': 1 } }] }).errors).toEqual([
      'steps[0].params.a\\u0000b: key contains a NUL character (\\u0000)',
    ]);
  });

  it('refuses a request that cannot be serialised, and finds what is wrong deep inside one', () => {
    const cyclic: Record<string, unknown> = { title: 'x' };
    cyclic.self = cyclic;
    expect(limitObjections(cyclic)).toEqual({
      errors: ['request: cannot be read as JSON (a cycle, a BigInt or nesting too deep)'],
      fatal: true,
    });
    let deep: unknown = 'end\u0000';
    for (let i = 0; i < 50; i++) deep = [deep];
    const found = limitObjections({ steps: [{ params: { deep } }] });
    expect(found.errors).toHaveLength(1);
    expect(found.errors[0]).toMatch(/^steps\[0\]\.params\.deep(\[0\]){50}: contains a NUL character/);
  });

  it(`refuses nesting deeper than ${MAX_NESTING} levels with that alone, naming where`, () => {
    // 4,000 levels in 60 KB passed every size limit, then overflowed the stack of the steps hash,
    // and the agent was told to retry what could never pass.
    let deep: unknown = 'end';
    for (let i = 0; i < 4_000; i++) deep = [deep];
    const found = limitObjections({ steps: [{ params: { deep } }] });
    expect(found.fatal).toBe(true);
    expect(found.errors).toEqual([
      `steps[0].params.deep${'[0]'.repeat(MAX_NESTING - 4)}: nested more than ${MAX_NESTING} levels deep, at most ${MAX_NESTING} per task`,
    ]);
    let fits: unknown = 'end';
    for (let i = 0; i < MAX_NESTING - 4; i++) fits = [fits];
    expect(limitObjections({ steps: [{ params: { fits } }] })).toEqual({ errors: [], fatal: false });
  });

  it('refuses half of a surrogate pair in any string, by path: Slack would show another character', () => {
    expect(
      limitObjections({ title: 'x\ud800y', steps: [{ params: { a: 'ok \ud83d\ude00', b: '\udc00' } }] })
        .errors,
    ).toEqual([
      'title: contains half of a UTF-16 surrogate pair (U+D800) at character 2: no character, and Slack would show another one',
      'steps[0].params.b: contains half of a UTF-16 surrogate pair (U+DC00) at character 1: no character, and Slack would show another one',
    ]);
  });
});

describe('task size limits through the real client on the dev server', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('limits', { policy: workflowTestPolicy() });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    [
      '10,000 steps',
      taskRequest(
        'a3',
        'ops',
        Array.from({ length: 10_000 }, (_, i) => appendStep(`s${i}`)),
      ),
      ['steps: 10000 steps, at most 50 per task', 'request: 712 KiB as JSON, at most 256 KiB per task'],
    ],
    [
      '3 MB',
      taskRequest('a3', 'ops', [stepOfSize(3 * 1024 * 1024)]),
      ['request: 3073 KiB as JSON, at most 256 KiB per task'],
    ],
  ])('refuses a %s task before any workflow starts', async (_name, raw, expected) => {
    const error = await submit(stack, raw).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskValidationError);
    expect((error as TaskValidationError).errors).toEqual(expected);
    await expect(stack.client.workflow.getHandle(`task/a3/${raw.taskId}`).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );
  });
});
