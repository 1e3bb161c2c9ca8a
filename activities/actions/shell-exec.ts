import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { PermanentActionError, type ActionContext, type ActionHandler } from './contract';
import { insideRoot } from './paths';
import { completeOnce } from './undo-journal';

/** util-linux's setpriv (on Debian and most Linux systems); without it commands run under plain sh. */
const SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : undefined;

const paramsSchema = z.strictObject({
  command: z.string({ message: 'expected a shell command' }).min(1, { message: 'expected a shell command' }),
  undo: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'the command that reverses this one (rung 4 needs it)' }),
  cwd: z.string().default('.').meta({ description: 'folder inside the sandbox to run in' }),
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

/**
 * Runs `command` with `sh -c` in `cwd`, killing it after `timeoutMs`.
 *
 * @throws {PermanentActionError} on a non-zero exit or timeout: re-running a failed command blindly is not safe.
 */
export function runShell(
  command: string,
  cwd: string,
  timeoutMs: number,
  ctx: ActionContext,
): Promise<{ exitCode: number; output: string }> {
  return new Promise((resolve, reject) => {
    // Under setpriv --pdeathsig the shell dies with the worker: a crashed worker must not leave a
    // step running on its own while the retry on another worker runs it again.
    const [file, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'SIGKILL', '--', 'sh', '-c', command]]
      : ['sh', ['-c', command]];
    const child = spawn(file, args, {
      cwd,
      env: sandboxEnv(process.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: ctx.signal,
    });
    let output = '';
    const keep = (d: Buffer): void => {
      output = (output + d.toString('utf8')).slice(-4096);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ exitCode: 0, output });
      else if (signal === 'SIGKILL')
        reject(new PermanentActionError(`\`${command}\` timed out after ${timeoutMs} ms`));
      else
        reject(
          new PermanentActionError(`\`${command}\` exited with ${code ?? signal}: ${output.slice(-500)}`),
        );
    });
  });
}

/** `shell.exec`: a command in the sandbox folder with a timeout and a declared undo command. */
export const shellExec: ActionHandler<ShellExecParams, ShellExecUndo> = {
  type: 'shell.exec',
  params: paramsSchema,
  blastRadius: () => 'high',
  describe: (p) =>
    `run \`${p.command}\` in the sandbox${p.cwd !== '.' ? `/${p.cwd}` : ''}${p.undo ? `; undo: \`${p.undo}\`` : '; no undo declared'}`,
  async draft(p) {
    return { kind: 'command', text: p.undo ? `${p.command}\n# undo: ${p.undo}` : p.command };
  },
  async execute(p, ctx) {
    const cwd = insideRoot(ctx.sandboxDir, p.cwd, 'cwd', true);
    const result = await completeOnce(ctx.stateDir, ctx.idempotencyKey, () =>
      runShell(p.command, cwd, p.timeoutMs, ctx),
    );
    return { undo: p.undo ?? null, cwd: p.cwd, ...result };
  },
  async compensate(p, undo, ctx) {
    if (!undo.undo) throw new PermanentActionError(`no undo command declared for \`${p.command}\``);
    const cwd = insideRoot(ctx.sandboxDir, undo.cwd, 'cwd', true);
    const command = undo.undo;
    await completeOnce(ctx.stateDir, `${ctx.idempotencyKey}#undo`, () =>
      runShell(command, cwd, p.timeoutMs, ctx),
    );
  },
};
