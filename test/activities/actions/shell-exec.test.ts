import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PermanentActionError } from '../../../activities/actions/contract';
import { sandboxEnv, shellExec } from '../../../activities/actions/shell-exec';
import { actionContext } from './helpers';

const params = (command: string, extra: Partial<{ undo: string; cwd: string; timeoutMs: number }> = {}) =>
  shellExec.params.parse({ command, ...extra });

describe('shell.exec', () => {
  it('runs in the sandbox and its undo command reverses it', async () => {
    const ctx = actionContext();
    const p = params('echo deployed >> effects.log && pwd', { undo: 'echo undone >> effects.log' });
    const undo = await shellExec.execute(p, ctx);
    expect(undo).toMatchObject({ exitCode: 0, undo: 'echo undone >> effects.log' });
    expect(undo.output.trim()).toBe(ctx.sandboxDir);
    await shellExec.compensate(p, undo, ctx);
    expect(readFileSync(join(ctx.sandboxDir, 'effects.log'), 'utf8')).toBe('deployed\nundone\n');
  });

  it('does not run the command again when a finished step is retried', async () => {
    const ctx = actionContext();
    const p = params('echo once >> effects.log');
    await shellExec.execute(p, ctx);
    await shellExec.execute(p, ctx);
    expect(readFileSync(join(ctx.sandboxDir, 'effects.log'), 'utf8')).toBe('once\n');
  });

  it('fails permanently on a non-zero exit and on timeout', async () => {
    const ctx = actionContext();
    await expect(shellExec.execute(params('echo nope >&2; exit 3'), ctx)).rejects.toThrow(
      /exited with 3: nope/,
    );
    const slow = actionContext('task/agent/t2#0');
    await expect(shellExec.execute(params('sleep 5', { timeoutMs: 200 }), slow)).rejects.toThrow(
      PermanentActionError,
    );
  });

  it('undoes a command that failed part-way with its declared undo, and nothing for one that never started', async () => {
    const ctx = actionContext();
    const p = params('echo half >> effects.log; exit 3', { undo: 'echo undone >> effects.log' });
    await expect(shellExec.execute(p, ctx)).rejects.toThrow(/exited with 3/);
    const record = shellExec.undoRecordFor!(p, ctx);
    expect(record).toMatchObject({ undo: 'echo undone >> effects.log', cwd: '.' });
    await shellExec.compensate(p, record!, ctx);
    expect(readFileSync(join(ctx.sandboxDir, 'effects.log'), 'utf8')).toBe('half\nundone\n');
    // Refused before it started (its folder is outside the sandbox): nothing to undo.
    const never = actionContext('task/agent/t3#0');
    // (Submission refuses this cwd; the run refuses it again, for a step that got past that.)
    const outside = { ...params('echo x >> effects.log', { undo: 'true' }), cwd: '../..' };
    await expect(shellExec.execute(outside, never)).rejects.toThrow(/outside the allowed root/);
    expect(shellExec.undoRecordFor!(outside, never)).toBeUndefined();
  });

  it('refuses a cwd outside the sandbox and a compensation with no undo', async () => {
    const ctx = actionContext();
    expect(() => params('true', { cwd: '../..' })).toThrow(/leaves the sandbox folder/);
    await expect(shellExec.execute({ ...params('true'), cwd: '../..' }, ctx)).rejects.toThrow(
      /outside the allowed root/,
    );
    const p = params('true');
    const undo = await shellExec.execute(p, ctx);
    await expect(shellExec.compensate(p, undo, ctx)).rejects.toThrow(/no undo command declared/);
  });
});

