import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The checkout's root: the nearest folder above `from` that holds package.json. Works from the
 * built files (dist/bench/tasks/) and from the sources (bench/tasks/, as the tests load them).
 *
 * @throws Error when no folder above `from` holds a package.json.
 */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json in any folder above ${from}`);
  }
}
