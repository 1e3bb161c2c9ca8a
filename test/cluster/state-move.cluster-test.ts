import { resolve } from 'node:path';
import { startDevServer, type DevServer } from '../../scripts/dev-server';
import { freePort } from '../../scripts/free-port';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { stateMoveSuite } from '../helpers/state-move';
import { testServerAddress } from '../helpers/temporal';

// Issue 14, item 6: a team moves from the dev server (the embedded default) to the cluster. The
// source deployment runs on a dev server of this file's own, the target on the local cluster; the
// cases are the dev-server suite's (test/cli/state.test.ts), so both moves are checked alike.
let dev: DevServer | undefined;

beforeAll(async () => {
  const cli = await resolveTemporalCli({ root: resolve(__dirname, '..', '..'), skipSdkDownload: true });
  dev = await startDevServer({ cliPath: cli.path, port: await freePort(), readyTimeoutMs: 120_000 });
});
afterAll(async () => {
  await dev?.stop();
});

stateMoveSuite('ladder state export from the dev server and import into the cluster', {
  source: () => dev!.address,
  target: testServerAddress,
});
