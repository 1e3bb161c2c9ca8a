import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** A folder the worker needs, with the environment variable that names it. */
export interface NeededDir {
  /** The environment variable an operator sets, e.g. `LADDER_STATE_DIR`. */
  variable: string;
  /** The path as configured (relative paths resolve against the working directory). */
  path: string;
}

/** Exit code of a worker that cannot start because a folder it needs is unusable. */
export const BAD_DIR_EXIT_CODE = 2;

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/** Why `err` stopped a folder being created or written, in words an operator can act on. */
function reason(err: unknown): string {
  switch (codeOf(err)) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENOENT':
      // mkdir under a folder that exists: a virtual file system such as /proc or /sys.
      return 'ENOENT: this file system does not allow folders there';
    default:
      return codeOf(err);
  }
}

/**
 * Creates `path` and its missing parents, one `mkdir` per missing level, stopping at the first
 * error (which it throws); a level another process creates meanwhile is taken as made. Not `mkdirSync(path, { recursive: true })`: on Node 20 that loops
 * forever, at full CPU and deaf to SIGTERM, when mkdir answers ENOENT under a parent that exists
 * (`/proc/1/x`, anything under /sys): it takes the ENOENT for a missing parent, finds the parent,
 * and tries again.
 *
 * @throws the `mkdir` or `stat` error, with its `code` (ENOTDIR, EACCES, ENOENT, …).
 */
export function makeDirs(path: string): void {
  const missing: string[] = [];
  for (let at = resolve(path); ; at = dirname(at)) {
    try {
      statSync(at);
      break;
    } catch (err) {
      if (codeOf(err) !== 'ENOENT') throw err;
      missing.unshift(at);
      if (dirname(at) === at) break;
    }
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // Another process (a second worker starting beside this one) made it meanwhile: a folder
      // there is what was wanted; anything else in the way is still an error.
      if (codeOf(err) !== 'EEXIST' || !statSync(dir).isDirectory()) throw err;
    }
  }
}

/** The nearest existing ancestor of `path` that is not a folder, if any (`/etc/passwd` for `/etc/passwd/x`). */
function fileInTheWay(path: string): string | undefined {
  for (let at = dirname(path); at !== dirname(at); at = dirname(at)) {
    try {
      return statSync(at).isDirectory() ? undefined : at;
    } catch {
      // Missing too: look further up.
    }
  }
  return undefined;
}

/**
 * Checks one folder: it exists or can be created, is a folder, and a file can be created and
 * deleted in it (a probe, so permissions, read-only mounts and full disks all show up).
 *
 * @returns `undefined` when usable, else one line `VARIABLE=path: reason`.
 */
export function checkDir(dir: NeededDir): string | undefined {
  const path = resolve(dir.path);
  const fail = (why: string): string => `${dir.variable}=${dir.path}: ${why}`;
  try {
    const stat = statSync(path);
    if (!stat.isDirectory())
      return fail(`not a folder (it is ${stat.isFile() ? 'a file' : 'not a regular folder'})`);
  } catch (err) {
    if (codeOf(err) === 'ENOTDIR') {
      const file = fileInTheWay(path);
      return fail(`cannot be created: ${file ?? 'a parent'} is a file, not a folder`);
    }
    if (codeOf(err) !== 'ENOENT') return fail(`cannot be read (${reason(err)})`);
    try {
      makeDirs(path);
    } catch (mkdirErr) {
      if (codeOf(mkdirErr) === 'ENOTDIR' || codeOf(mkdirErr) === 'EEXIST') {
        const file = fileInTheWay(path);
        return fail(`cannot be created: ${file ?? 'a parent'} is a file, not a folder`);
      }
      return fail(`cannot be created (${reason(mkdirErr)})`);
    }
  }
  const probe = join(path, `.ladder-probe-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    writeFileSync(probe, 'probe');
  } catch (err) {
    return fail(`not writable (${reason(err)})`);
  }
  try {
    unlinkSync(probe);
  } catch (err) {
    return fail(`a file written there cannot be deleted (${reason(err)})`);
  }
  return undefined;
}

/**
 * Checks every folder the worker writes to, before anything else starts, so an unusable one
 * stops the worker at once with a line naming the variable, the path and the reason.
 *
 * @returns one line per unusable folder (empty when all are usable).
 */
export function checkDirs(dirs: NeededDir[]): string[] {
  return dirs.map(checkDir).filter((line): line is string => line !== undefined);
}

/** The action folders of a loaded config, with the variables that set them. */
export function actionDirs(actions: {
  workspaceRoot: string;
  sandboxDir: string;
  stateDir: string;
}): NeededDir[] {
  return [
    { variable: 'LADDER_WORKSPACE_ROOT', path: actions.workspaceRoot },
    { variable: 'LADDER_SANDBOX_DIR', path: actions.sandboxDir },
    { variable: 'LADDER_STATE_DIR', path: actions.stateDir },
  ];
}
