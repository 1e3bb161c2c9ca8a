import { isAbsolute, normalize, relative, sep } from 'node:path';

/** Resource limits for one sandboxed command, applied with util-linux's `prlimit`. */
export interface SandboxLimits {
  /** CPU time in seconds (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Largest file the command may write, in bytes (RLIMIT_FSIZE). */
  fileSizeBytes: number;
  /** Processes/threads (RLIMIT_NPROC). */
  processes: number;
  /** Virtual memory per process, in bytes (RLIMIT_AS). */
  addressSpaceBytes: number;
}

/** Everything `sandboxArgs` needs; every path absolute and real (no symlinks). */
export interface SandboxSpec {
  /** The one folder bound read-write. */
  sandboxDir: string;
  /** Where the command starts; inside `sandboxDir`. */
  cwd: string;
  /**
   * Existing folders to cover with an empty tmpfs (keys, state, workspace, Ladder's code, `/run`
   * with its service sockets, …). The sandbox folder itself stays visible even when it lies inside
   * one of them. `/tmp` is always covered (a private one).
   */
  hide: readonly string[];
  /**
   * Existing files (not folders) to cover with `/dev/null`: secrets that live in folders a command
   * may otherwise read (the policy's credential files, TLS keys, the policy file). One already
   * inside a `hide` folder is covered by it; one inside the sandbox folder is covered too.
   */
  hideFiles?: readonly string[];
  /** The command's whole environment (nothing else is inherited). */
  env: Readonly<Record<string, string | undefined>>;
  limits: SandboxLimits;
  /** Absolute path of `prlimit`. */
  prlimit: string;
}

/** `p` normalized, without a trailing separator (except `/` itself). */
function norm(p: string): string {
  const n = normalize(p);
  return n.length > 1 && n.endsWith(sep) ? n.slice(0, -1) : n;
}

/** Is `p` equal to `dir` or inside it? */
function within(dir: string, p: string): boolean {
  const rel = relative(dir, p);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The `bwrap` arguments that run `sh -c command` in a sandbox: a read-only view of `/`, fresh
 * `/proc`, `/dev` and `/tmp`, every `hide` folder covered by an empty tmpfs, the sandbox
 * folder bound read-write (after the covers, so it stays visible inside a hidden folder), every
 * `hideFiles` file not already under a cover replaced by an empty read-only `/dev/null`, every
 * namespace unshared (no network, own pid namespace: when its pid 1 dies everything in it dies),
 * its own session, killed with its parent, only `spec.env` in the environment, and `prlimit`
 * limits on CPU, file size, processes and address space.
 *
 * Pure: it reads nothing from the machine; the caller resolves the paths.
 *
 * @returns the arguments after `bwrap` itself.
 */
export function sandboxArgs(spec: SandboxSpec, command: string): string[] {
  const sandbox = norm(spec.sandboxDir);
  if (!isAbsolute(sandbox) || sandbox === sep)
    throw new Error(`sandbox folder must be an absolute path other than /: ${spec.sandboxDir}`);
  const cwd = norm(spec.cwd);
  if (!within(sandbox, cwd)) throw new Error(`cwd ${spec.cwd} is not inside the sandbox ${sandbox}`);

  // Covers: absolute, not `/`, not the sandbox itself; one cover per subtree (a folder inside a
  // covered one is hidden already), shallowest first so no cover is later shadowed.
  const covers = [...new Set(['/tmp', ...spec.hide].map(norm))]
    .filter((d) => isAbsolute(d) && d !== sep && d !== sandbox)
    .sort((a, b) => a.split(sep).length - b.split(sep).length || a.localeCompare(b))
    .filter((d, i, all) => !all.slice(0, i).some((outer) => within(outer, d)));
  const tmpfs = (d: string): string[] => ['--tmpfs', d];
  // A cover inside the sandbox must come after the bind, or the bind would uncover it.
  const before = covers.filter((d) => !within(sandbox, d));
  const after = covers.filter((d) => within(sandbox, d));
  // A file is hidden already when a cover holds it and the sandbox bind does not bring it back.
  const covered = (f: string): boolean =>
    covers.some((c) => within(c, f) && (within(sandbox, c) || !within(sandbox, f)));
  const files = [...new Set((spec.hideFiles ?? []).map(norm))]
    .filter((f) => isAbsolute(f) && f !== sep && !covered(f))
    .sort();
  // Last, after the sandbox bind, so a secret file inside the sandbox folder is covered too.
  const blank = (f: string): string[] => ['--ro-bind', '/dev/null', f];

  const env = Object.entries(spec.env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([k, v]) => ['--setenv', k, v]);
  const l = spec.limits;
  const int = (n: number): string => String(Math.max(1, Math.floor(n)));

  // prettier-ignore
  return [
    '--ro-bind', '/', '/',
    '--proc', '/proc',
    '--dev', '/dev',
    ...before.flatMap(tmpfs),
    '--bind', sandbox, sandbox,
    ...after.flatMap(tmpfs),
    ...files.flatMap(blank),
    '--chdir', cwd,
    '--unshare-all',
    '--die-with-parent',
    '--new-session',
    '--clearenv',
    ...env,
    '--',
    spec.prlimit,
    `--cpu=${int(l.cpuSeconds)}`,
    `--fsize=${int(l.fileSizeBytes)}`,
    `--nproc=${int(l.processes)}`,
    `--as=${int(l.addressSpaceBytes)}`,
    '--',
    'sh', '-c', command,
  ];
}
