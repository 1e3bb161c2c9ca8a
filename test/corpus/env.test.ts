import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runCli } from '../../cli/main';
import { aliasBomb } from '../helpers/hostile-yaml';
import { expectNoCrashText, inBatches } from './corpus-helpers';

// The bad-input corpus for environment variables, through every process that reads them: the
// `ladder` CLI (every variable of config/env.ts, in-process through runCli, as the binary reads
// them), and the agent API, the Slack app, the worker and the stdio MCP server as processes, each
// of which must exit at once with the variable named, no stack trace, and no secret echoed.

const ROOT = resolve(__dirname, '..', '..');
const DIST = (p: string) => join(ROOT, 'dist', p);

/** Every variable Ladder's configuration reads: cleared around each in-process case. */
const LADDER_VARS = Object.keys(process.env).filter((k) => /^(TEMPORAL_|LADDER_|SLACK_|LOG_LEVEL$)/.test(k));

interface EnvCase {
  family: string;
  name: string;
  env: Record<string, string>;
  /** The line that must be printed, naming the variable. */
  says: RegExp;
  /** Text that must not appear (a secret). */
  never?: string;
}

const config = (variable: string, value: string, expected: string): EnvCase => ({
  family: 'config',
  name: `${variable}=${JSON.stringify(value)}`,
  env: { [variable]: value },
  says: new RegExp(
    `^Configuration error: ${variable}: ${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`,
    'm',
  ),
});

