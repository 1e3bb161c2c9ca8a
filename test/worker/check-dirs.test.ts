import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { actionDirs, BAD_DIR_EXIT_CODE, checkDir, checkDirs, makeDirs } from '../../worker/check-dirs';

const ROOT = resolve(__dirname, '..', '..');
const WORKER = join(ROOT, 'dist', 'worker', 'main.js');
const isRoot = process.getuid?.() === 0;

describe('checkDirs: the worker’s folders are usable before it starts', () => {
  let base: string;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'ladder-check-dirs-'));
  });
  afterEach(() => {
    chmodSync(base, 0o700);
    rmSync(base, { recursive: true, force: true });
  });

  it('accepts an existing writable folder and leaves no probe file behind', () => {
    const dir = join(base, 'state');
    mkdirSync(dir);
    expect(checkDir({ variable: 'LADDER_STATE_DIR', path: dir })).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('creates a missing folder, parents included', () => {
    const dir = join(base, 'a', 'b', 'state');
    expect(checkDir({ variable: 'LADDER_STATE_DIR', path: dir })).toBeUndefined();
    expect(existsSync(dir)).toBe(true);
  });

  it('names the variable, the path and the reason when a file is in the way', () => {
    const file = join(base, 'state');
    writeFileSync(file, 'not a folder');
    expect(checkDir({ variable: 'LADDER_STATE_DIR', path: file })).toBe(
      `LADDER_STATE_DIR=${file}: not a folder (it is a file)`,
    );
  });

  it('names the file that stops a folder being created under it', () => {
    const file = join(base, 'file');
    writeFileSync(file, 'x');
    expect(checkDir({ variable: 'LADDER_SANDBOX_DIR', path: join(file, 'sandbox', 'deeper') })).toBe(
      `LADDER_SANDBOX_DIR=${join(file, 'sandbox', 'deeper')}: cannot be created: ${file} is a file, not a folder`,
    );
    expect(checkDir({ variable: 'LADDER_STATE_DIR', path: '/etc/passwd/x' })).toBe(
      'LADDER_STATE_DIR=/etc/passwd/x: cannot be created: /etc/passwd is a file, not a folder',
    );
  });

  // As root, chmod does not stop writes, so this case only means something for other users.
  (isRoot ? it.skip : it)('refuses a folder without write permission', () => {
    const dir = join(base, 'ro');
    mkdirSync(dir, 0o500);
    expect(checkDir({ variable: 'LADDER_STATE_DIR', path: dir })).toBe(
      `LADDER_STATE_DIR=${dir}: not writable (permission denied)`,
    );
  });

  it('makeDirs creates missing parents one level at a time and stops at a file in the way', () => {
    const dir = join(base, 'x', 'y', 'z');
    makeDirs(dir);
    expect(existsSync(dir)).toBe(true);
    makeDirs(dir); // already there: nothing to do, no error
    const file = join(base, 'file');
    writeFileSync(file, 'x');
    expect(() => makeDirs(join(file, 'a', 'b'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(existsSync(join(file, 'a'))).toBe(false);
  });

  it('makeDirs in processes that start at once: each ends with the folders there, none fails on another’s mkdir', async () => {
    const go = join(base, 'go');
    const makers = 6;
    const trees = Array.from({ length: 300 }, (_, t) => join(base, `tree-${t}`, 'a', 'b', 'c'));
    // Each process waits for the go file, then makes every tree: they race on every level.
    const script = `const fs = require('node:fs');
      const { makeDirs } = require(${JSON.stringify(join(ROOT, 'dist', 'worker', 'check-dirs.js'))});
      while (!fs.existsSync(${JSON.stringify(go)})) {}
      for (const dir of ${JSON.stringify(trees)}) makeDirs(dir);`;
    const exits = Array.from(
      { length: makers },
      () =>
        new Promise<{ code: number | null; stderr: string }>((done) => {
          const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('close', (code) => done({ code, stderr }));
        }),
    );
    writeFileSync(go, '');
    const results = await Promise.all(exits);
    expect(
      results.filter((r) => r.code !== 0).map((r) => r.stderr.split('\n').find((l) => l.includes('Error'))),
    ).toEqual([]);
    for (const dir of trees) expect(existsSync(dir)).toBe(true);
  });

  it('reports every unusable folder of a config, one line each, and only those', () => {
    const file = join(base, 'file');
    writeFileSync(file, 'x');
    const dirs = actionDirs({
      workspaceRoot: join(base, 'workspace'),
      sandboxDir: join(file, 'sandbox'),
      stateDir: file,
    });
    expect(checkDirs(dirs)).toEqual([
      `LADDER_SANDBOX_DIR=${join(file, 'sandbox')}: cannot be created: ${file} is a file, not a folder`,
      `LADDER_STATE_DIR=${file}: not a folder (it is a file)`,
    ]);
  });
});

/** Runs the built worker with `env` and resolves with its exit code, signal, stderr and run time. */
function runWorker(
  env: Record<string, string>,
  onStart?: (pid: number) => void,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [WORKER], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  if (child.pid !== undefined) onStart?.(child.pid);
  return new Promise((done) =>
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      done({ code, signal, stderr, ms: Date.now() - started });
    }),
  );
}

describe('the built worker (node dist/worker/main.js) at start-up', () => {
  let base: string;
  beforeAll(() => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run \`npm run build\` first`);
  });
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'ladder-worker-start-'));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('exits 2 within 10 s, naming the variable, path and reason, when LADDER_STATE_DIR is a file', async () => {
    const file = join(base, 'state');
    writeFileSync(file, 'x');
    const run = await runWorker({
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      LADDER_STATE_DIR: file,
      LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
      LADDER_SANDBOX_DIR: join(base, 'sandbox'),
    });
    expect(run).toMatchObject({ code: BAD_DIR_EXIT_CODE, signal: null });
    expect(run.ms).toBeLessThan(10_000);
    expect(run.stderr).toContain(`LADDER_STATE_DIR=${file}: not a folder (it is a file)\n`);
  });

  // Node's own recursive mkdir loops forever here (mkdir answers ENOENT under a parent that exists):
  // the worker used to spin at full CPU, print nothing and ignore SIGTERM. Run in a child process,
  // so that a regression is a killed worker, not a hung test run.
  (existsSync('/proc/1') ? it : it.skip)(
    'exits 2 within 10 s, naming the variable and the reason, when LADDER_STATE_DIR is under /proc',
    async () => {
      const run = await runWorker({
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        LADDER_STATE_DIR: '/proc/1/nonexistent',
        LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
        LADDER_SANDBOX_DIR: join(base, 'sandbox'),
      });
      expect(run).toMatchObject({ code: BAD_DIR_EXIT_CODE, signal: null });
      expect(run.ms).toBeLessThan(10_000);
      expect(run.stderr).toBe(
        'LADDER_STATE_DIR=/proc/1/nonexistent: cannot be created (ENOENT: this file system does not allow folders there)\n',
      );
    },
  );

  it('exits on SIGTERM while start-up is stuck connecting to Temporal', async () => {
    // A server that accepts connections and never answers: the worker's connect waits on it.
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await runWorker(
        {
          TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
          LADDER_STATE_DIR: join(base, 'state'),
          LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
          LADDER_SANDBOX_DIR: join(base, 'sandbox'),
        },
        (pid) => {
          // Signal once the worker has reached Temporal (it holds a connection to the silent server).
          const poll = setInterval(() => {
            if (sockets.length > 0) {
              clearInterval(poll);
              process.kill(pid, 'SIGTERM');
            }
          }, 20);
          setTimeout(() => clearInterval(poll), 9_000).unref();
        },
      );
      expect(sockets.length).toBeGreaterThan(0);
      expect(run.signal).toBeNull();
      expect(run.code).toBe(143);
      expect(run.stderr).toContain('Worker stopped during start-up (SIGTERM)');
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    }
  });
});
