import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PermanentActionError } from '../../../activities/actions/contract';
import { shellExec } from '../../../activities/actions/shell-exec';
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

  it('refuses a cwd outside the sandbox and a compensation with no undo', async () => {
    const ctx = actionContext();
    await expect(shellExec.execute(params('true', { cwd: '../..' }), ctx)).rejects.toThrow(
      /outside the allowed root/,
    );
    const p = params('true');
    const undo = await shellExec.execute(p, ctx);
    await expect(shellExec.compensate(p, undo, ctx)).rejects.toThrow(/no undo command declared/);
  });
});
