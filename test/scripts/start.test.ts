import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { freePort } from '../helpers/ports';
import { childPids, commandLine, isAlive, spawnNode, type Spawned } from '../helpers/processes';
import { testServerAddress } from '../helpers/temporal';
import { TEST_ENV } from '../setup/shared-state';
import { waitUntil } from '../helpers/wait';
import { isolatedDirs } from '../helpers/start-env';

// The README's run command, exercised as a user would: real processes, real ports, Ctrl-C (SIGINT).
const START = resolve(__dirname, '..', '..', 'dist', 'scripts', 'start.js');

function temporalCli(): string {
  return process.env[TEST_ENV.cliPath]!;
}

// Each test waits mostly on processes (start-up, then each child's stop), so the tests run side by
// side (`it.concurrent`), each with its own ports, folders and task queue. One rule orders them:
// scripts/start.sh rebuilds dist/ (tsc rewrites every file in place), so no other test may start a
// process from dist/ until that build is over.
let distRebuilt!: () => void;
const distStable = new Promise<void>((resolveGate) => (distRebuilt = resolveGate));
// Long enough for the wait on start.sh's build plus two full start/stop rounds on a loaded machine.
const CONCURRENT_TIMEOUT_MS = 300_000;

/** SIGKILLs what is left of `runs` (a failed assertion must not leave a stack running). */
async function killLeftovers(runs: Spawned[]): Promise<void> {
  for (const run of runs.splice(0)) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
    const children = childPids(run.child.pid!);
    for (const pid of children) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    run.child.kill('SIGKILL');
    await run.exited;
  }
}

