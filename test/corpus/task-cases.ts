import { randomUUID } from 'node:crypto';

// Bad task submissions, as an agent sends them (no `agent`: the agent is whoever holds the token).
// One table for every entry point that takes a task: the HTTP API, the MCP server's request_action
// and `ladder submit` (which adds the agent). Each case says which fields the refusal must name and
// what each message must say, in words every entry point uses.

/** The families the issue asks for (issue 10, item 9), as the README counts them. */
export type TaskFamily =
  | 'types'
  | 'sizes'
  | 'control-characters'
  | 'paths'
  | 'shell-metacharacters'
  | 'urls-and-hosts'
  | 'prototype-keys'
  | 'policy-references';

/** A good task as the agent `a3` (rung 3 in `ops`, staging inside the bounds) would send it. */
export interface AgentBody {
  taskId: string;
  taskClass: string;
  title: string;
  requester: string;
  environment: string;
  steps: { action: string; params: Record<string, unknown>; costUsd?: number }[];
  [key: string]: unknown;
}

/** What a refusal must name: the field's path and what its message says there. */
export interface ExpectedError {
  path: string;
  message: RegExp;
}

export interface TaskCase {
  family: TaskFamily;
  name: string;
  /** The body sent, built from a fresh good body (its taskId unique per call). */
  body: (good: AgentBody) => unknown;
  /** JSON text to send instead of `JSON.stringify(body)` (for what JSON.stringify cannot write). */
  raw?: (good: AgentBody) => string;
  errors: ExpectedError[];
}

/** A fresh good body: one sandboxed shell step, inside a3's rung-3 bounds. */
export function goodBody(): AgentBody {
  return {
    taskId: `corpus-${randomUUID().slice(0, 12)}`,
    taskClass: 'ops',
    title: 'corpus task',
    requester: 'U0APPR001',
    environment: 'staging',
    steps: [{ action: 'shell.exec', params: { command: 'echo corpus >> effects.log' } }],
  };
}

const withField = (key: string, value: unknown) => (g: AgentBody) => ({ ...g, [key]: value });
const withStep = (step: unknown) => (g: AgentBody) => ({ ...g, steps: [step] });
const withParams = (action: string, params: unknown) => withStep({ action, params });
const shell = (params: Record<string, unknown>) => withParams('shell.exec', params);
const http = (params: Record<string, unknown>) => withParams('http.request', params);
const e = (path: string, message: RegExp): ExpectedError => ({ path, message });

/** Zod's word for a wrong type, as our messages and the SDK's both put it. */
const TYPE = /expected|invalid/i;
const NUL = /NUL character/;
const HIDDEN = /contains U\+[0-9A-F]{4} \(a (control character|line separator|bidirectional control)\)/;
const ID_CHARS = /letters, digits/;
const ENV = /environment name/;
const REQUESTER = /Slack user id/;
const URL_WORDS = /http\(s\) URL/;
const PROTO = /a key named "__proto__" is refused/;
/** A character in params that reorders the text around it, as every entry point words it. */
const REORDERS = (code: string, name: string, at: number): RegExp =>
  new RegExp(`holds U\\+${code} \\(${name}\\) at character ${at}; it would show reordered to the approver`);
/** A character in params that shows as nothing. */
const SHOWS_NOTHING = (code: string, name: string, at: number): RegExp =>
  new RegExp(`holds U\\+${code} \\(${name}\\) at character ${at}; it shows as nothing to the approver`);

/** A shell command of exactly `bytes` bytes of params as JSON. */
function paramsOfSize(bytes: number): Record<string, unknown> {
  const empty = JSON.stringify({ command: '' }).length;
  return { command: 'x'.repeat(bytes - empty) };
}

function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

