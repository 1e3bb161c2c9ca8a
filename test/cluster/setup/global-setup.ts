import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowsTo } from '../../../scripts/bundle-workflows';
import { ensureLocalKeysForPolicies } from '../../../scripts/local-keys';
import { TEST_BUNDLE_PATH, TEST_ENV } from '../../setup/shared-state';
import { clusterFrontendAddress, STARTED_BY_SUITE_VARIABLE } from './cluster-state';

const ROOT = resolve(__dirname, '..', '..', '..');
const CLUSTER_SH = join(ROOT, 'scripts', 'cluster.sh');

/**
 * Brings the local cluster up with the same command a person uses (`bash scripts/cluster.sh up`,
 * idempotent: a running cluster is only checked), bundles the workflows once, and hands the
 * cluster's address to the test files through the same variables the dev-server suite uses, so
 * test/helpers/temporal.ts starts its workers against the cluster.
 */
export default async function globalSetup(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'worker', 'main.js')))
    throw new Error('dist/worker/main.js is missing: run `npm run build` before the cluster suite');
  const fixtures = join(ROOT, 'test', 'fixtures', 'policies');
  ensureLocalKeysForPolicies(join(ROOT, '.temporal', 'keys'), [
    join(ROOT, 'examples', 'policy.yaml'),
    ...readdirSync(fixtures)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(fixtures, f)),
  ]);
  const wasRunning = spawnSync('bash', [CLUSTER_SH, 'status'], { stdio: 'ignore' }).status === 0;
  const started = Date.now();
  const up = spawnSync('bash', [CLUSTER_SH, 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (up.status !== 0)
    throw new Error(`bash scripts/cluster.sh up failed (exit ${up.status}); see its output above`);
  if (!wasRunning) process.env[STARTED_BY_SUITE_VARIABLE] = '1';
  const bundleBytes = await bundleWorkflowsTo(TEST_BUNDLE_PATH);
  process.env[TEST_ENV.address] = clusterFrontendAddress();
  process.env[TEST_ENV.bundlePath] = TEST_BUNDLE_PATH;
  // Processes the tests spawn serve no /metrics: the default ports may belong to a running stack.
  for (const variable of [
    'LADDER_WORKER_METRICS_PORT',
    'LADDER_SLACK_METRICS_PORT',
    'LADDER_API_METRICS_PORT',
  ])
    process.env[variable] ??= 'off';
  process.stderr.write(
    `\n[cluster setup] cluster ${wasRunning ? 'was already up' : 'started'} (${((Date.now() - started) / 1000).toFixed(1)} s); ` +
      `frontend ${clusterFrontendAddress()}; workflow bundle ${Math.round(bundleBytes / 1024)} KiB\n`,
  );
}