describe('the shell sandbox environment', () => {
  it("keeps none of the worker's keys, tokens, secrets or settings", () => {
    const env = sandboxEnv({
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: '/root',
      TEMPORAL_API_KEY: 'tk',
      SLACK_BOT_TOKEN: 'xoxb-1',
      LADDER_SECRET_DEMO_DEPLOY: 's3cr3t',
      LADDER_FRONTEND_KEY: '/keys/frontend.key.json',
      AWS_SECRET_ACCESS_KEY: 'aws',
    });
    expect(env).toEqual({ PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: '/nonexistent' });
  });

  it('is what a command really sees', async () => {
    process.env.LADDER_SECRET_SANDBOX_TEST = 'must-not-leak';
    try {
      const ctx = actionContext();
      await shellExec.execute(params('env > seen.env'), ctx);
      const seen = readFileSync(join(ctx.sandboxDir, 'seen.env'), 'utf8');
      expect(seen).toContain('PATH=');
      expect(seen).not.toContain('must-not-leak');
      expect(seen).not.toMatch(/^(LADDER|TEMPORAL|SLACK)_/m);
    } finally {
      delete process.env.LADDER_SECRET_SANDBOX_TEST;
    }
  });
});

/** Polls `check` every 100 ms until it holds or `withinMs` passes; returns whether it held. */
async function eventually(check: () => boolean, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** PIDs whose command line contains `pattern` (pgrep -f), none when pgrep finds nothing. */
function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return []; // exit 1: no process
  }
}

/** A folder outside /tmp (which the sandbox replaces anyway), so only the sandbox's own rules hide it. */
function hostDir(prefix: string): string {
  for (const parent of ['/var/tmp', tmpdir()]) {
    try {
      return mkdtempSync(join(parent, prefix));
    } catch {
      // try the next one
    }
  }
  throw new Error('no writable temp folder');
}

describe('the bubblewrap sandbox of shell.exec', () => {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });

  it('reads system files but writes nothing outside the sandbox folder', async () => {
    const ctx = actionContext();
    const outside = hostDir('ladder-outside-');
    made.push(outside);
    const escapes = [
      join(dirname(process.cwd()), `ladder-escape-${randomBytes(4).toString('hex')}.txt`),
      join(outside, 'escape.txt'),
      join(ctx.base, 'escape.txt'), // beside the sandbox, in the worker's /tmp
    ];
    const writes = escapes.map((f) => `(echo x > '${f}') 2>> denied.txt`).join('; ');
    await shellExec.execute(params(`cat /etc/passwd > passwd.copy; ${writes}; echo done > mine.txt`), ctx);
    expect(readFileSync(join(ctx.sandboxDir, 'passwd.copy'), 'utf8')).toBe(
      readFileSync('/etc/passwd', 'utf8'),
    );
    expect(readFileSync(join(ctx.sandboxDir, 'mine.txt'), 'utf8')).toBe('done\n');
    for (const f of escapes) expect(existsSync(f)).toBe(false);
    expect(readFileSync(join(ctx.sandboxDir, 'denied.txt'), 'utf8')).toMatch(/Read-only file system/);
  });

  it("cannot see the keys folder, the state journals or Ladder's own folder", async () => {
    const keys = hostDir('ladder-keys-');
    const visible = hostDir('ladder-visible-');
    made.push(keys, visible);
    writeFileSync(join(keys, 'frontend.key.json'), 'PRIVATE-KEY-MATERIAL');
    writeFileSync(join(visible, 'note.txt'), 'public');
    const before = process.env.LADDER_KEYS_DIR;
    process.env.LADDER_KEYS_DIR = keys;
    try {
      const ctx = actionContext();
      mkdirSync(ctx.stateDir, { recursive: true });
      writeFileSync(join(ctx.stateDir, 'journal.json'), 'STATE-JOURNAL');
      await shellExec.execute(
        params(
          [
            `cat '${visible}/note.txt' > visible.txt`,
            `ls -A '${keys}' > keys.ls`,
            `cat '${keys}/frontend.key.json' > key.txt 2>&1`,
            `cat '${ctx.stateDir}/journal.json' > state.txt 2>&1`,
            `ls -A '${process.cwd()}' > repo.ls`,
            'true',
          ].join('; '),
        ),
        ctx,
      );
      const seen = (f: string): string => readFileSync(join(ctx.sandboxDir, f), 'utf8');
      expect(seen('visible.txt')).toBe('public'); // the same kind of folder, not hidden: readable
      expect(seen('keys.ls')).toBe('');
      expect(seen('key.txt')).not.toContain('PRIVATE-KEY-MATERIAL');
      expect(seen('state.txt')).not.toContain('STATE-JOURNAL');
      expect(seen('repo.ls')).toBe('');
    } finally {
      if (before === undefined) delete process.env.LADDER_KEYS_DIR;
      else process.env.LADDER_KEYS_DIR = before;
    }
  });

  it('cannot reach a server on 127.0.0.1', async () => {
    let received = 0;
    const server: Server = createServer((sock) => {
      received++;
      sock.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const ctx = actionContext();
      await shellExec.execute(
        params(
          [
            `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected' >> net.txt 2>&1`,
            `curl -sS -m 3 http://127.0.0.1:${port}/ >> net.txt 2>&1`,
            'true',
          ].join('; '),
        ),
        ctx,
      );
      expect(readFileSync(join(ctx.sandboxDir, 'net.txt'), 'utf8')).not.toContain('connected');
      expect(received).toBe(0);
      // Control: the server does answer a connection from outside the sandbox.
      await new Promise<void>((r, j) => connect(port, '127.0.0.1', r).once('error', j));
      expect(await eventually(() => received === 1, 5000)).toBe(true);
    } finally {
      server.close();
    }
  });

  it('leaves no background process behind when the step ends', async () => {
    const ctx = actionContext();
    const timeoutMs = 5000;
    const undo = await shellExec.execute(params('(sleep 297 &); echo started', { timeoutMs }), ctx);
    expect(undo.output).toBe('started\n');
    expect(await eventually(() => pgrep('sleep 297').length === 0, timeoutMs + 2000)).toBe(true);
  });

  it('kills everything the command started, even in a new session, at the timeout', async () => {
    const ctx = actionContext();
    const timeoutMs = 500;
    await expect(
      shellExec.execute(
        params('setsid sleep 296 > /dev/null 2>&1 & (sleep 296 &); sleep 60', { timeoutMs }),
        ctx,
      ),
    ).rejects.toThrow(/timed out after 500 ms/);
    expect(await eventually(() => pgrep('sleep 296').length === 0, 2000)).toBe(true);
  });

  it('runs under CPU, file size, process and memory limits', async () => {
    const ctx = actionContext();
    await shellExec.execute(params('cat /proc/self/limits > limits.txt', { timeoutMs: 10_000 }), ctx);
    const limits = readFileSync(join(ctx.sandboxDir, 'limits.txt'), 'utf8');
    const limit = (name: string): string => new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(limits)?.[1] ?? '';
    expect(limit('Max cpu time')).toBe('11');
    expect(limit('Max file size')).toBe(String(1024 ** 3));
    expect(limit('Max processes')).toBe('256');
    expect(limit('Max address space')).toBe(String(4 * 1024 ** 3));
  });
});

