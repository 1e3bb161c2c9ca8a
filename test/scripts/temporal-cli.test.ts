import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTemporalCli, TemporalCliNotFoundError } from '../../scripts/temporal-cli';

function fakeExecutable(dir: string, name = 'temporal'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\necho fake\n');
  chmodSync(path, 0o755);
  return path;
}

describe('resolveTemporalCli', () => {
  let root: string;
  const offline = { skipSdkDownload: true, skipGoInstall: true };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ladder-cli-'));
  });

  it('prefers TEMPORAL_CLI over PATH and the cache', async () => {
    const explicit = fakeExecutable(join(root, 'explicit'));
    const onPath = fakeExecutable(join(root, 'path-dir'));
    fakeExecutable(join(root, '.temporal', 'bin'));
    const cli = await resolveTemporalCli({
      root,
      env: { TEMPORAL_CLI: explicit, PATH: join(root, 'path-dir') },
      ...offline,
    });
    expect(cli).toMatchObject({ path: explicit, source: 'TEMPORAL_CLI' });
    expect(onPath).not.toBe(cli.path);
  });

  it('uses PATH before the cached build', async () => {
    const onPath = fakeExecutable(join(root, 'path-dir'));
    fakeExecutable(join(root, '.temporal', 'bin'));
    const cli = await resolveTemporalCli({
      root,
      env: { PATH: `/nonexistent:${join(root, 'path-dir')}` },
      ...offline,
    });
    expect(cli).toMatchObject({ path: onPath, source: 'PATH' });
    expect(cli.description).toContain('on PATH');
  });

  it('falls back to the cached build under .temporal/bin', async () => {
    const cached = fakeExecutable(join(root, '.temporal', 'bin'));
    const cli = await resolveTemporalCli({ root, env: { PATH: '' }, ...offline });
    expect(cli).toMatchObject({ path: cached, source: 'cache' });
  });

  it('ignores a non-executable file in the cache', async () => {
    const dir = join(root, '.temporal', 'bin');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'temporal'), 'not executable');
    await expect(resolveTemporalCli({ root, env: { PATH: '' }, ...offline })).rejects.toThrow(
      TemporalCliNotFoundError,
    );
  });

  it('refuses a TEMPORAL_CLI that is not executable instead of silently using another', async () => {
    fakeExecutable(join(root, '.temporal', 'bin'));
    await expect(
      resolveTemporalCli({ root, env: { TEMPORAL_CLI: join(root, 'missing') }, ...offline }),
    ).rejects.toThrow(/TEMPORAL_CLI=.*missing: not an executable file/);
  });

  it('names every attempt and what to install when nothing works', async () => {
    const error = await resolveTemporalCli({ root, env: { PATH: '' }, ...offline }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TemporalCliNotFoundError);
    const message = (error as Error).message;
    expect(message).toContain('TEMPORAL_CLI: not set');
    expect(message).toContain('`temporal` on PATH: not found');
    expect(message).toContain(join(root, '.temporal', 'bin', 'temporal'));
    expect(message).toMatch(/go install github\.com\/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
  });
});
