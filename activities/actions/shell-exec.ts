import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, realpathSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { PermanentActionError, type ActionContext, type ActionHandler, type RetrySafety } from './contract';
import { insideRoot, staysInside, targetPath } from './paths';
import { sandboxArgs, type SandboxLimits } from './sandbox';
import { effectMayHaveBegun, runEffectOnce } from './undo-journal';

/** What a step's output reads when its effect was confirmed by a check or a person, not seen. */
const UNOBSERVED_OUTPUT =
  '(output not captured: the attempt that ran it did not finish; a check or a person confirmed it ran)';
/** What the undo record of a command that failed part-way says in place of its output. */
const INTERRUPTED_OUTPUT = '(it started and did not end cleanly: it may have done part of its work)';

/** util-linux's setpriv (on Debian and most Linux systems); without it commands run under plain sh. */
const SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

const paramsSchema = z.strictObject({
  command: z.string({ message: 'expected a shell command' }).min(1, { message: 'expected a shell command' }),
  undo: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'the command that reverses this one (rung 4 needs it)' }),
  verify: z.string().min(1).optional().meta({
    description:
      'a command that tells whether `command` took effect (exit 0: yes, 1: no); asked before a retry after an unknown outcome',
  }),
  undoVerify: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'the same for `undo`: exit 0 when the undo took effect, 1 when not' }),
  cwd: z
    .string()
    .superRefine(staysInside('sandbox'))
    .default('.')
    .meta({ description: 'folder inside the sandbox to run in' }),
  timeoutMs: z.int().min(100).max(3_600_000).default(60_000),
});
export type ShellExecParams = z.output<typeof paramsSchema>;
export interface ShellExecUndo {
  undo: string | null;
  cwd: string;
  exitCode: number;
  /** The last 4 KiB of output, for the report. */
  output: string;
}

/**
 * The environment code an agent runs gets: the basics a shell needs and nothing of the worker's
 * own (Temporal, Slack and API keys, Ladder's settings and secrets, the key folder's path), since
 * that code is an actor the policy does not trust with them.
 */
export function sandboxEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'LANG', 'LC_ALL', 'TZ', 'TERM']) {
    if (env[name] !== undefined) kept[name] = env[name];
  }
  kept.HOME = '/nonexistent';
  return kept;
}

