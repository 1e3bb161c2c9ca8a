import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Environment variables through which global setup hands the test server to test files.
 * Jest runs global setup in the same process as `--runInBand` tests, and child processes inherit them.
 */
export const TEST_ENV = {
  address: 'LADDER_TEST_TEMPORAL_ADDRESS',
  bundlePath: 'LADDER_TEST_WORKFLOW_BUNDLE',
  cliPath: 'LADDER_TEST_TEMPORAL_CLI',
} as const;

/** Where global setup writes the workflow bundle it builds once for the whole run. */
export const TEST_BUNDLE_PATH = join(tmpdir(), `ladder-test-bundle-${process.pid}.js`);