const CLI_CASES: EnvCase[] = [
  config('TEMPORAL_ADDRESS', 'localhost', 'expected host:port (e.g. localhost:7233), got "localhost"'),
  config('TEMPORAL_ADDRESS', 'localhost:0', 'expected host:port'),
  config('TEMPORAL_ADDRESS', 'localhost:99999', 'expected host:port'),
  config('TEMPORAL_ADDRESS', 'http://localhost:7233', 'expected host:port'),
  config('TEMPORAL_ADDRESS', '::1:7233', 'expected host:port'),
  config('TEMPORAL_ADDRESS', 'user@temporal:7233', 'expected host:port'),
  config('TEMPORAL_ADDRESS', 'temporal :7233', 'expected host:port'),
  config('TEMPORAL_NAMESPACE', 'has space', 'expected letters, digits, ".", "_" or "-", got "has space"'),
  config('TEMPORAL_NAMESPACE', '../default', 'expected letters, digits'),
  config('TEMPORAL_TLS', 'maybe', 'expected true or false, got "maybe"'),
  config('TEMPORAL_UI_URL', 'javascript:alert(1)', 'expected an http(s) URL'),
  config('TEMPORAL_UI_URL', 'ftp://ui', 'expected an http(s) URL'),
  config('LADDER_TASK_QUEUE', 'has space', 'expected letters, digits'),
  config('LADDER_TASK_QUEUE', 'q'.repeat(201), 'expected letters, digits'),
  config('LADDER_TASK_QUEUE', 'queue\u001b[31m', 'expected letters, digits'),
  config('LADDER_TASK_QUEUE', '../ladder', 'expected letters, digits'),
  config('LADDER_DEV_SERVER_PORT', '0x50', 'expected a port number from 1 to 65535, got "0x50"'),
  config('LADDER_DEV_SERVER_PORT', '1e3', 'expected a port number from 1 to 65535'),
  config('LADDER_DEV_SERVER_PORT', '-1', 'expected a port number from 1 to 65535'),
  config('LADDER_SLACK_PORT', '65536', 'expected a port number from 1 to 65535, got "65536"'),
  config('LADDER_EMULATOR_PORT', '3100abc', 'expected a port number from 1 to 65535'),
  config(
    'LOG_LEVEL',
    'verbose',
    'expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
  ),
  config('LOG_LEVEL', 'INFO', 'expected one of fatal, error, warn, info, debug, trace, silent, got "INFO"'),
  config('SLACK_APP_TOKEN', 'xoxb-not-an-app-token', 'expected an app token starting with xapp-'),
  {
    family: 'secrets',
    name: 'a user token as the bot token (never echoed)',
    env: {
      SLACK_BOT_TOKEN: 'xoxp-1234567890-verysecret',
      SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
    },
    says: /^Configuration error: SLACK_BOT_TOKEN: expected a bot token starting with xoxb-, got "xoxp-…\(redacted\)"$/m,
    never: '1234567890-verysecret',
  },
  {
    family: 'config',
    name: 'a bot token without a signing secret or app token',
    env: { SLACK_BOT_TOKEN: 'xoxb-1' },
    says: /^Configuration error: SLACK_SIGNING_SECRET: expected a signing secret \(HTTP mode\) or SLACK_APP_TOKEN/m,
  },
  {
    family: 'secrets',
    name: 'a signing secret without a bot token',
    env: { SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543' },
    says: /^Configuration error: SLACK_BOT_TOKEN: expected a bot token \(xoxb-…\) when other Slack credentials are set$/m,
    never: '8f14e45fceea167a5a36dedd4bea2543',
  },
  {
    family: 'secrets',
    name: 'a signing secret too short to be one Slack issued (never echoed)',
    env: { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'topsecretvalue' },
    says: /^Configuration error: SLACK_SIGNING_SECRET: expected Slack's signing secret \(32 characters, .*\), got "topse…\(redacted\)"$/m,
    never: 'topsecretvalue',
  },
  {
    family: 'secrets',
    name: 'an API key without a cluster address',
    env: { TEMPORAL_API_KEY: 'tmprl-very-secret-key' },
    says: /^Configuration error: TEMPORAL_ADDRESS: expected a cluster address when TLS or an API key is configured/m,
    never: 'tmprl-very-secret-key',
  },
  {
    family: 'config',
    name: 'a TLS certificate without its key',
    env: { TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_TLS_CERT_PATH: '/c.pem' },
    says: /^Configuration error: TEMPORAL_TLS_KEY_PATH: expected TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH to be set together$/m,
  },
  {
    family: 'config',
    name: 'the same port for the dev server and its UI',
    env: { LADDER_DEV_SERVER_PORT: '7000', LADDER_DEV_UI_PORT: '7000' },
    says: /^Configuration error: LADDER_DEV_UI_PORT: expected a port different from LADDER_DEV_SERVER_PORT, got "7000"$/m,
  },
  {
    family: 'config',
    name: 'three wrong variables at once (all named)',
    env: { TEMPORAL_ADDRESS: 'nope', LADDER_SLACK_PORT: 'x', LOG_LEVEL: 'loud' },
    says: /Configuration error: TEMPORAL_ADDRESS: [^\n]*\nConfiguration error: LADDER_SLACK_PORT: [^\n]*\nConfiguration error: LOG_LEVEL: /,
  },
];

describe('bad-input corpus: environment variables', () => {
  describe('through the ladder CLI (ladder kill-switch)', () => {
    const saved: Record<string, string | undefined> = {};
    beforeAll(() => {
      for (const k of LADDER_VARS) saved[k] = process.env[k];
    });
    afterEach(() => {
      for (const k of Object.keys(process.env))
        if (/^(TEMPORAL_|LADDER_|SLACK_|LOG_LEVEL$)/.test(k) && !k.startsWith('LADDER_TEST_'))
          delete process.env[k];
      for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
    });

    test.each(CLI_CASES.map((c) => [c.family, c.name, c] as const))('%s: %s', async (_f, _n, c) => {
      for (const k of Object.keys(process.env))
        if (/^(TEMPORAL_|LADDER_|SLACK_|LOG_LEVEL$)/.test(k) && !k.startsWith('LADDER_TEST_'))
          delete process.env[k];
      Object.assign(process.env, c.env);
      const err: string[] = [];
      const code = await runCli(['kill-switch'], { out: () => undefined, err: (t) => err.push(t) });
      const text = err.join('\n');
      expect([code, text]).toEqual([1, expect.stringMatching(c.says)]);
      if (c.never) expect(text).not.toContain(c.never);
      expectNoCrashText(text);
    });
  });

  /** One process started with a bad environment: it must exit 1 at once, saying what is wrong. */
  interface ProcessCase extends EnvCase {
    script: string;
    /** The exit code (1 unless the process documents another, as the worker's 2 for a bad folder). */
    code: number;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ladder-corpus-env-'));
  const dirs = () => {
    const base = mkdtempSync(join(dir, 'dirs-'));
    const out = {
      LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
      LADDER_SANDBOX_DIR: join(base, 'sandbox'),
      LADDER_STATE_DIR: join(base, 'state'),
    };
    Object.values(out).forEach((d) => mkdirSync(d, { recursive: true }));
    return out;
  };
  const file = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const proc = (
    script: string,
    family: string,
    name: string,
    env: Record<string, string>,
    says: RegExp,
    never?: string,
    code = 1,
  ): ProcessCase => ({ script, family, name, env, says, never, code });

  const PROCESS_CASES = (): ProcessCase[] => [
    proc(
      'api/main.js',
      'config',
      'LADDER_API_PORT=70000',
      { LADDER_API_PORT: '70000' },
      /^Configuration error: LADDER_API_PORT: expected a port number from 1 to 65535, got "70000"$/m,
    ),
    proc(
      'api/main.js',
      'config',
      'TEMPORAL_ADDRESS without a port',
      { TEMPORAL_ADDRESS: 'temporal' },
      /^Configuration error: TEMPORAL_ADDRESS: expected host:port/m,
    ),
    proc(
      'api/main.js',
      'policy',
      'LADDER_POLICY_PATH to a file that does not exist',
      { LADDER_POLICY_PATH: join(dir, 'none.yaml'), ...dirs() },
      /^Policy error: .*none\.yaml: policy has 1 error:\n {2}\(file\): cannot read: ENOENT$/m,
    ),
    proc(
      'api/main.js',
      'policy',
      'LADDER_POLICY_PATH to an alias bomb',
      { LADDER_POLICY_PATH: file('bomb.yaml', aliasBomb()), ...dirs() },
      /^Policy error: .*bomb\.yaml: policy has 1 error:\n {2}line 2: \(yaml\): cannot expand the document: Excessive alias count/m,
    ),
    proc(
      'slack/main.js',
      'config',
      'no emulator signing secret',
      { ...dirs() },
      /^Configuration error: LADDER_EMULATOR_SIGNING_SECRET: expected the secret the local emulator signs with/m,
    ),
    proc(
      'slack/main.js',
      'secrets',
      'a user token as the bot token (never echoed)',
      {
        SLACK_BOT_TOKEN: 'xoxp-1234567890-verysecret',
        SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
      },
      /^Configuration error: SLACK_BOT_TOKEN: expected a bot token starting with xoxb-, got "xoxp-…\(redacted\)"$/m,
      '1234567890-verysecret',
    ),
    proc(
      'slack/main.js',
      'policy',
      'LADDER_POLICY_PATH to a folder',
      { LADDER_POLICY_PATH: dir, LADDER_EMULATOR_SIGNING_SECRET: 's', ...dirs() },
      /^Policy error: .*: policy has 1 error:\n {2}\(file\): cannot read: EISDIR$/m,
    ),
    proc(
      'worker/main.js',
      'config',
      'LOG_LEVEL=loud',
      { LOG_LEVEL: 'loud' },
      /^Configuration error: LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"$/m,
    ),
    proc(
      'worker/main.js',
      'paths',
      'LADDER_STATE_DIR is a file',
      { ...dirs(), LADDER_STATE_DIR: file('state-is-a-file', 'x') },
      /^LADDER_STATE_DIR=.*state-is-a-file: not a folder \(it is a file\)$/m,
      undefined,
      2,
    ),
    proc(
      'worker/main.js',
      'policy',
      'LADDER_POLICY_PATH to a policy with a NUL byte',
      { ...dirs(), LADDER_POLICY_PATH: file('nul.yaml', "version: 'a\u0000b'\n") },
      /^Policy error: .*nul\.yaml: policy has 1 error:\n {2}line 1: \(yaml\): contains U\+0000 \(a control character\)/m,
    ),
    proc(
      'mcp/stdio.js',
      'config',
      'no API URL and no token',
      {},
      /^Configuration error: LADDER_API_URL: expected the Ladder API URL, e\.g\. http:\/\/127\.0\.0\.1:3200\nConfiguration error: LADDER_AGENT_TOKEN: /m,
    ),
    proc(
      'mcp/stdio.js',
      'config',
      'an ftp:// API URL',
      { LADDER_API_URL: 'ftp://127.0.0.1/', LADDER_AGENT_TOKEN: `ldr_${'0'.repeat(16)}_${'a'.repeat(43)}` },
      /^Configuration error: LADDER_API_URL: expected the Ladder API URL/m,
    ),
    proc(
      'mcp/stdio.js',
      'secrets',
      'a token of another format (never echoed)',
      { LADDER_API_URL: 'http://127.0.0.1:1', LADDER_AGENT_TOKEN: 'sk-live-verysecret' },
      /^Configuration error: LADDER_AGENT_TOKEN: expected a Ladder agent token \(ldr_<id>_<secret>\)$/m,
      'verysecret',
    ),
    proc(
      'cli/main.js',
      'config',
      'the built ladder binary with LADDER_TASK_QUEUE="a b"',
      { LADDER_TASK_QUEUE: 'a b' },
      /^Configuration error: LADDER_TASK_QUEUE: expected letters, digits/m,
    ),
  ];

  /** Runs `node dist/<script>` with only PATH and `env`; kills it if it is still running after 30 s. */
  function runProcess(
    c: ProcessCase,
  ): Promise<{ code: number | null; err: string; out: string; ms: number }> {
    return new Promise((done) => {
      const started = Date.now();
      const args = c.script === 'cli/main.js' ? [DIST(c.script), 'kill-switch'] : [DIST(c.script)];
      const child = spawn(process.execPath, args, {
        env: { PATH: process.env.PATH ?? '', ...c.env },
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let err = '';
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        done({ code, err, out, ms: Date.now() - started });
      });
    });
  }

  describe('through the processes that read them (api, slack, worker, stdio MCP, the binary)', () => {
    const cases = PROCESS_CASES();
    let results: Awaited<ReturnType<typeof runProcess>>[];
    beforeAll(async () => {
      results = await inBatches(
        3,
        cases.map((c) => () => runProcess(c)),
      );
    });

    test.each(cases.map((c, i) => [c.family, `${c.script}: ${c.name}`, i] as const))(
      '%s: %s',
      (_f, _n, i) => {
        const c = cases[i];
        const r = results[i];
        expect([r.code, r.err]).toEqual([c.code, expect.stringMatching(c.says)]);
        // Said at once, before any connection is tried.
        expect(r.ms).toBeLessThan(20_000);
        if (c.never) expect(r.err + r.out).not.toContain(c.never);
        expectNoCrashText(r.err);
      },
    );
  });
});
