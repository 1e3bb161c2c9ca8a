import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { sandboxArgs, type SandboxSpec } from '../../../activities/actions/sandbox';

const limits = { cpuSeconds: 61, fileSizeBytes: 1024, processes: 64, addressSpaceBytes: 2 ** 32 };
const spec = (extra: Partial<SandboxSpec> = {}): SandboxSpec => ({
  sandboxDir: '/srv/ladder/.temporal/sandbox',
  cwd: '/srv/ladder/.temporal/sandbox/job',
  hide: ['/srv/ladder', '/srv/keys'],
  env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' },
  limits,
  prlimit: '/usr/bin/prlimit',
  ...extra,
});
/** The folders covered by a tmpfs, in order, and where the sandbox bind sits among the arguments. */
const covers = (args: string[]): string[] => args.flatMap((a, i) => (a === '--tmpfs' ? [args[i + 1]] : []));
const at = (args: string[], ...seq: string[]): number =>
  args.findIndex((_, i) => seq.every((s, j) => args[i + j] === s));

describe('sandboxArgs', () => {
  it('mounts / read-only, fresh /proc, /dev and /tmp, and unshares everything', () => {
    const args = sandboxArgs(spec(), 'echo hi');
    expect(args.slice(0, 3)).toEqual(['--ro-bind', '/', '/']);
    for (const flag of ['--unshare-all', '--die-with-parent', '--new-session', '--clearenv'])
      expect(args).toContain(flag);
    expect(args).not.toContain('--share-net');
    expect(at(args, '--proc', '/proc')).toBeGreaterThan(0);
    expect(at(args, '--dev', '/dev')).toBeGreaterThan(0);
    expect(covers(args)).toContain('/tmp');
    expect(at(args, '--chdir', '/srv/ladder/.temporal/sandbox/job')).toBeGreaterThan(0);
  });

  it('covers the hidden folders before binding the sandbox, so a sandbox inside one stays visible', () => {
    const args = sandboxArgs(spec(), 'true');
    const bind = at(args, '--bind', '/srv/ladder/.temporal/sandbox', '/srv/ladder/.temporal/sandbox');
    expect(bind).toBeGreaterThan(0);
    expect(covers(args)).toEqual(['/tmp', '/srv/keys', '/srv/ladder']);
    for (const d of covers(args)) expect(at(args, '--tmpfs', d)).toBeLessThan(bind);
  });

  it('never covers the sandbox itself or /, and covers a folder inside the sandbox after binding it', () => {
    const sandbox = '/srv/ladder/.temporal/sandbox';
    const args = sandboxArgs(spec({ hide: ['/', sandbox, `${sandbox}/state`, '/srv/keys/'] }), 'true');
    expect(covers(args)).toEqual(['/tmp', '/srv/keys', `${sandbox}/state`]);
    expect(at(args, '--tmpfs', `${sandbox}/state`)).toBeGreaterThan(at(args, '--bind', sandbox, sandbox));
  });

  it('covers a subtree once: a folder inside a hidden one is hidden already', () => {
    const args = sandboxArgs(
      spec({ hide: ['/srv/ladder/.temporal/keys', '/srv/ladder', '/tmp/x', '/srv/ladder'] }),
      'true',
    );
    expect(covers(args)).toEqual(['/tmp', '/srv/ladder']);
  });

  it('passes only the given environment, and the command last under prlimit', () => {
    const args = sandboxArgs(spec({ env: { PATH: '/bin', LANG: undefined, TZ: 'UTC' } }), 'echo "$PATH"');
    const envArgs = args.slice(at(args, '--clearenv') + 1, at(args, '--'));
    expect(envArgs).toEqual(['--setenv', 'PATH', '/bin', '--setenv', 'TZ', 'UTC']);
    expect(args.slice(at(args, '--') + 1)).toEqual([
      '/usr/bin/prlimit',
      '--cpu=61',
      '--fsize=1024',
      '--nproc=64',
      `--as=${2 ** 32}`,
      '--',
      'sh',
      '-c',
      'echo "$PATH"',
    ]);
  });

  it('refuses a relative or root sandbox and a cwd outside the sandbox', () => {
    expect(() => sandboxArgs(spec({ sandboxDir: 'sandbox', cwd: 'sandbox' }), 'true')).toThrow(/absolute/);
    expect(() => sandboxArgs(spec({ sandboxDir: '/', cwd: '/' }), 'true')).toThrow(/absolute/);
    expect(() => sandboxArgs(spec({ cwd: '/srv/ladder' }), 'true')).toThrow(/not inside the sandbox/);
  });
});

describe('sandboxArgs under a real bwrap', () => {
  const bwrap = ['/usr/bin/bwrap', '/bin/bwrap'].find((p) => existsSync(p));
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));
  let root: string;
  beforeEach(() => {
    // Outside /tmp (which the sandbox replaces anyway), so only the covers decide what is seen.
    root = realpathSync(
      mkdtempSync(join(existsSync('/var/tmp') ? '/var/tmp' : process.cwd(), 'ladder-sbx-')),
    );
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('keeps a sandbox inside a hidden folder writable while the rest of that folder is gone', () => {
    if (!bwrap || !prlimit) throw new Error('bubblewrap and prlimit are needed: apt-get install bubblewrap');
    const repo = join(root, 'repo');
    const sandbox = join(repo, '.temporal', 'sandbox');
    mkdirSync(sandbox, { recursive: true });
    writeFileSync(join(repo, 'secret.key'), 'KEY');
    const args = sandboxArgs(
      { sandboxDir: sandbox, cwd: sandbox, hide: [repo], env: { PATH: '/usr/bin:/bin' }, limits, prlimit },
      `ls -A '${repo}' > listing.txt; cat '${repo}/secret.key' > key.txt 2>&1; echo ok > '${repo}/planted.txt' 2>/dev/null; echo done`,
    );
    const run = spawnSync(bwrap, args, { encoding: 'utf8', timeout: 30_000 });
    expect(run.stdout).toBe('done\n');
    expect(readFileSync(join(sandbox, 'listing.txt'), 'utf8')).toBe('.temporal\n'); // only the path to the sandbox
    expect(readFileSync(join(sandbox, 'key.txt'), 'utf8')).not.toContain('KEY');
    expect(existsSync(join(repo, 'planted.txt'))).toBe(false); // written to the cover, not the real folder
  });
});
