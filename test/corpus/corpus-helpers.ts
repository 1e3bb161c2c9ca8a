import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';

// What every corpus file checks the same way: no stack trace in what a person or agent reads, no
// workflow started for a refused submission, the field named in the words each entry point uses.

const WORKFLOW_POLICY = join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml');

/**
 * The task workflow tests' policy with the `ops` class's host bound on `allowedHost` (e.g.
 * `127.0.0.1:23456`, a server the test runs) instead of the fixture's fixed port.
 */
export function corpusPolicy(allowedHost: string): LoadedPolicy {
  const text = readFileSync(WORKFLOW_POLICY, 'utf8');
  const moved = text.replace("hosts: ['127.0.0.1:4199']", `hosts: ['${allowedHost}']`);
  if (moved === text) throw new Error('workflow.yaml no longer bounds ops to 127.0.0.1:4199');
  const result = parsePolicy(moved, WORKFLOW_POLICY);
  if (!result.ok) throw new Error(`corpus policy refused: ${JSON.stringify(result.errors)}`);
  return result.policy;
}

/** A stack frame (`    at fn (file:1:2)`) or an uncaught error's name: what a crash leaks. */
const CRASH = /^\s+at\s.+[(:]\d|\b(TypeError|ReferenceError|RangeError|SyntaxError|Uncaught|ERR_[A-Z_]+)\b/m;

/** Expects `text` to read as an error message, not as a crash (no stack frame, no error class name). */
export function expectNoCrashText(text: string): void {
  expect(CRASH.exec(text)?.[0] ?? null).toBeNull();
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether `text` names `path` as the place of a problem, in any of the forms Ladder uses:
 * `path: message` (problem lines, the CLI), `message at path` (the MCP SDK's schema check) or
 * `Unrecognized key: "name"` for an unknown field.
 */
export function lineNaming(text: string, path: string): string | undefined {
  const lines = text.split('\n');
  const last = /[.[]?([^.[\]]+)\]?$/.exec(path)?.[1] ?? path;
  // In order of preference: a problem line that starts with the path, then the other forms.
  const forms = [
    new RegExp(`^\\s*(- )?${escape(path)}: \\S`),
    new RegExp(`(^|[\\s;])${escape(path)}: \\S`),
    new RegExp(` at ${escape(path)}$`),
    new RegExp(`Unrecognized keys?: .*"${escape(last)}"`),
  ];
  for (const form of forms) {
    const line = lines.find((l) => form.test(l));
    if (line !== undefined) return line;
  }
  return undefined;
}

/** Expects no task workflow `task/<agent>/<taskId>` to exist: a refused submission started nothing. */
export async function expectNoWorkflow(client: Client, agent: string, taskId: unknown): Promise<void> {
  if (typeof taskId !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(taskId)) return;
  await expect(client.workflow.getHandle(`task/${agent}/${taskId}`).describe()).rejects.toThrow(
    WorkflowNotFoundError,
  );
}

/**
 * The workflow ids on `taskQueue` once `expected` are all visible (visibility lags a little): a
 * check at the end of a table that nothing else was ever started there.
 */
export async function workflowsOnQueue(
  client: Client,
  taskQueue: string,
  expected: string[],
  timeoutMs = 30_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids: string[] = [];
    for await (const w of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` }))
      ids.push(w.workflowId);
    if (expected.every((id) => ids.includes(id)) || Date.now() > deadline) return ids.sort();
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs `jobs` with at most `limit` at a time (CLI and env cases start a process each). */
export async function inBatches<T>(limit: number, jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}