export const TASK_CASES: TaskCase[] = [
  // --- wrong types -------------------------------------------------------------------------------
  { family: 'types', name: 'body is an array', body: () => [], errors: [e('(root)', TYPE)] },
  { family: 'types', name: 'body is a string', body: () => 'deploy it', errors: [e('(root)', TYPE)] },
  { family: 'types', name: 'body is a number', body: () => 42, errors: [e('(root)', TYPE)] },
  { family: 'types', name: 'body is null', body: () => null, errors: [e('(root)', TYPE)] },
  { family: 'types', name: 'body is true', body: () => true, errors: [e('(root)', TYPE)] },
  { family: 'types', name: 'body is an empty object', body: () => ({}), errors: [e('taskId', /task id/)] },
  {
    family: 'types',
    name: 'taskId is a number',
    body: withField('taskId', 7),
    errors: [e('taskId', /task id/)],
  },
  {
    family: 'types',
    name: 'taskId is null',
    body: withField('taskId', null),
    errors: [e('taskId', /task id/)],
  },
  {
    family: 'types',
    name: 'taskId is an object',
    body: withField('taskId', { id: 'x' }),
    errors: [e('taskId', /task id/)],
  },
  {
    family: 'types',
    name: 'taskId is an array',
    body: withField('taskId', ['a']),
    errors: [e('taskId', /task id/)],
  },
  {
    family: 'types',
    name: 'taskClass is a number',
    body: withField('taskClass', 3),
    errors: [e('taskClass', TYPE)],
  },
  {
    family: 'types',
    name: 'taskClass is empty',
    body: withField('taskClass', ''),
    errors: [e('taskClass', /task class/)],
  },
  { family: 'types', name: 'title is a number', body: withField('title', 12), errors: [e('title', TYPE)] },
  {
    family: 'types',
    name: 'title is a list',
    body: withField('title', ['a', 'b']),
    errors: [e('title', TYPE)],
  },
  {
    family: 'types',
    name: 'title is empty',
    body: withField('title', ''),
    errors: [e('title', /expected a title/)],
  },
  {
    family: 'types',
    name: 'requester is a number',
    body: withField('requester', 1),
    errors: [e('requester', TYPE)],
  },
  {
    family: 'types',
    name: 'requester is a name, not a user id',
    body: withField('requester', 'bob'),
    errors: [e('requester', REQUESTER)],
  },
  {
    family: 'types',
    name: 'requester is a lower-case user id',
    body: withField('requester', 'u0appr001'),
    errors: [e('requester', REQUESTER)],
  },
  {
    family: 'types',
    name: 'environment is a boolean',
    body: withField('environment', true),
    errors: [e('environment', TYPE)],
  },
  {
    family: 'types',
    name: 'environment has upper case and space',
    body: withField('environment', 'Prod East'),
    errors: [e('environment', ENV)],
  },
  {
    family: 'types',
    name: 'steps is an object',
    body: withField('steps', { 0: { action: 'shell.exec', params: {} } }),
    errors: [e('steps', TYPE)],
  },
  {
    family: 'types',
    name: 'steps is a string',
    body: withField('steps', 'echo hi'),
    errors: [e('steps', TYPE)],
  },
  {
    family: 'types',
    name: 'steps is empty',
    body: withField('steps', []),
    errors: [e('steps', /at least one step/)],
  },
  {
    family: 'types',
    name: 'a step is null',
    body: withField('steps', [null]),
    errors: [e('steps[0]', TYPE)],
  },
  {
    family: 'types',
    name: 'a step is a string',
    body: withField('steps', ['shell.exec']),
    errors: [e('steps[0]', TYPE)],
  },
  {
    family: 'types',
    name: 'a step has no action',
    body: withStep({ params: { command: 'true' } }),
    errors: [e('steps[0].action', TYPE)],
  },
  {
    family: 'types',
    name: 'a step action is a number',
    body: withStep({ action: 1, params: {} }),
    errors: [e('steps[0].action', TYPE)],
  },
  {
    family: 'types',
    name: 'step params is a string',
    body: withParams('shell.exec', 'echo hi'),
    errors: [e('steps[0].params', TYPE)],
  },
  {
    family: 'types',
    name: 'step params is a list',
    body: withParams('shell.exec', ['echo', 'hi']),
    errors: [e('steps[0].params', TYPE)],
  },
  {
    family: 'types',
    name: 'step params is missing',
    body: withStep({ action: 'shell.exec' }),
    errors: [e('steps[0].params', TYPE)],
  },
  {
    family: 'types',
    name: 'costUsd is a string',
    body: withStep({ action: 'shell.exec', params: { command: 'true' }, costUsd: '5' }),
    errors: [e('steps[0].costUsd', TYPE)],
  },
  {
    family: 'types',
    name: 'costUsd is negative',
    body: withStep({ action: 'shell.exec', params: { command: 'true' }, costUsd: -1 }),
    errors: [e('steps[0].costUsd', /cost ≥ 0/)],
  },
  {
    family: 'types',
    name: 'command is a number',
    body: shell({ command: 42 }),
    errors: [e('steps[0].params.command', /shell command/)],
  },
  {
    family: 'types',
    name: 'command is empty',
    body: shell({ command: '' }),
    errors: [e('steps[0].params.command', /shell command/)],
  },
  {
    family: 'types',
    name: 'timeoutMs is a string',
    body: shell({ command: 'true', timeoutMs: '60s' }),
    errors: [e('steps[0].params.timeoutMs', TYPE)],
  },
  {
    family: 'types',
    name: 'timeoutMs is fractional',
    body: shell({ command: 'true', timeoutMs: 1500.5 }),
    errors: [e('steps[0].params.timeoutMs', TYPE)],
  },
  {
    family: 'types',
    name: 'timeoutMs is over an hour',
    body: shell({ command: 'true', timeoutMs: 86_400_000 }),
    errors: [e('steps[0].params.timeoutMs', /3600000/)],
  },
  {
    family: 'types',
    name: 'requestedRung is a number',
    body: withField('requestedRung', 1),
    errors: [e('requestedRung', TYPE)],
  },
  {
    family: 'types',
    name: 'requestedRung.rung is a string',
    body: withField('requestedRung', { rung: '1', reason: 'unsure' }),
    errors: [e('requestedRung.rung', /rung/)],
  },
  {
    family: 'types',
    name: 'requestedRung.rung is 7',
    body: withField('requestedRung', { rung: 7, reason: 'unsure' }),
    errors: [e('requestedRung.rung', /rung/)],
  },
  {
    family: 'types',
    name: 'requestedRung.rung is 1.5',
    body: withField('requestedRung', { rung: 1.5, reason: 'unsure' }),
    errors: [e('requestedRung.rung', /rung/)],
  },
  {
    family: 'types',
    name: 'requestedRung has no reason',
    body: withField('requestedRung', { rung: 1 }),
    errors: [e('requestedRung.reason', TYPE)],
  },
  {
    family: 'types',
    name: 'model is empty',
    body: withField('model', ''),
    errors: [e('model', /too small|at least|expected/i)],
  },
  {
    family: 'types',
    name: 'resource is a number',
    body: withField('resource', 5),
    errors: [e('resource', TYPE)],
  },
  {
    family: 'types',
    name: 'an unknown top-level field',
    body: withField('colour', 'red'),
    errors: [e('colour', /unknown field|Unrecognized key/)],
  },
  {
    family: 'types',
    name: 'a misspelt requestedRung (silently lost otherwise)',
    body: withField('requestedrung', { rung: 1, reason: 'unsure' }),
    errors: [e('requestedrung', /unknown field|Unrecognized key/)],
  },
  {
    family: 'types',
    name: 'an unknown field in a step',
    body: withStep({ action: 'shell.exec', params: { command: 'true' }, sudo: true }),
    errors: [e('steps[0].sudo', /unknown field|Unrecognized key/)],
  },
  {
    family: 'types',
    name: 'an unknown shell.exec param',
    body: shell({ command: 'true', env: { A: '1' } }),
    errors: [e('steps[0].params.env', /unknown parameter of shell\.exec/)],
  },
  {
    family: 'types',
    name: 'costUsd is Infinity (1e999 in JSON)',
    body: (g) => g,
    raw: (g) =>
      JSON.stringify({ ...g, steps: [{ ...g.steps[0], costUsd: 0 }] }).replace(
        '"costUsd":0',
        '"costUsd":1e999',
      ),
    errors: [e('steps[0].costUsd', TYPE)],
  },

  // --- sizes -------------------------------------------------------------------------------------
  {
    family: 'sizes',
    name: 'title of 201 characters',
    body: withField('title', 't'.repeat(201)),
    errors: [e('title', /at most 200/)],
  },
  {
    family: 'sizes',
    name: 'title of 100,000 characters',
    body: withField('title', 't'.repeat(100_000)),
    errors: [e('title', /at most 200/)],
  },
  {
    family: 'sizes',
    name: 'taskId of 129 characters',
    body: withField('taskId', `a${'b'.repeat(128)}`),
    errors: [e('taskId', /at most 128/)],
  },
  {
    family: 'sizes',
    name: '51 steps',
    body: (g) => ({ ...g, steps: Array.from({ length: 51 }, () => g.steps[0]) }),
    errors: [e('steps', /at most 50/)],
  },
  {
    family: 'sizes',
    name: '10,000 steps',
    body: (g) => ({ ...g, steps: Array.from({ length: 10_000 }, () => g.steps[0]) }),
    errors: [e('steps', /at most 50/)],
  },
  {
    family: 'sizes',
    name: 'one step with 65 KiB of params',
    body: shell(paramsOfSize(64 * 1024 + 1)),
    errors: [e('steps[0].params', /65 KiB, at most 64 KiB/)],
  },
  {
    family: 'sizes',
    name: 'five steps of 60 KiB (300 KiB request)',
    body: (g) => ({
      ...g,
      steps: Array.from({ length: 5 }, () => ({ action: 'shell.exec', params: paramsOfSize(60 * 1024) })),
    }),
    errors: [e('request', /at most 256 KiB/)],
  },
  {
    family: 'sizes',
    name: 'a 900 KiB command',
    body: shell(paramsOfSize(900 * 1024)),
    errors: [e('request', /at most 256 KiB/)],
  },
  {
    family: 'sizes',
    name: 'a 900 KiB unknown field',
    body: withField('padding', 'p'.repeat(900 * 1024)),
    errors: [e('request', /at most 256 KiB/)],
  },
  {
    family: 'sizes',
    name: 'params nested 200,000 lists deep',
    body: (g) => g,
    raw: (g) =>
      JSON.stringify({
        ...g,
        steps: [{ action: 'shell.exec', params: { command: 'true', deep: 0 } }],
      }).replace('"deep":0', `"deep":${nested(200_000)}`),
    errors: [e('request', /cannot be read as JSON|Unrecognized key|unknown/)],
  },
  {
    family: 'sizes',
    name: 'a file.write of 70 KiB',
    body: withParams('file.write', { path: 'big.txt', content: 'c'.repeat(70 * 1024) }),
    errors: [e('steps[0].params', /at most 64 KiB/)],
  },
  {
    family: 'sizes',
    name: '50 steps of 6 KiB each (over the request limit)',
    body: (g) => ({
      ...g,
      steps: Array.from({ length: 50 }, () => ({ action: 'shell.exec', params: paramsOfSize(6 * 1024) })),
    }),
    errors: [e('request', /at most 256 KiB/)],
  },

  // --- control characters ------------------------------------------------------------------------
  {
    family: 'control-characters',
    name: 'NUL in the title',
    body: withField('title', 'deploy\u0000now'),
    errors: [e('title', NUL)],
  },
  {
    family: 'control-characters',
    name: 'NUL in a command',
    body: shell({ command: 'echo a\u0000b' }),
    errors: [e('steps[0].params.command', NUL)],
  },
  {
    family: 'control-characters',
    name: 'NUL in a param key',
    body: shell({ command: 'true', 'cwd\u0000': '.' }),
    errors: [e('steps[0].params["cwd\\u0000"]', /unknown parameter of shell\.exec/)],
  },
  {
    family: 'control-characters',
    name: 'NUL in the model',
    body: withField('model', 'gpt\u0000'),
    errors: [e('model', NUL)],
  },
  {
    family: 'control-characters',
    name: 'NUL in a file.write path',
    body: withParams('file.write', { path: 'a\u0000.txt', content: 'x' }),
    errors: [e('steps[0].params.path', NUL)],
  },
  {
    family: 'control-characters',
    name: 'NUL in the taskId',
    body: withField('taskId', 'a\u0000b'),
    errors: [e('taskId', /letters, digits|NUL character/)],
  },
  {
    family: 'control-characters',
    name: 'ESC colour codes in the title',
    body: withField('title', 'ok \u001b[31mDELETE\u001b[0m'),
    errors: [e('title', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'BEL in the title',
    body: withField('title', 'ding\u0007'),
    errors: [e('title', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'a newline in the title',
    body: withField('title', 'harmless\nrm -rf /'),
    errors: [e('title', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'a carriage return in the title',
    body: withField('title', 'approve me\roverwritten'),
    errors: [e('title', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'a right-to-left override in the title',
    body: withField('title', 'deploy \u202Egnitset\u202C to production'),
    errors: [e('title', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'a line separator in the title',
    body: withField('title', 'one\u2028two'),
    errors: [e('title', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'a C1 control (NEL) in the title',
    body: withField('title', 'one\u0085two'),
    errors: [e('title', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'DEL in the resource',
    body: withField('resource', 'payments\u007f'),
    errors: [e('resource', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'a bidi isolate in the resource',
    body: withField('resource', '\u2066payments\u2069'),
    errors: [e('resource', HIDDEN)],
  },
  {
    family: 'control-characters',
    name: 'ESC in the environment',
    body: withField('environment', 'staging\u001b'),
    errors: [e('environment', ENV)],
  },
  {
    family: 'control-characters',
    name: 'a tab in the requester',
    body: withField('requester', 'U0APPR001\t'),
    errors: [e('requester', REQUESTER)],
  },
  {
    family: 'control-characters',
    name: 'a right-to-left override in a command ("Trojan Source")',
    body: shell({ command: 'echo "ok \u202E ; rm -rf data"' }),
    errors: [e('steps[0].params.command', REORDERS('202E', 'right-to-left override', 10))],
  },
  {
    family: 'control-characters',
    name: 'a bidi isolate in a config value',
    body: withParams('config.set', { file: 'flags.json', set: { banner: 'ok \u2067evil' } }),
    errors: [e('steps[0].params.set.banner', REORDERS('2067', 'right-to-left isolate', 4))],
  },
  {
    family: 'control-characters',
    name: 'a zero-width space in file content',
    body: withParams('file.write', { path: 'z.txt', content: 'rm\u200B -rf' }),
    errors: [e('steps[0].params.content', SHOWS_NOTHING('200B', 'zero-width space', 3))],
  },
  {
    family: 'control-characters',
    name: 'a byte-order mark deep in an HTTP body',
    body: http({
      method: 'POST',
      url: 'http://127.0.0.1:4199/x',
      body: { items: ['ok', { note: '\uFEFFprod' }] },
    }),
    errors: [
      e(
        'steps[0].params.body.items[1].note',
        /holds U\+FEFF \(zero-width no-break space, a byte-order mark\) at character 1/,
      ),
    ],
  },
  {
    family: 'control-characters',
    name: 'a right-to-left mark in an HTTP body key',
    body: http({ method: 'POST', url: 'http://127.0.0.1:4199/x', body: { 'ad\u200Fmin': true } }),
    errors: [
      e(
        'steps[0].params.body["ad\\u200Fmin"]',
        /the key holds U\+200F \(right-to-left mark\) at character 3/,
      ),
    ],
  },
  {
    family: 'control-characters',
    name: 'a zero-width joiner between ASCII letters in an undo command',
    body: shell({ command: 'true', undo: 'r\u200Dm -rf data' }),
    errors: [e('steps[0].params.undo', SHOWS_NOTHING('200D', 'zero-width joiner', 2))],
  },

  // --- paths (refused at submission; escapes at run time are in the API's execution table) -------
  {
    family: 'paths',
    name: 'file.write with an empty path',
    body: withParams('file.write', { path: '', content: 'x' }),
    errors: [e('steps[0].params.path', /relative to the workspace/)],
  },
  {
    family: 'paths',
    name: 'file.write with a numeric path',
    body: withParams('file.write', { path: 7, content: 'x' }),
    errors: [e('steps[0].params.path', /relative to the workspace/)],
  },
  {
    family: 'paths',
    name: 'file.write without content',
    body: withParams('file.write', { path: 'a.txt' }),
    errors: [e('steps[0].params.content', /content/)],
  },
  {
    family: 'paths',
    name: 'config.set of /etc/passwd',
    body: withParams('config.set', { file: '../../../etc/passwd', set: { a: 1 } }),
    errors: [e('steps[0].params.file', /\.json, \.yaml or \.yml/)],
  },
  {
    family: 'paths',
    name: 'config.set of a shell script',
    body: withParams('config.set', { file: 'deploy.sh', set: { a: 1 } }),
    errors: [e('steps[0].params.file', /\.json, \.yaml or \.yml/)],
  },
  {
    family: 'paths',
    name: 'config.set with a key that climbs out (../)',
    body: withParams('config.set', { file: 'flags.json', set: { '../x': 1 } }),
    errors: [e('steps[0].params.set["../x"]', /invalid key: expected a dotted key/)],
  },
  {
    family: 'paths',
    name: 'config.set with nothing to set',
    body: withParams('config.set', { file: 'flags.json', set: {} }),
    errors: [e('steps[0].params.set', /at least one key/)],
  },
  {
    family: 'paths',
    name: 'shell.exec cwd as a number',
    body: shell({ command: 'true', cwd: 5 }),
    errors: [e('steps[0].params.cwd', TYPE)],
  },

  // --- shell metacharacters outside the one field that is a shell command ------------------------
  {
    family: 'shell-metacharacters',
    name: 'taskId with ;',
    body: withField('taskId', 'a;rm -rf /'),
    errors: [e('taskId', ID_CHARS)],
  },
  {
    family: 'shell-metacharacters',
    name: 'taskId with $()',
    body: withField('taskId', '$(id)'),
    errors: [e('taskId', ID_CHARS)],
  },
  {
    family: 'shell-metacharacters',
    name: 'taskId with backticks',
    body: withField('taskId', 'a`id`'),
    errors: [e('taskId', ID_CHARS)],
  },
  {
    family: 'shell-metacharacters',
    name: 'taskId with a slash (another workflow id)',
    body: withField('taskId', '../a5/x'),
    errors: [e('taskId', ID_CHARS)],
  },
  {
    family: 'shell-metacharacters',
    name: 'environment with a pipe',
    body: withField('environment', 'staging|id'),
    errors: [e('environment', ENV)],
  },
  {
    family: 'shell-metacharacters',
    name: 'requester with &&',
    body: withField('requester', 'U0APPR001&&id'),
    errors: [e('requester', REQUESTER)],
  },
  {
    family: 'shell-metacharacters',
    name: 'taskClass with ;',
    body: withField('taskClass', 'ops;id'),
    errors: [e('taskClass', /unknown task class "ops;id"/)],
  },
  {
    family: 'shell-metacharacters',
    name: 'an action with ;',
    body: withParams('shell.exec;id', { command: 'true' }),
    errors: [e('steps[0].action', /not allowed for task class "ops"|unknown action type/)],
  },
  {
    family: 'shell-metacharacters',
    name: 'a config key with $()',
    body: withParams('config.set', { file: 'flags.json', set: { '$(id)': 1 } }),
    errors: [e('steps[0].params.set["$(id)"]', /invalid key: expected a dotted key/)],
  },

  // --- URLs and hosts that are refused at submission (bounds are the API's execution table) ------
  {
    family: 'urls-and-hosts',
    name: 'an ftp:// URL',
    body: http({ method: 'GET', url: 'ftp://127.0.0.1/x' }),
    errors: [e('steps[0].params.url', URL_WORDS)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a javascript: URL',
    body: http({ method: 'GET', url: 'javascript:alert(1)' }),
    errors: [e('steps[0].params.url', URL_WORDS)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a file:// URL',
    body: http({ method: 'GET', url: 'file:///etc/passwd' }),
    errors: [e('steps[0].params.url', URL_WORDS)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a URL that is not one',
    body: http({ method: 'GET', url: 'not a url' }),
    errors: [e('steps[0].params.url', URL_WORDS)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a URL with no host',
    body: http({ method: 'GET', url: 'http://' }),
    errors: [e('steps[0].params.url', URL_WORDS)],
  },
  {
    family: 'urls-and-hosts',
    name: 'an unknown HTTP method',
    body: http({ method: 'TRACE', url: 'http://127.0.0.1/' }),
    errors: [e('steps[0].params.method', /one of GET, POST/)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a lower-case method',
    body: http({ method: 'get', url: 'http://127.0.0.1/' }),
    errors: [e('steps[0].params.method', /one of GET, POST/)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a header value that is a number',
    body: http({ method: 'GET', url: 'http://127.0.0.1/', headers: { 'x-n': 1 } }),
    errors: [e('steps[0].params.headers.x-n', TYPE)],
  },
  {
    family: 'urls-and-hosts',
    name: 'an undo URL with another scheme',
    body: http({
      method: 'POST',
      url: 'http://127.0.0.1/',
      undo: { method: 'POST', url: 'gopher://127.0.0.1/' },
    }),
    errors: [e('steps[0].params.undo.url', URL_WORDS)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a health URL on file://',
    body: http({ method: 'POST', url: 'http://127.0.0.1/', healthUrl: 'file:///etc/shadow' }),
    errors: [e('steps[0].params.healthUrl', URL_WORDS)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a config reload URL on data:',
    body: withParams('config.set', { file: 'flags.json', set: { a: 1 }, reloadUrl: 'data:text/plain,hi' }),
    errors: [e('steps[0].params.reloadUrl', URL_WORDS)],
  },
  {
    family: 'urls-and-hosts',
    name: 'an Authorization header (a credential)',
    body: http({
      method: 'GET',
      url: 'http://127.0.0.1/',
      headers: { Authorization: 'Bearer abcdef123456' },
    }),
    errors: [e('steps[0].params.headers.Authorization', /carries a credential/)],
  },
  {
    family: 'urls-and-hosts',
    name: 'a Slack token in a command',
    body: shell({ command: 'curl -d token=xoxb-1234567890-abcdefghij http://127.0.0.1/' }),
    errors: [e('steps[0].params.command', /carries a credential \(a Slack token\)/)],
  },

  // --- prototype names as keys and ids ------------------------------------------------------------
  {
    family: 'prototype-keys',
    name: 'a __proto__ key at the top',
    body: (g) => g,
    raw: (g) => JSON.stringify(g).replace('{', '{"__proto__":{"taskClass":"ops"},'),
    errors: [e('__proto__', PROTO)],
  },
  {
    family: 'prototype-keys',
    name: 'a __proto__ key in a step',
    body: (g) => g,
    raw: (g) => JSON.stringify(g).replace('"steps":[{', '"steps":[{"__proto__":{"costUsd":0},'),
    errors: [e('steps[0].__proto__', PROTO)],
  },
  {
    family: 'prototype-keys',
    name: 'a __proto__ key in shell params',
    body: (g) => g,
    raw: (g) => JSON.stringify(g).replace('"params":{', '"params":{"__proto__":{"polluted":true},'),
    errors: [e('steps[0].params.__proto__', PROTO)],
  },
  {
    family: 'prototype-keys',
    name: 'a __proto__ key in requestedRung',
    body: (g) => g,
    raw: (g) =>
      JSON.stringify({ ...g, requestedRung: { rung: 1, reason: 'r' } }).replace(
        '"requestedRung":{',
        '"requestedRung":{"__proto__":{"rung":5},',
      ),
    errors: [e('requestedRung.__proto__', PROTO)],
  },
  {
    family: 'prototype-keys',
    name: 'a __proto__ key deep in http.request body',
    body: (g) => g,
    raw: (g) =>
      JSON.stringify({
        ...g,
        steps: [
          {
            action: 'http.request',
            params: { method: 'POST', url: 'http://127.0.0.1/', body: { a: [{ b: 1 }] } },
          },
        ],
      }).replace('{"b":1}', '{"b":1,"__proto__":{"isAdmin":true}}'),
    errors: [e('steps[0].params.body.a[0].__proto__', PROTO)],
  },
  {
    family: 'prototype-keys',
    name: 'a __proto__ key among config.set keys',
    body: (g) => g,
    raw: (g) =>
      JSON.stringify({
        ...g,
        steps: [{ action: 'config.set', params: { file: 'flags.json', set: { a: 1 } } }],
      }).replace('"set":{', '"set":{"__proto__":{"polluted":1},'),
    errors: [e('steps[0].params.set.__proto__', PROTO)],
  },
  {
    family: 'prototype-keys',
    name: 'a constructor key at the top',
    body: withField('constructor', { name: 'x' }),
    errors: [e('constructor', /unknown field|Unrecognized key/)],
  },
  {
    family: 'prototype-keys',
    name: 'task class __proto__',
    body: withField('taskClass', '__proto__'),
    errors: [e('taskClass', /unknown task class "__proto__"/)],
  },
  {
    family: 'prototype-keys',
    name: 'task class constructor',
    body: withField('taskClass', 'constructor'),
    errors: [e('taskClass', /unknown task class "constructor"/)],
  },
  {
    family: 'prototype-keys',
    name: 'task class toString',
    body: withField('taskClass', 'toString'),
    errors: [e('taskClass', /unknown task class "toString"/)],
  },
  {
    family: 'prototype-keys',
    name: 'task class hasOwnProperty',
    body: withField('taskClass', 'hasOwnProperty'),
    errors: [e('taskClass', /unknown task class "hasOwnProperty"/)],
  },
  {
    family: 'prototype-keys',
    name: 'environment constructor',
    body: withField('environment', 'constructor'),
    errors: [e('environment', /unknown environment "constructor"/)],
  },
  {
    family: 'prototype-keys',
    name: 'environment __proto__',
    body: withField('environment', '__proto__'),
    errors: [e('environment', ENV)],
  },
  {
    family: 'prototype-keys',
    name: 'action constructor',
    body: withParams('constructor', {}),
    errors: [
      e(
        'steps[0].action',
        /"constructor" is not allowed for task class "ops"|unknown action type "constructor"/,
      ),
    ],
  },
  {
    family: 'prototype-keys',
    name: 'action __proto__',
    body: withParams('__proto__', {}),
    errors: [
      e('steps[0].action', /"__proto__" is not allowed for task class "ops"|unknown action type "__proto__"/),
    ],
  },
  {
    family: 'prototype-keys',
    name: 'action toString',
    body: withParams('toString', { command: 'true' }),
    errors: [
      e('steps[0].action', /"toString" is not allowed for task class "ops"|unknown action type "toString"/),
    ],
  },

  // --- references the policy does not have --------------------------------------------------------
  {
    family: 'policy-references',
    name: 'an undeclared task class',
    body: withField('taskClass', 'deploy'),
    errors: [e('taskClass', /unknown task class "deploy" \(declared: ops, /)],
  },
  {
    family: 'policy-references',
    name: 'a misspelt task class',
    body: withField('taskClass', 'opz'),
    errors: [e('taskClass', /did you mean "ops"\?/)],
  },
  {
    family: 'policy-references',
    name: 'prod for production',
    body: withField('environment', 'prod'),
    errors: [e('environment', /unknown environment "prod".*did you mean "production"\?/)],
  },
  {
    family: 'policy-references',
    name: 'an undeclared environment',
    body: withField('environment', 'qa'),
    errors: [e('environment', /unknown environment "qa" \(declared: dev, staging, production\)/)],
  },
  {
    family: 'policy-references',
    name: 'an action the class does not allow',
    body: (g) => ({
      ...g,
      taskClass: 'quota',
      steps: [{ action: 'file.write', params: { path: 'a.txt', content: 'x' } }],
    }),
    errors: [
      e('steps[0].action', /"file.write" is not allowed for task class "quota" \(allowed: shell.exec\)/),
    ],
  },
  {
    family: 'policy-references',
    name: 'an action that does not exist',
    body: withParams('k8s.delete', { name: 'prod' }),
    errors: [e('steps[0].action', /unknown action type "k8s.delete"|not allowed/)],
  },
  {
    family: 'policy-references',
    name: 'a misspelt action',
    body: withParams('shell.exce', { command: 'true' }),
    errors: [e('steps[0].action', /"shell.exce"/)],
  },
  {
    family: 'policy-references',
    name: 'a model other than the policy declares for the agent',
    body: withField('model', 'claude-opus-5'),
    errors: [e('model', /"claude-opus-5" is not what the policy declares for a3 \("m"\)/)],
  },
  {
    family: 'policy-references',
    name: 'a prompt version other than the policy declares for the agent',
    body: withField('promptVersion', 'p-old'),
    errors: [e('promptVersion', /"p-old" is not what the policy declares for a3 \("p"\)/)],
  },
];
