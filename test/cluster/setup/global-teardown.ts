import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TEST_BUNDLE_PATH } from '../../setup/shared-state';
import { STARTED_BY_SUITE_VARIABLE } from './cluster-state';

/**
 * Stops the cluster only when global setup started it (its data stays for the next run); a cluster
 * someone had running before the suite keeps running.
 */
export default async function globalTeardown(): Promise<void> {
  rmSync(TEST_BUNDLE_PATH, { force: true });
  if (process.env[STARTED_BY_SUITE_VARIABLE] !== '1') return;
  const root = resolve(__dirname, '..', '..', '..');
  spawnSync('bash', [join(root, 'scripts', 'cluster.sh'), 'down'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
