import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The checkout's root: the nearest folder above this file with a package.json (works from dist/). */
export const ROOT = ((): string => {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
  return dir;
})();

/** The built entry points the chaos run starts as separate processes (after `npm run build`). */
export const BUILT = {
  worker: resolve(ROOT, 'dist', 'worker', 'main.js'),
  slackApp: resolve(ROOT, 'dist', 'slack', 'main.js'),
  cli: resolve(ROOT, 'dist', 'cli', 'main.js'),
  demoService: resolve(ROOT, 'dist', 'examples', 'demo-service', 'server.js'),
} as const;

/** The example policy the chaos policy is made from, and the demo service's starting config. */
export const SOURCES = {
  policy: resolve(ROOT, 'examples', 'policy.yaml'),
  demoConfig: resolve(ROOT, 'examples', 'demo-service', 'config.json'),
} as const;
