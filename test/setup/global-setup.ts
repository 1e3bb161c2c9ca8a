import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureLocalKeysForPolicies } from '../../scripts/local-keys';
import { startDevServer, type DevServer } from '../../scripts/dev-server';
import { bundleWorkflowsTo } from '../../scripts/bundle-workflows';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { freePort } from '../helpers/ports';
import { TEST_BUNDLE_PATH, TEST_ENV } from './shared-state';

declare global {
  var __LADDER_DEV_SERVER__: DevServer | undefined;
}

/**
 * Starts one in-memory Temporal dev server for the whole test run and bundles the workflows once;
 * each test file then starts its own worker on its own task queue against that server.
 */
export default async function globalSetup(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  // The example policy's answers.keysFile points at the local stack's keys: make them as start.sh does.
  const fixtures = join(root, 'test', 'fixtures', 'policies');
  ensureLocalKeysForPolicies(join(root, '.temporal', 'keys'), [
    join(root, 'examples', 'policy.yaml'),
    join(root, 'examples', 'trust-demo.yaml'),
    ...readdirSync(fixtures)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => join(fixtures, f)),
  ]);
  const cli = await resolveTemporalCli({ root, log: (l) => process.stderr.write(`${l}\n`) });
  const port = await freePort();
  const [server, bundleBytes] = await Promise.all([
    startDevServer({ cliPath: cli.path, port, readyTimeoutMs: 180_000 }),
    bundleWorkflowsTo(TEST_BUNDLE_PATH),
  ]);
  globalThis.__LADDER_DEV_SERVER__ = server;
  process.env[TEST_ENV.address] = server.address;
  process.env[TEST_ENV.bundlePath] = TEST_BUNDLE_PATH;
  process.env[TEST_ENV.cliPath] = cli.path;
  // Processes the tests spawn serve no /metrics unless a test gives them a free port: the defaults
  // (9464-9466) may belong to a stack someone is running on this machine.
  for (const variable of [
    'LADDER_WORKER_METRICS_PORT',
    'LADDER_SLACK_METRICS_PORT',
    'LADDER_API_METRICS_PORT',
  ])
    process.env[variable] ??= 'off';
  process.stderr.write(
    `\n[test setup] ${cli.description}; dev server ${server.address} (pid ${server.process.pid}); workflow bundle ${Math.round(bundleBytes / 1024)} KiB\n`,
  );
}