describe('the run command (dist/scripts/start.js)', () => {
  /**
   * Runs `body` with a `start` that spawns the run command once dist/ is stable, and kills whatever
   * it started that is still running when `body` ends (per test: concurrent tests get no afterEach).
   */
  const withRuns =
    (body: (start: (env: NodeJS.ProcessEnv) => Spawned) => Promise<void>) => async (): Promise<void> => {
      await distStable;
      const runs: Spawned[] = [];
      try {
        await body((env) => {
          const run = spawnNode(START, env);
          runs.push(run);
          return run;
        });
      } finally {
        await killLeftovers(runs);
      }
    };

  beforeAll(() => {
    if (!existsSync(START))
      throw new Error(`${START} is missing: run \`npm run build\` first (npm test does)`);
  });

  // First, and the only test not gated on `distStable`: the others start once its build is over.
  it.concurrent(
    'stops everything when scripts/start.sh itself gets SIGTERM (no npm in the signal path)',
    async () => {
      try {
        await startShStopsEverything();
      } finally {
        distRebuilt(); // also when it failed before its build ended: the others then run as before
      }
    },
    CONCURRENT_TIMEOUT_MS,
  );

  async function startShStopsEverything(): Promise<void> {
    const child = spawn('bash', [resolve(__dirname, '..', '..', 'scripts', 'start.sh')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: testServerAddress(),
        LADDER_TASK_QUEUE: `start-${randomUUID().slice(0, 8)}`,
        ...(await isolatedDirs()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const exited = new Promise<number>((done) => child.once('exit', (code) => done(code ?? -1)));
    const descendants = (pid: number): number[] => childPids(pid).flatMap((c) => [c, ...descendants(c)]);
    let all: number[] = [];
    try {
      await waitUntil(() => out.includes('Press Ctrl-C') || child.exitCode !== null, 180_000);
      // start.js prints this only after start.sh's build: dist/ is stable from here.
      distRebuilt();
      expect(out).toContain('Press Ctrl-C');
      all = descendants(child.pid!);
      expect(all.map(commandLine).some((c) => c.includes('worker/main.js'))).toBe(true);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('stopped worker');
      await waitUntil(() => all.every((pid) => !isAlive(pid)));
    } finally {
      for (const pid of [...all, ...descendants(child.pid!)]) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  it.concurrent(
    'starts a dev server with persistent state, a worker, and stops both on Ctrl-C',
    withRuns(async (start) => {
      const port = await freePort();
      const uiPort = await freePort();
      const dbPath = join(mkdtempSync(join(tmpdir(), 'ladder-start-')), 'dev.db');
      const env = {
        TEMPORAL_CLI: temporalCli(),
        LADDER_DEV_SERVER_PORT: String(port),
        LADDER_DEV_UI_PORT: String(uiPort),
        LADDER_DEV_DB_PATH: dbPath,
        LADDER_TASK_QUEUE: `start-${randomUUID().slice(0, 8)}`,
        TEMPORAL_ADDRESS: '',
        ...(await isolatedDirs()),
      };

      // Twice on the same database: the second start must reuse it (search attributes already registered).
      for (const round of [1, 2]) {
        const run = start(env);
        await run.waitForOutput(/Press Ctrl-C/);
        expect(run.stdout()).toContain(`Temporal:     127.0.0.1:${port}`);
        expect(run.stdout()).toContain(`Temporal UI:  http://localhost:${uiPort}`);
        expect(existsSync(dbPath)).toBe(true);

        const listed = execFileSync(
          temporalCli(),
          ['workflow', 'list', '--address', `127.0.0.1:${port}`, '-o', 'json'],
          {
            encoding: 'utf8',
          },
        );
        const selfChecks = (JSON.parse(listed) as { type: { name: string }; status: string }[]).filter(
          (w) => w.type.name === 'selfCheck',
        );
        expect(selfChecks).toHaveLength(round);
        expect(selfChecks.every((w) => w.status === 'WORKFLOW_EXECUTION_STATUS_COMPLETED')).toBe(true);

        const children = childPids(run.child.pid!);
        expect(children.map(commandLine).some((c) => c.includes('server start-dev'))).toBe(true);
        expect(children.map(commandLine).some((c) => c.includes('worker/main.js'))).toBe(true);
        const demo = /Demo service: (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stdout())![1];
        expect((await fetch(`${demo}/health`)).status).toBe(200);
        // No Slack credentials: the emulator's page is up and /ladder reaches the app through it.
        const emulator = /Slack: +local emulator at (http:\/\/127\.0\.0\.1:\d+)\//.exec(run.stdout())![1];
        expect(await (await fetch(`${emulator}/`)).text()).toContain('Ladder · local Slack');
        const help = await fetch(`${emulator}/emulator/command`, {
          method: 'POST',
          body: JSON.stringify({ user: 'U0ADMIN01', channel: '#general', text: '/ladder help' }),
        });
        expect(await help.json()).toEqual({ status: 200, body: '' });

        run.child.kill('SIGINT');
        expect(await run.exited).toBe(0);
        expect(run.stdout()).toContain('stopped worker');
        expect(run.stdout()).toContain('stopped Slack app');
        expect(run.stdout()).toContain('stopped Slack emulator');
        expect(run.stdout()).toContain('stopped Temporal dev server');
        await waitUntil(() => children.every((pid) => !isAlive(pid)));
      }
    }),
    CONCURRENT_TIMEOUT_MS,
  );

  it.concurrent(
    'connects to an existing cluster when TEMPORAL_ADDRESS is set, starting no server',
    withRuns(async (start) => {
      const run = start({
        TEMPORAL_ADDRESS: testServerAddress(),
        LADDER_TASK_QUEUE: `start-${randomUUID().slice(0, 8)}`,
        ...(await isolatedDirs()),
      });
      await run.waitForOutput(/Press Ctrl-C/);
      expect(run.stdout()).toContain(`Using the Temporal cluster at ${testServerAddress()}`);
      const children = childPids(run.child.pid!);
      // The agent API, the dashboard (the CLI's `dashboard` command), the Slack app (against the
      // emulator, which runs inside the run command) and the worker.
      expect(children.map(commandLine).sort()).toEqual([
        expect.stringContaining('api/main.js'),
        expect.stringContaining('cli/main.js dashboard'),
        expect.stringContaining('slack/main.js'),
        expect.stringContaining('worker/main.js'),
      ]);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      await waitUntil(() => children.every((pid) => !isAlive(pid)));
    }),
    CONCURRENT_TIMEOUT_MS,
  );

  it.concurrent(
    'keeps the Slack emulator workspace under LADDER_STATE_DIR, and refuses a damaged one by name',
    withRuns(async (start) => {
      const dirs = await isolatedDirs();
      const env = {
        TEMPORAL_ADDRESS: testServerAddress(),
        LADDER_TASK_QUEUE: `start-${randomUUID().slice(0, 8)}`,
        ...dirs,
      };
      const file = join(dirs.LADDER_STATE_DIR, 'slack-emulator', 'workspace.json');
      const first = start(env);
      await first.waitForOutput(/Press Ctrl-C/);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      // The policy's channels were created at start, and saved when the emulator closed.
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
        version: 1,
        channels: expect.any(Array),
      });

      writeFileSync(file, '{ not json');
      const second = start(env);
      expect(await second.exited).toBe(1);
      expect(second.stderr()).toContain(
        `Start-up failed: the Slack emulator's workspace file ${file} is not valid JSON`,
      );
    }),
    CONCURRENT_TIMEOUT_MS,
  );

  it.concurrent(
    'refuses to start with an invalid policy, listing every error and starting nothing',
    withRuns(async (start) => {
      const policy = resolve(__dirname, '..', 'fixtures', 'policies', 'ten-mistakes.yaml');
      const run = start({ LADDER_POLICY_PATH: policy });
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`Policy error: ${policy}: policy has 10 errors:`);
      expect(run.stderr()).toMatch(
        /line \d+: taskClasses\.deploy\.bounds\.perDay\.costUsd: expected a number ≥ 0, got "fifty"/,
      );
      expect(run.stdout()).toBe('');
    }),
    CONCURRENT_TIMEOUT_MS,
  );

  it.concurrent(
    'stops with one clear line for a bad env value, starting nothing',
    withRuns(async (start) => {
      const run = start({ TEMPORAL_ADDRESS: 'not a host:xx' });
      expect(await run.exited).toBe(2);
      expect(run.stderr().trim().split('\n')).toEqual([
        'Configuration error: TEMPORAL_ADDRESS: expected host:port (e.g. localhost:7233), got "not a host:xx"',
      ]);
      expect(run.stdout()).toBe('');
    }),
    CONCURRENT_TIMEOUT_MS,
  );
});
