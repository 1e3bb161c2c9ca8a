import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { PermanentActionError } from './contract';

/**
 * Resolves `path` inside `root`, refusing anything that escapes it: `..`, absolute paths elsewhere,
 * and symlinks (in the existing part of the path) that point outside. The root itself counts as
 * inside only with `allowRoot` (a working folder may be the root; a file may not).
 *
 * @throws {PermanentActionError} naming the path and the root.
 */
export function insideRoot(root: string, path: string, what = 'path', allowRoot = false): string {
  const realRoot = realpathSync(root);
  const target = resolve(realRoot, path);
  const check = (candidate: string): void => {
    const rel = relative(realRoot, candidate);
    if ((rel === '' && !allowRoot) || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
      throw new PermanentActionError(`${what} "${path}" is outside the allowed root ${root}`);
    }
  };
  check(target);
  // Follow symlinks in the part of the path that exists.
  let existing = target;
  for (;;) {
    try {
      check(resolve(realpathSync(existing), relative(existing, target)));
      break;
    } catch (err) {
      if (err instanceof PermanentActionError) throw err;
      const parent = dirname(existing);
      if (parent === existing) break;
      existing = parent;
    }
  }
  return target;
}
