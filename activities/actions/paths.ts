import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import { crossesOwner, type EnvironmentTargets } from '../../policy/environment-targets';
import { PermanentActionError } from './contract';

function isInside(realRoot: string, candidate: string, allowRoot: boolean): boolean {
  const rel = relative(realRoot, candidate);
  return !((rel === '' && !allowRoot) || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel));
}

const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException).code;

/**
 * Resolves `path` inside `root` after every symlink, refusing anything that escapes it: `..`,
 * absolute paths elsewhere, symlinks that point outside, and dangling symlinks (whose target could
 * be created anywhere later). The part of the path that does not exist yet is appended as given.
 * The root itself counts as inside only with `allowRoot` (a working folder may be the root; a file
 * may not).
 *
 * @param shown - the path as the agent gave it, for messages.
 * @returns the resolved path: every existing component is a real folder or file (no symlink).
 * @throws {PermanentActionError} naming the path and the root.
 */
export function insideRoot(
  root: string,
  path: string,
  what = 'path',
  allowRoot = false,
  shown = path,
): string {
  const realRoot = realpathSync(root);
  const outside = (detail = ''): PermanentActionError =>
    new PermanentActionError(`${what} "${shown}" is outside the allowed root ${root}${detail}`);
  const target = resolve(realRoot, path);
  if (!isInside(realRoot, target, allowRoot)) throw outside();
  const parts = relative(realRoot, target).split(sep).filter(Boolean);
  let current = realRoot;
  for (let i = 0; i < parts.length; i++) {
    const next = join(current, parts[i]);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch (err) {
      if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return join(next, ...parts.slice(i + 1));
      throw err;
    }
    if (isLink) {
      try {
        current = realpathSync(next);
      } catch {
        throw outside(' (through a dangling symlink)');
      }
      if (!isInside(realRoot, current, allowRoot || i < parts.length - 1)) throw outside();
    } else {
      current = next;
    }
  }
  return current;
}

/**
 * Refuses a write to `path` in `root` (the workspace) that its symlinks carry into files another
 * environment owns than the path as named (the policy's `environmentTargets`): the submission checked
 * the named path, so a link planted from a staging folder into production's would otherwise write
 * production's file under the staging label. Nothing to check when the policy gives no environment
 * any path.
 *
 * @throws {PermanentActionError} naming both paths and their environments.
 */
export function checkOwnerAfterLinks(
  root: string,
  path: string,
  table: EnvironmentTargets | undefined,
  what = 'path',
): void {
  if (!table || !Object.values(table).some((t) => (t.paths ?? []).length > 0)) return;
  const realRoot = realpathSync(root);
  const named = isAbsolute(path) ? relative(realRoot, resolve(path)) : path;
  const real = relative(realRoot, insideRoot(root, path, what))
    .split(sep)
    .join('/');
  const why = crossesOwner(named.split(sep).join('/'), real, table);
  if (why) throw new PermanentActionError(`${what} ${why}; refused`);
}

/** A file inside the workspace, split into its verified real parent folder and its own name. */
interface FileTarget {
  realRoot: string;
  /** Real path of the parent folder (no symlink in it), inside the root. */
  parent: string;
  name: string;
  /** `parent/name`. */
  path: string;
}

/**
 * Resolves a file path for reading or writing: the parent chain after every symlink stays inside
 * the root, and the file itself (the last component) is never followed if it is a symlink.
 */
function fileTarget(root: string, path: string, what: string): FileTarget {
  const realRoot = realpathSync(root);
  const lexical = resolve(realRoot, path);
  if (!isInside(realRoot, lexical, false))
    throw new PermanentActionError(`${what} "${path}" is outside the allowed root ${root}`);
  const parent = insideRoot(root, dirname(lexical), what, true, path);
  const name = basename(lexical);
  return { realRoot, parent, name, path: join(parent, name) };
}

/** Re-checks, right before acting, that the parent folder is still the real folder resolved before. */
function recheckParent(t: FileTarget, root: string, path: string, what: string): void {
  let real: string;
  try {
    real = realpathSync(t.parent);
  } catch (err) {
    throw new PermanentActionError(`${what} "${path}": its folder vanished (${code(err) ?? String(err)})`);
  }
  if (real !== t.parent || !isInside(t.realRoot, real, true))
    throw new PermanentActionError(`${what} "${path}" is outside the allowed root ${root} (folder changed)`);
}

