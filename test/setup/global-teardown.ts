import { rmSync } from 'node:fs';
import { TEST_BUNDLE_PATH } from './shared-state';

/** Stops the run's dev server and waits for it to exit, so no process outlives the tests. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__LADDER_DEV_SERVER__?.stop();
  rmSync(TEST_BUNDLE_PATH, { force: true });
}