describe('shell.exec without bubblewrap', () => {
  const savedPath = process.env.PATH;
  let bin: string;
  beforeEach(() => {
    // A PATH with a shell and no bwrap: what a machine without bubblewrap looks like.
    bin = mkdtempSync(join(tmpdir(), 'ladder-nobwrap-'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    process.env.PATH = bin;
  });
  afterEach(() => {
    process.env.PATH = savedPath;
    delete process.env.LADDER_UNSANDBOXED_SHELL;
    rmSync(bin, { recursive: true, force: true });
  });

  it('refuses to run the command', async () => {
    const ctx = actionContext();
    const run = shellExec.execute(params('echo ran > ran.txt'), ctx);
    await expect(run).rejects.toThrow(PermanentActionError);
    await expect(run).rejects.toThrow('shell.exec needs bubblewrap: apt-get install bubblewrap');
    expect(existsSync(join(ctx.sandboxDir, 'ran.txt'))).toBe(false);
  });

  it('runs it unsandboxed only with LADDER_UNSANDBOXED_SHELL=1, warning once', async () => {
    process.env.LADDER_UNSANDBOXED_SHELL = '1';
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const ctx = actionContext();
      await shellExec.execute(params('echo ran > ran.txt'), ctx);
      await shellExec.execute(params('echo again >> ran.txt'), { ...ctx, idempotencyKey: 'task/agent/t1#1' });
      expect(readFileSync(join(ctx.sandboxDir, 'ran.txt'), 'utf8')).toBe('ran\nagain\n');
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/WITHOUT A SANDBOX/);
    } finally {
      warn.mockRestore();
    }
  });
});