/** Refuses a target that is a symlink or not a regular file; returns its mode when it exists. */
function existingMode(t: FileTarget, path: string, what: string): number | undefined {
  try {
    const st = lstatSync(t.path);
    if (st.isSymbolicLink()) throw new PermanentActionError(`${what} "${path}" is a symlink: refused`);
    if (!st.isFile()) throw new PermanentActionError(`${what} "${path}" is not a regular file`);
    return st.mode & 0o7777;
  } catch (err) {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Reads a file inside `root`, never through a symlink (the file is opened with `O_NOFOLLOW`).
 *
 * @returns its text, or `null` when it does not exist.
 * @throws {PermanentActionError} when it escapes the root, is a symlink or is not a regular file.
 */
export function readInside(root: string, path: string, what = 'path'): string | null {
  const t = fileTarget(root, path, what);
  let fd: number;
  try {
    fd = openSync(t.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return null;
    if (code(err) === 'ELOOP') throw new PermanentActionError(`${what} "${path}" is a symlink: refused`);
    throw err;
  }
  try {
    if (!fstatSync(fd).isFile()) throw new PermanentActionError(`${what} "${path}" is not a regular file`);
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces a file inside `root` atomically: the bytes go to a fresh temp file (`O_EXCL|O_NOFOLLOW`)
 * in the verified parent folder, which is then renamed over the target. `rename` replaces a symlink
 * swapped in at the target instead of following it, so nothing outside the root is ever written.
 * Missing parent folders are created (and re-verified after creation).
 *
 * @throws {PermanentActionError} when it escapes the root, or the target is a symlink or not a file.
 */
export function writeInside(root: string, path: string, text: string, what = 'path'): void {
  let t = fileTarget(root, path, what);
  mkdirSync(t.parent, { recursive: true });
  t = fileTarget(root, path, what); // the folders just created may have been raced with links
  const mode = existingMode(t, path, what);
  const tmp = join(t.parent, `.${t.name}.${randomBytes(6).toString('hex')}.ladder-tmp`);
  const fd = openSync(
    tmp,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    try {
      const bytes = Buffer.from(text, 'utf8');
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
      fchmodSync(fd, mode ?? 0o666 & ~process.umask());
    } finally {
      closeSync(fd);
    }
    recheckParent(t, root, path, what);
    existingMode(t, path, what);
    renameSync(tmp, t.path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Removes a file inside `root` (a symlink there is removed itself, never followed); missing is fine.
 *
 * @throws {PermanentActionError} when it escapes the root or names a folder.
 */
export function removeInside(root: string, path: string, what = 'path'): void {
  const t = fileTarget(root, path, what);
  try {
    if (lstatSync(t.path).isDirectory())
      throw new PermanentActionError(`${what} "${path}" is a folder, not a file`);
    recheckParent(t, root, path, what);
    unlinkSync(t.path);
  } catch (err) {
    if (code(err) === 'ENOENT') return;
    throw err;
  }
}

/**
 * `path` as a standing approval's target compares it: `./flags//a.json` and `flags/a.json` are one
 * target, as are `./svc/` and `svc`. Lexical only (no I/O): a path the run would resolve elsewhere
 * only ever narrows what a standing approval covers.
 */
export function targetPath(path: string): string {
  const normal = posix.normalize(path);
  const relative = normal.startsWith('./') ? normal.slice(2) : normal;
  return relative.length > 1 && relative.endsWith('/') ? relative.slice(0, -1) : relative;
}

/**
 * Why `path` can only be refused when the step runs, whatever the worker's folders are, or null:
 * it climbs out of its root with `..`, or holds a NUL (no file name can). Checked when the task is
 * submitted, so a step the run would refuse is never approved or run after the steps before it.
 * Lexical only: symlinks and absolute paths are checked against the real folders when it runs.
 */
export function pathObjection(path: string, root: 'workspace' | 'sandbox'): string | null {
  if (path.includes('\u0000')) return 'a path cannot hold a NUL character';
  const normal = posix.normalize(path);
  if (!posix.isAbsolute(normal) && (normal === '..' || normal.startsWith('../')))
    return `"${path}" leaves the ${root} folder (it climbs out with ..)`;
  return null;
}

/** A params schema's refinement refusing what {@link pathObjection} names, at the field's own path. */
export function staysInside(root: 'workspace' | 'sandbox'): (path: string, ctx: z.RefinementCtx) => void {
  return (path, ctx) => {
    const why = pathObjection(path, root);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  };
}
