import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/main';
import { runLadder } from '../helpers/cli';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { workflowTestPolicy } from '../helpers/tasks';
import {
  expectNoCrashText,
  expectNoWorkflow,
  inBatches,
  lineNaming,
  workflowsOnQueue,
} from './corpus-helpers';
import { basePolicyText, caseFileName, POLICY_CASES, POLICY_SOURCE } from './policy-cases';
import { goodBody, TASK_CASES, type AgentBody, type TaskCase } from './task-cases';

// The bad-input corpus through the `ladder` CLI: every task case of the shared table as a file
// given to `ladder submit`, every policy case given to `ladder policy check`, and bad arguments.
// Commands run in-process through runCli (the same code the binary runs, with the same
// environment variables), and a sample of each table runs as the built binary, in its own process,
// to show the process exits with the message and no stack trace.

interface Run {
  code: number;
  out: string;
  err: string;
}

async function ladder(...args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The task request `ladder submit` reads: the agent's body with the agent named, as a file holds it. */
function requestText(c: TaskCase, good: AgentBody): string {
  const agent = { id: 'a3', model: 'm', promptVersion: 'p' };
  if (c.raw) return c.raw(good).replace(/^\{/, `{"agent":${JSON.stringify(agent)},`);
  const body = c.body(good);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return JSON.stringify(body);
  const { model, promptVersion, ...rest } = body as Record<string, unknown>;
  return JSON.stringify({
    ...rest,
    agent: {
      ...agent,
      ...(model !== undefined ? { model } : {}),
      ...(promptVersion !== undefined ? { promptVersion } : {}),
    },
  });
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Where the CLI names a field the agent's API names at the top level. */
const cliPath = (path: string): string => (/^(model|promptVersion)\b/.test(path) ? `agent.${path}` : path);

describe('bad-input corpus: ladder CLI', () => {
  let stack: TestStack;
  let dir: string;
  const saved: Record<string, string | undefined> = {};
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startTestStack('corpus-cli', { policy: workflowTestPolicy() });
    dir = mkdtempSync(join(tmpdir(), 'ladder-corpus-cli-'));
    env = {
      TEMPORAL_ADDRESS: stack.address,
      LADDER_TASK_QUEUE: stack.taskQueue,
      LADDER_POLICY_PATH: POLICY_SOURCE,
      TEMPORAL_UI_URL: 'http://ui.test',
    };
    // runCli reads its configuration from the environment, as the binary does.
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    // The token registry runs, with its authority loaded, before the token cases refuse anything:
    // a refusal by a registry still loading it wedges the registry (see the corpus README).
    expect((await ladder('agent', 'token', 'create', 'a3', '--as', 'U0ADMIN01')).code).toBe(0);
  });
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await stack?.stop();
  });

  /** Writes a case's task file; returns its path and the good body it was built from. */
  function taskFile(c: TaskCase): { file: string; good: AgentBody } {
    const good = goodBody();
    const file = join(dir, `${good.taskId}.json`);
    writeFileSync(file, requestText(c, good));
    return { file, good };
  }

  /** The refusal of a task file: exit 1, the file named, every expected field on its own line. */
  function expectTaskRefusal(c: TaskCase, file: string, run: Run): void {
    expect([run.code, run.out]).toEqual([1, '']);
    expect(run.err).toMatch(new RegExp(`^${escape(file)}: invalid task request:\n`));
    for (const want of c.errors) {
      const line = lineNaming(run.err, cliPath(want.path));
      expect([want.path, line ?? `no line names it in:\n${run.err}`]).toEqual([
        want.path,
        expect.stringMatching(want.message),
      ]);
    }
    expectNoCrashText(run.err);
  }

  describe('ladder submit <task file> (shared table)', () => {
    test.each(TASK_CASES.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const { file, good } = taskFile(c);
      const run = await ladder('submit', file);
      expectTaskRefusal(c, file, run);
      await expectNoWorkflow(stack.client, 'a3', good.taskId);
    });

    it('refuses them the same way as the built binary, in its own process (a sample)', async () => {
      // A process each, so a few: what the binary adds to runCli is the exit code and the stream.
      const sample = ['body is an array', '10,000 steps', 'a __proto__ key in shell params'].map((name) =>
        TASK_CASES.find((c) => c.name === name)!,
      );
      const runs = await inBatches(
        3,
        sample.map((c) => async () => {
          const { file, good } = taskFile(c);
          return { c, file, good, run: await runLadder(env, 'submit', file) };
        }),
      );
      for (const { c, file, good, run } of runs) {
        expectTaskRefusal(c, file, { ...run, err: run.err.trimEnd() });
        await expectNoWorkflow(stack.client, 'a3', good.taskId);
      }
    });
  });

  describe('ladder policy check <file> (shared table)', () => {
    const base = basePolicyText();
    const policyDir = () => join(dir, 'policies');
    beforeAll(() => mkdirSync(policyDir(), { recursive: true }));

    test.each(POLICY_CASES.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const { text, line } = c.text(base);
      const file = join(policyDir(), caseFileName(c));
      writeFileSync(file, text);
      const run = await ladder('policy', 'check', file);
      expect(run.code).toBe(1);
      // Warnings come first, then `<file>: N errors:` and one line per error.
      expect(run.err).toMatch(new RegExp(`^${escape(file)}: \\d+ errors?:$`, 'm'));
      const at = line !== undefined ? `line ${line}: ` : '(?:line \\d+: )?';
      const message = c.error.message.source.replace(/^\^/, '');
      expect(run.err).toMatch(
        new RegExp(`^ {2}${at}${escape(c.error.path)}: .*?(?:${message})`, `m${c.error.message.flags}`),
      );
      expectNoCrashText(run.err);
    });

    it('refuses them as the built binary too, in its own process (a sample)', async () => {
      const sample = ['an alias bomb (billion laughs)', 'a NUL byte', 'a cap of 9'].map((name) =>
        POLICY_CASES.find((c) => c.name === name)!,
      );
      const runs = await inBatches(
        3,
        sample.map((c) => async () => {
          const file = join(policyDir(), `bin-${caseFileName(c)}`);
          writeFileSync(file, c.text(base).text);
          return { c, run: await runLadder(env, 'policy', 'check', file) };
        }),
      );
      for (const { c, run } of runs) {
        expect([c.name, run.code]).toEqual([c.name, 1]);
        expect(run.err).toContain(`${c.error.path}: `);
        expectNoCrashText(run.err);
      }
    });
  });

  /** Bad arguments, options and files: the exit code and what the CLI says. */
  interface ArgCase {
    family: string;
    name: string;
    args: () => string[];
    code: number;
    says: RegExp;
  }
  const file = (name: string, content: string | Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const GOOD_TASK = () =>
    file(
      'good-task.json',
      JSON.stringify({ ...goodBody(), agent: { id: 'a3', model: 'm', promptVersion: 'p' } }),
    );
  const ARGS: ArgCase[] = [
    {
      family: 'usage',
      name: 'an unknown command',
      args: () => ['approve-everything'],
      code: 2,
      says: /unknown command 'approve-everything'/,
    },
    {
      family: 'usage',
      name: 'policy check without a file',
      args: () => ['policy', 'check'],
      code: 2,
      says: /missing required argument 'file'/,
    },
    {
      family: 'usage',
      name: 'freeze without --as',
      args: () => ['freeze', '--reason', 'x'],
      code: 2,
      says: /required option '--as <userId>' not specified/,
    },
    {
      family: 'usage',
      name: 'an unknown option',
      args: () => ['submit', GOOD_TASK(), '--force'],
      code: 2,
      says: /unknown option '--force'/,
    },
    {
      family: 'types',
      name: '--count-today -1',
      args: () => ['policy', 'explain', POLICY_SOURCE, GOOD_TASK(), '--count-today', '-1'],
      code: 1,
      says: /^--count-today: expected a number ≥ 0, got "-1"$/,
    },
    {
      family: 'types',
      name: '--cost-today Infinity',
      args: () => ['policy', 'explain', POLICY_SOURCE, GOOD_TASK(), '--cost-today', 'Infinity'],
      code: 1,
      says: /^--cost-today: expected a number ≥ 0, got "Infinity"$/,
    },
    {
      family: 'types',
      name: '--cost-today empty',
      args: () => ['policy', 'explain', POLICY_SOURCE, GOOD_TASK(), '--cost-today', ''],
      code: 1,
      says: /^--cost-today: expected a number ≥ 0, got ""$/,
    },
    {
      family: 'types',
      name: 'freeze --cap 9',
      args: () => ['freeze', '--as', 'U0ADMIN01', '--reason', 'x', '--cap', '9'],
      code: 1,
      says: /^--cap: expected a rung from 0 to 5, got "9"$/,
    },
    {
      family: 'types',
      name: 'freeze --cap 1.5',
      args: () => ['freeze', '--as', 'U0ADMIN01', '--reason', 'x', '--cap', '1.5'],
      code: 1,
      says: /^--cap: expected a rung from 0 to 5, got "1\.5"$/,
    },
    {
      family: 'types',
      name: 'respond with an unknown answer',
      args: () => ['respond', 'task/a3/x', 'yolo', '--as', 'U0ADMIN01'],
      code: 1,
      says: /^unknown answer "yolo": expected approve, edit, reject, done, /,
    },
    {
      family: 'types',
      name: 'keys create with both --person and --frontend',
      args: () => ['keys', 'create', '--person', 'U0ADMIN01', '--frontend', 'slack'],
      code: 1,
      says: /^give exactly one of --person or --frontend$/,
    },
    {
      family: 'types',
      name: 'keys create --person by name',
      args: () => ['keys', 'create', '--person', 'bob'],
      code: 1,
      says: /^--person: expected a Slack user id such as U012ABC, got "bob"$/,
    },
    {
      family: 'paths',
      name: 'keys create --frontend climbing out',
      args: () => ['keys', 'create', '--frontend', '../../etc/passwd'],
      code: 1,
      says: /^--frontend: expected an id of letters, digits/,
    },
    {
      family: 'paths',
      name: 'policy check of a folder',
      args: () => ['policy', 'check', dir],
      code: 1,
      says: /: cannot read the policy file \(it is a folder\)$/,
    },
    {
      family: 'paths',
      name: 'policy check of /dev/zero (endless)',
      args: () => ['policy', 'check', '/dev/zero'],
      code: 1,
      says: /^\/dev\/zero: cannot read the policy file \(not a regular file: a device, FIFO or socket\)$/,
    },
    {
      family: 'paths',
      name: 'policy check of a FIFO (blocks on open)',
      args: () => {
        const fifo = join(dir, 'fifo');
        execFileSync('mkfifo', [fifo]);
        return ['policy', 'check', fifo];
      },
      code: 1,
      says: /fifo: cannot read the policy file \(not a regular file/,
    },
    {
      family: 'paths',
      name: 'policy explain of a task that is /dev/zero',
      args: () => ['policy', 'explain', POLICY_SOURCE, '/dev/zero'],
      code: 1,
      says: /^\/dev\/zero: cannot read the task file \(not a regular file/,
    },
    {
      family: 'paths',
      name: 'submit /dev/zero (endless)',
      args: () => ['submit', '/dev/zero'],
      code: 1,
      says: /^\/dev\/zero: cannot read the task request \(not a regular file: a device, FIFO or socket\)$/,
    },
    {
      family: 'paths',
      name: 'policy sign of /dev/zero (endless)',
      args: () => ['policy', 'sign', '/dev/zero', '--as', 'U0ADMIN01'],
      code: 1,
      says: /^\/dev\/zero: cannot read the policy file \(not a regular file/,
    },
    {
      family: 'prototype-keys',
      name: 'respond with the answer constructor',
      args: () => ['respond', 'task/a3/x', 'constructor', '--as', 'U0ADMIN01'],
      code: 1,
      says: /^unknown answer "constructor": expected approve, edit, reject, done, dismiss, accept, decline, read, ran, run-again or undo$/,
    },
    {
      family: 'paths',
      name: 'submit a file that does not exist',
      args: () => ['submit', join(dir, 'nope.json')],
      code: 1,
      says: /nope\.json: no such file$/,
    },
    {
      family: 'types',
      name: 'submit an empty file',
      args: () => ['submit', file('empty.json', '')],
      code: 1,
      says: /empty\.json: not valid JSON \(Unexpected end of JSON input\)$/,
    },
    {
      family: 'types',
      name: 'submit a YAML file',
      args: () => ['submit', file('task.yaml', 'taskId: x\n')],
      code: 1,
      says: /task\.yaml: not valid JSON/,
    },
    {
      family: 'control-characters',
      name: 'submit binary garbage',
      args: () => ['submit', file('garbage.json', Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0x5b]))],
      code: 1,
      says: /garbage\.json: not valid JSON/,
    },
    {
      family: 'paths',
      name: 'status of a workflow id climbing out of task/',
      args: () => ['status', 'task/a3/../../ledger/x'],
      code: 1,
      says: /^task\/a3\/\.\.\/\.\.\/ledger\/x: workflow not found/,
    },
    {
      family: 'prototype-keys',
      name: 'status of task/a3/__proto__',
      args: () => ['status', 'task/a3/__proto__'],
      code: 1,
      says: /^task\/a3\/__proto__: workflow not found/,
    },
    {
      family: 'prototype-keys',
      name: 'cancel task/__proto__/x',
      args: () => ['cancel', 'task/__proto__/x'],
      code: 1,
      says: /^task\/__proto__\/x: workflow not found/,
    },
    {
      family: 'unknown-ids',
      name: 'respond as someone with no key',
      args: () => ['respond', 'task/a3/x', 'approve', '--as', 'U0NOKEY99'],
      code: 1,
      says: /^no answer key for U0NOKEY99 at /,
    },
    {
      family: 'prototype-keys',
      name: 'agent token for agent constructor',
      args: () => ['agent', 'token', 'create', 'constructor', '--as', 'U0ADMIN01'],
      code: 1,
      says: /^Refused: unknown agent "constructor" \(declared: a0, a1, a2, a3, a4, a5\)$/,
    },
    {
      family: 'unknown-ids',
      name: 'agent token for an agent the policy does not declare',
      args: () => ['agent', 'token', 'create', 'ghost-agent', '--as', 'U0ADMIN01'],
      code: 1,
      says: /^Refused: unknown agent "ghost-agent" \(declared: a0, a1, a2, a3, a4, a5\)$/,
    },
    {
      family: 'unknown-ids',
      name: 'revoke a token that does not exist',
      args: () => ['agent', 'token', 'revoke', 'a3', '0000000000000000', '--as', 'U0ADMIN01'],
      code: 1,
      says: /^Refused: /,
    },
  ];

  describe('arguments, options and files', () => {
    test.each(ARGS.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      const run = await ladder(...c.args());
      // Warnings about the policy may come first; the rest is the message.
      const message = run.err
        .split('\n')
        .filter((l) => !/: warning: /.test(l))
        .join('\n');
      expect([run.code, message]).toEqual([c.code, expect.stringMatching(c.says)]);
      expectNoCrashText(run.err);
    });
  });

  it('still submits a good task, and none of the refused ones ever started', async () => {
    const good = { ...goodBody(), agent: { id: 'a3', model: 'm', promptVersion: 'p' } };
    const path = file(`${good.taskId}.json`, JSON.stringify(good));
    const run = await ladder('submit', path);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`Submitted: task/a3/${good.taskId}`);
    const started = [`task/a3/${good.taskId}`];
    const ids = await workflowsOnQueue(stack.client, stack.taskQueue, started);
    expect(ids.filter((id) => id.startsWith('task/'))).toEqual(started);
  });
});
