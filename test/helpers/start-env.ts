import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_ENV } from '../setup/shared-state';
import { freePort } from './ports';

/**
 * The environment that keeps one run of the run command (`dist/scripts/start.js`) apart from
 * another and from anyone's stack on this machine: free ports for its servers and fresh action
 * folders. Its worker loads the workflow bundle the test setup built instead of bundling the
 * workflows again (tens of seconds of webpack per start on a loaded machine).
 */
export async function isolatedDirs(): Promise<Record<string, string>> {
  const base = mkdtempSync(join(tmpdir(), 'ladder-start-dirs-'));
  return {
    LADDER_DEMO_SERVICE_PORT: String(await freePort()),
    LADDER_SLACK_PORT: String(await freePort()),
    LADDER_EMULATOR_PORT: String(await freePort()),
    LADDER_API_PORT: String(await freePort()),
    LADDER_DASHBOARD_PORT: String(await freePort()),
    LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
    LADDER_SANDBOX_DIR: join(base, 'sandbox'),
    LADDER_STATE_DIR: join(base, 'state'),
    ...(process.env[TEST_ENV.bundlePath]
      ? { LADDER_WORKFLOW_BUNDLE: process.env[TEST_ENV.bundlePath]! }
      : {}),
  };
}
