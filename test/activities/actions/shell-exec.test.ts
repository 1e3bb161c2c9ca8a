import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
