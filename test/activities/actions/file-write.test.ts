import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PermanentActionError } from '../../../activities/actions/contract';
import { fileWrite } from '../../../activities/actions/file-write';
import { actionContext } from './helpers';

describe('file.write', () => {
  it('drafts a unified diff without touching the file', async () => {
    const ctx = actionContext();
    writeFileSync(join(ctx.workspaceRoot, 'a.txt'), 'one\ntwo\n');
    const draft = await fileWrite.draft({ path: 'a.txt', content: 'one\nthree\n' }, ctx);
    expect(draft.kind).toBe('diff');
    expect(draft.text).toContain('--- a/a.txt');
    expect(draft.text).toContain('-two');
    expect(draft.text).toContain('+three');
    expect(readFileSync(join(ctx.workspaceRoot, 'a.txt'), 'utf8')).toBe('one\ntwo\n');
  });

  it('writes, and its compensation restores the previous bytes', async () => {
    const ctx = actionContext();
    const file = join(ctx.workspaceRoot, 'a.txt');
    writeFileSync(file, 'before');
    const undo = await fileWrite.execute({ path: 'a.txt', content: 'after' }, ctx);
    expect(readFileSync(file, 'utf8')).toBe('after');
    await fileWrite.compensate({ path: 'a.txt', content: 'after' }, undo, ctx);
    expect(readFileSync(file, 'utf8')).toBe('before');
    await fileWrite.compensate({ path: 'a.txt', content: 'after' }, undo, ctx); // idempotent
    expect(readFileSync(file, 'utf8')).toBe('before');
  });

  it('removes a file it created when compensating', async () => {
    const ctx = actionContext();
    const undo = await fileWrite.execute({ path: 'new/dir/b.txt', content: 'x' }, ctx);
    expect(undo).toEqual({ path: 'new/dir/b.txt', previous: null });
    await fileWrite.compensate({ path: 'new/dir/b.txt', content: 'x' }, undo, ctx);
    expect(existsSync(join(ctx.workspaceRoot, 'new/dir/b.txt'))).toBe(false);
  });

  it('keeps the first snapshot when a retried execute runs again with the same key', async () => {
    const ctx = actionContext();
    const file = join(ctx.workspaceRoot, 'a.txt');
    writeFileSync(file, 'original');
    await fileWrite.execute({ path: 'a.txt', content: 'changed' }, ctx);
    const retried = await fileWrite.execute({ path: 'a.txt', content: 'changed' }, ctx);
    expect(retried.previous).toBe('original');
  });

  it.each([['../escape.txt'], ['/etc/passwd'], ['link/inside.txt']])(
    'refuses %s outside the workspace',
    async (path) => {
      const ctx = actionContext();
      symlinkSync(ctx.base, join(ctx.workspaceRoot, 'link'));
      await expect(fileWrite.execute({ path, content: 'x' }, ctx)).rejects.toThrow(PermanentActionError);
      await expect(fileWrite.execute({ path, content: 'x' }, ctx)).rejects.toThrow(
        /outside the allowed root/,
      );
    },
  );
});

describe('file.write and the environments that own workspace paths', () => {
  const environmentTargets = { production: { paths: ['prod/'] } };

  it('refuses a path whose folder link leads into another environment’s files, and writes nothing', async () => {
    const ctx = actionContext('task/agent/t1#0', { environmentTargets });
    mkdirSync(join(ctx.workspaceRoot, 'prod'));
    mkdirSync(join(ctx.workspaceRoot, 'staging'));
    writeFileSync(join(ctx.workspaceRoot, 'prod', 'flags.json'), 'production');
    symlinkSync('../prod', join(ctx.workspaceRoot, 'staging', 'shared'));
    const step = { path: 'staging/shared/flags.json', content: 'from staging' };
    await expect(fileWrite.execute(step, ctx)).rejects.toThrow(PermanentActionError);
    await expect(fileWrite.execute(step, ctx)).rejects.toThrow(
      'path "staging/shared/flags.json" resolves through a symlink to "prod/flags.json", which belongs to production, while "staging/shared/flags.json" belongs to no environment; refused',
    );
    expect(readFileSync(join(ctx.workspaceRoot, 'prod', 'flags.json'), 'utf8')).toBe('production');
  });

  it('writes through a link that stays with the same owner', async () => {
    const ctx = actionContext('task/agent/t1#0', { environmentTargets });
    mkdirSync(join(ctx.workspaceRoot, 'prod', 'v2'), { recursive: true });
    symlinkSync('v2', join(ctx.workspaceRoot, 'prod', 'current'));
    await fileWrite.execute({ path: 'prod/current/flags.json', content: 'ok' }, ctx);
    expect(readFileSync(join(ctx.workspaceRoot, 'prod', 'v2', 'flags.json'), 'utf8')).toBe('ok');
  });
});