/** An executable named `name` on `PATH` (looked up at each call), or `undefined`. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (!dir || !isAbsolute(dir)) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Real path of `p` when it exists and is a folder (`dir`) or anything else (`file`), else `undefined`. */
function realPathOf(p: string | undefined, kind: 'dir' | 'file'): string | undefined {
  if (!p) return undefined;
  try {
    const real = realpathSync(resolve(p));
    return statSync(real).isDirectory() === (kind === 'dir') ? real : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What of Ladder a sandboxed command must not see: the state journals, the workspace, the keys
 * folder (and the folders of the frontend/operator keys), the worker's working folder and code,
 * the worker user's home, and `/run` (service sockets). The sandbox folder stays visible even
 * inside one of them. Files holding secrets elsewhere are covered one by one: see {@link hiddenFiles}.
 */
export function hiddenDirs(ctx: ActionContext, env: NodeJS.ProcessEnv = process.env): string[] {
  const keyFile = (f: string | undefined): string | undefined => (f ? dirname(resolve(f)) : undefined);
  const candidates = [
    ctx.stateDir,
    ctx.workspaceRoot,
    env.LADDER_KEYS_DIR ?? '.temporal/keys',
    keyFile(env.LADDER_FRONTEND_KEY),
    keyFile(env.LADDER_OPERATOR_KEY),
    process.cwd(),
    resolve(__dirname, '..', '..'),
    env.HOME,
    // Unix sockets of local services (databases, docker): a read-only mount does not stop connect().
    '/run',
  ];
  const dirs = candidates.map((c) => realPathOf(c, 'dir')).filter((d): d is string => d !== undefined);
  return [...new Set(dirs)];
}

/**
 * The files holding secrets that may lie outside every hidden folder: the policy's credential
 * files (`ctx.secretFiles`, from the policy in force), Temporal's TLS key, certificate and CA, the
 * policy file, and the frontend and operator keys. Each is named by its real path (a symlink's
 * target is what must be covered). One that does not exist is left out (there is nothing to read,
 * and bwrap cannot cover a file that is not there), and so is a folder (no secret can be read from
 * one: the secret resolver refuses it).
 *
 * @param env - the worker's environment, as `loadConfig` reads it (an empty value is unset).
 */
export function hiddenFiles(ctx: ActionContext, env: NodeJS.ProcessEnv = process.env): string[] {
  const files = secretPaths(ctx, env)
    .map((f) => realPathOf(f, 'file'))
    .filter((f): f is string => f !== undefined);
  return [...new Set(files)];
}

/** Every path that names a secret, as configured (relative ones against the worker's folder). */
function secretPaths(ctx: ActionContext, env: NodeJS.ProcessEnv): string[] {
  const set = (name: string): string | undefined => (env[name] ? env[name] : undefined);
  return [
    ...(ctx.secretFiles ?? []),
    set('TEMPORAL_TLS_KEY_PATH'),
    set('TEMPORAL_TLS_CERT_PATH'),
    set('TEMPORAL_TLS_CA_PATH'),
    set('LADDER_POLICY_PATH') ?? 'examples/policy.yaml',
    set('LADDER_FRONTEND_KEY') ?? join(set('LADDER_KEYS_DIR') ?? '.temporal/keys', 'frontend.key.json'),
    set('LADDER_OPERATOR_KEY'),
  ].filter((p): p is string => p !== undefined && p !== '');
}

/** The limits a command runs under: CPU seconds no more than its timeout allows. */
export function shellLimits(timeoutMs: number): SandboxLimits {
  return {
    cpuSeconds: Math.ceil(timeoutMs / 1000) + 1,
    fileSizeBytes: 1024 ** 3,
    processes: 256,
    addressSpaceBytes: 4 * 1024 ** 3,
  };
}

let warnedUnsandboxed = false;

/**
 * How to start `command`: under bubblewrap (see `sandboxArgs`), or — only where bwrap is missing
 * and `LADDER_UNSANDBOXED_SHELL=1` — under plain `sh` as before the sandbox existed.
 *
 * @throws {PermanentActionError} when bwrap (or prlimit) is missing and no opt-out is set.
 */
function launcher(command: string, cwd: string, timeoutMs: number, ctx: ActionContext): [string, string[]] {
  const bwrap = onPath('bwrap');
  const prlimit = onPath('prlimit');
  if (bwrap && prlimit) {
    const args = sandboxArgs(
      {
        sandboxDir: realpathSync(ctx.sandboxDir),
        cwd,
        hide: hiddenDirs(ctx),
        hideFiles: hiddenFiles(ctx),
        env: sandboxEnv(process.env),
        limits: shellLimits(timeoutMs),
        prlimit,
      },
      command,
    );
    return [bwrap, args];
  }
  if (process.env.LADDER_UNSANDBOXED_SHELL !== '1') {
    throw new PermanentActionError(
      bwrap
        ? 'shell.exec needs prlimit (util-linux): apt-get install util-linux'
        : 'shell.exec needs bubblewrap: apt-get install bubblewrap (or set LADDER_UNSANDBOXED_SHELL=1 to run commands unsandboxed)',
    );
  }
  if (!warnedUnsandboxed) {
    warnedUnsandboxed = true;
    console.warn(
      '!!! LADDER_UNSANDBOXED_SHELL=1 and no bubblewrap: shell.exec runs commands WITHOUT A SANDBOX, ' +
        "as the worker's own user, able to read its keys and state and reach its services. " +
        'Install bubblewrap (apt-get install bubblewrap) and unset LADDER_UNSANDBOXED_SHELL. !!!',
    );
  }
  // Under setpriv --pdeathsig the shell dies with the worker: a crashed worker must not leave a
  // step running on its own while the retry on another worker runs it again.
  return SETPRIV ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', 'sh', '-c', command]] : ['sh', ['-c', command]];
}

/**
 * The folder a command runs in: inside the sandbox after every symlink, and existing.
 *
 * @throws {PermanentActionError} naming `cwd` when it is outside the sandbox or no folder there.
 */
function sandboxCwd(ctx: ActionContext, cwd: string): string {
  const resolved = insideRoot(ctx.sandboxDir, cwd, 'cwd', true);
  let isDir = false;
  try {
    isDir = statSync(resolved).isDirectory();
  } catch {
    // missing: said below
  }
  if (!isDir) throw new PermanentActionError(`cwd "${cwd}": no such folder in the sandbox`);
  return resolved;
}

/** Longest a `verify`/`undoVerify` check may run, in ms: a check reads, it does not work. */
const CHECK_TIMEOUT_MS = 60_000;

/** Errors raised before a command was started: its effect cannot have happened. */
const NOT_STARTED = new WeakSet<object>();

/**
 * Whether a failed run may have had an effect: yes once the command was started (a non-zero exit,
 * a timeout, an abort part-way may each leave half of it done), no when it never started.
 */
export function commandMayHaveRun(err: unknown): boolean {
  return !(err !== null && typeof err === 'object' && NOT_STARTED.has(err));
}

/** How a sandboxed command ended. */
interface ShellEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Set when Ladder stopped it: its timeout, or the activity's cancellation. */
  stopped?: 'timeout' | 'abort';
}

/**
 * Starts `command` with `sh -c` in `cwd` inside the sandbox and reports how it ended, killing
 * everything it started after `timeoutMs` (or when the activity is cancelled).
 */
function runSandboxed(
  command: string,
  cwd: string,
  timeoutMs: number,
  ctx: ActionContext,
): Promise<ShellEnd> {
  return new Promise((resolvePromise, reject) => {
    const notStarted = (err: unknown): void => {
      if (err !== null && typeof err === 'object') NOT_STARTED.add(err);
      reject(err);
    };
    let file: string;
    let args: string[];
    try {
      [file, args] = launcher(command, cwd, timeoutMs, ctx);
    } catch (err) {
      notStarted(err);
      return;
    }
    if (ctx.signal?.aborted) {
      notStarted(ctx.signal.reason ?? new Error('aborted'));
      return;
    }
    // Its own process group: a timeout kills the group. Under bwrap the command also runs as pid 1's
    // child in its own pid namespace, so when bwrap dies (--die-with-parent) everything in it dies,
    // including what escaped the group with setsid or a double fork.
    const child = spawn(file, args, {
      cwd,
      env: sandboxEnv(process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString('utf8')).slice(-4096);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let stopped: 'timeout' | 'abort' | undefined;
    const killAll = (why: 'timeout' | 'abort'): void => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
      stopped ??= why;
      try {
        process.kill(-child.pid, 'SIGKILL'); // the group is alive (its leader is not yet reaped)
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => killAll('timeout'), timeoutMs);
    const onAbort = (): void => killAll('abort');
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      ctx.signal?.removeEventListener('abort', onAbort);
    };
    child.once('error', (err) => {
      done();
      // spawn's own failure (no such binary or folder): nothing of the command ran.
      notStarted(err);
    });
    child.once('close', (code, signal) => {
      done();
      resolvePromise({ code, signal, output, ...(stopped ? { stopped } : {}) });
    });
  });
}

/**
 * Runs `command` with `sh -c` in `cwd` inside the sandbox, killing everything it started after
 * `timeoutMs` (or when the activity is cancelled).
 *
 * @throws {PermanentActionError} on a non-zero exit or timeout: re-running a failed command blindly is not safe.
 */
export async function runShell(
  command: string,
  cwd: string,
  timeoutMs: number,
  ctx: ActionContext,
): Promise<{ exitCode: number; output: string }> {
  const end = await runSandboxed(command, cwd, timeoutMs, ctx);
  if (end.stopped === 'abort') throw ctx.signal?.reason ?? new Error('aborted');
  if (end.stopped === 'timeout' || (end.code === null && end.signal === 'SIGKILL'))
    throw new PermanentActionError(`\`${command}\` timed out after ${timeoutMs} ms`);
  if (end.code === 0) return { exitCode: 0, output: end.output };
  throw new PermanentActionError(
    `\`${command}\` exited with ${end.code ?? end.signal}: ${end.output.slice(-500)}`,
  );
}

/**
 * Runs a declared check command in the sandbox: exit 0 means the effect happened, exit 1 that it
 * did not, anything else (another code, a timeout, no sandbox) that the check cannot tell.
 */
export async function probeShell(
  command: string,
  cwd: string,
  timeoutMs: number,
  ctx: ActionContext,
): Promise<boolean | undefined> {
  try {
    const end = await runSandboxed(command, cwd, timeoutMs, ctx);
    if (end.stopped) return undefined;
    return end.code === 0 ? true : end.code === 1 ? false : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A shell command is repeatable only as far as the agent says so: with a declared check command
 * (`verify` for the command, `undoVerify` for its undo) a retry after an unknown outcome asks the
 * check first; without one the task stops and a person decides.
 */
function shellRetrySafety(
  check: string | undefined,
  cwd: string,
  timeoutMs: number,
  ctx: ActionContext,
  field: 'verify' | 'undoVerify',
): RetrySafety {
  if (check === undefined) {
    return {
      kind: 'none',
      why: `a shell command may not be safe to repeat and the step declares no \`${field}\` check`,
    };
  }
  return {
    kind: 'verifiable',
    why: `\`${check}\` (exit 0: it happened, 1: it did not) is asked first`,
    check: () => probeShell(check, sandboxCwd(ctx, cwd), Math.min(timeoutMs, CHECK_TIMEOUT_MS), ctx),
  };
}

/** `shell.exec`: a command in the sandbox folder with a timeout and a declared undo command. */
export const shellExec: ActionHandler<ShellExecParams, ShellExecUndo> = {
  type: 'shell.exec',
  hostBound: true,
  params: paramsSchema,
  blastRadius: () => 'high',
  describe: (p) =>
    `run \`${p.command}\` in the sandbox${p.cwd !== '.' ? `/${p.cwd}` : ''}${p.undo ? `; undo: \`${p.undo}\`` : '; no undo declared'}${
      p.verify ? `; check after a crash: \`${p.verify}\`` : ''
    }${p.undoVerify ? `; undo check: \`${p.undoVerify}\`` : ''}`,
  targets: (p) => {
    const where = targetPath(p.cwd);
    return [
      `run ${p.command} (in ${where})`,
      ...(p.undo ? [`undo: ${p.undo} (in ${where})`] : []),
      ...(p.verify ? [`check: ${p.verify} (in ${where})`] : []),
      ...(p.undoVerify ? [`undo check: ${p.undoVerify} (in ${where})`] : []),
    ];
  },
  // The command sees only its sandbox folder (no workspace, no network): nothing an environment owns.
  reaches: () => [],
  async draft(p) {
    return { kind: 'command', text: p.undo ? `${p.command}\n# undo: ${p.undo}` : p.command };
  },
  async execute(p, ctx) {
    const cwd = sandboxCwd(ctx, p.cwd);
    const result = await runEffectOnce({
      ctx,
      key: ctx.idempotencyKey,
      what: `\`${p.command}\``,
      safety: shellRetrySafety(p.verify, p.cwd, p.timeoutMs, ctx, 'verify'),
      effect: () => runShell(p.command, cwd, p.timeoutMs, ctx),
      mayHaveTakenEffect: commandMayHaveRun,
      undoable: p.undo !== undefined,
      unobserved: () => ({ exitCode: 0, output: UNOBSERVED_OUTPUT }),
    });
    return { undo: p.undo ?? null, cwd: p.cwd, ...result };
  },
  async compensate(p, undo, ctx) {
    if (!undo.undo) throw new PermanentActionError(`no undo command declared for \`${p.command}\``);
    const cwd = sandboxCwd(ctx, undo.cwd);
    const command = undo.undo;
    await runEffectOnce({
      ctx,
      key: `${ctx.idempotencyKey}#undo`,
      what: `undo \`${command}\``,
      safety: shellRetrySafety(p.undoVerify, undo.cwd, p.timeoutMs, ctx, 'undoVerify'),
      effect: () => runShell(command, cwd, p.timeoutMs, ctx),
      mayHaveTakenEffect: commandMayHaveRun,
      unobserved: () => ({ exitCode: 0, output: UNOBSERVED_OUTPUT }),
    });
  },
  // A command that started and did not end cleanly (a non-zero exit, a timeout, a cancellation)
  // may have done part of its work: its declared undo is what reverses that. One that never
  // started has nothing to undo.
  undoRecordFor: (p, ctx) =>
    effectMayHaveBegun(ctx.stateDir, ctx.idempotencyKey)
      ? { undo: p.undo ?? null, cwd: p.cwd, exitCode: -1, output: INTERRUPTED_OUTPUT }
      : undefined,
  retrySafety: (p, ctx, stage) =>
    stage === 'execute'
      ? shellRetrySafety(p.verify, p.cwd, p.timeoutMs, ctx, 'verify')
      : shellRetrySafety(p.undoVerify, p.cwd, p.timeoutMs, ctx, 'undoVerify'),
};
