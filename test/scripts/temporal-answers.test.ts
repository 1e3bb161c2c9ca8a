import { loadConfig } from '../../config/env';
import { checkTemporalAnswers } from '../../scripts/temporal-answers';
import { freePort } from '../helpers/ports';
import { testServerAddress } from '../helpers/temporal';

// The run command checks that an existing Temporal answers before it starts anything against it.
describe('checkTemporalAnswers (the run command, against an existing cluster)', () => {
  it('passes for a server that answers and holds the namespace', async () => {
    await expect(
      checkTemporalAnswers(
        loadConfig({ TEMPORAL_ADDRESS: testServerAddress(), TEMPORAL_NAMESPACE: 'default' }),
      ),
    ).resolves.toBeUndefined();
  });

  it('names the namespace a server does not hold, and what to check', async () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: testServerAddress(),
      TEMPORAL_NAMESPACE: 'no-such-namespace',
    });
    await expect(checkTemporalAnswers(config)).rejects.toThrow(
      new RegExp(
        `^Temporal at ${testServerAddress()}, namespace no-such-namespace does not answer \\(.*no-such-namespace.*\\): check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the TLS or API key settings\\.$`,
      ),
    );
  });

  it('says to start the local cluster when LADDER_TEMPORAL=cluster finds nothing listening', async () => {
    const config = loadConfig({ LADDER_TEMPORAL: 'cluster' });
    const port = await freePort();
    const silent = { ...config, temporal: { ...config.temporal, address: `127.0.0.1:${port}` } };
    await expect(checkTemporalAnswers(silent as typeof config, 2_000)).rejects.toThrow(
      /does not answer \(.+\): start the local cluster with `bash scripts\/cluster\.sh up`/,
    );
  });

  it('checks nothing when the run command starts its own dev server', async () => {
    await expect(checkTemporalAnswers(loadConfig({}))).resolves.toBeUndefined();
  });
});
