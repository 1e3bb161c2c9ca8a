import { cliEnvPrefix } from '../../scripts/cli-env-hint';

describe('cliEnvPrefix', () => {
  it('adds nothing on the default dev server', () => {
    expect(cliEnvPrefix({})).toBe('');
    expect(cliEnvPrefix({ LADDER_TEMPORAL: 'dev', HOME: '/root' })).toBe('');
  });

  it('names the local cluster, or the address, namespace and queue the run was given', () => {
    expect(cliEnvPrefix({ LADDER_TEMPORAL: 'cluster' })).toBe('LADDER_TEMPORAL=cluster ');
    expect(
      cliEnvPrefix({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_NAMESPACE: 'ops',
        LADDER_TASK_QUEUE: 'l2',
      }),
    ).toBe('TEMPORAL_ADDRESS=temporal.internal:7233 TEMPORAL_NAMESPACE=ops LADDER_TASK_QUEUE=l2 ');
    // An explicit address wins over the cluster switch, as in the configuration.
    expect(cliEnvPrefix({ LADDER_TEMPORAL: 'cluster', TEMPORAL_ADDRESS: '10.0.0.5:7233' })).toBe(
      'TEMPORAL_ADDRESS=10.0.0.5:7233 ',
    );
  });

  it('quotes a value a shell would split', () => {
    expect(cliEnvPrefix({ LADDER_TASK_QUEUE: 'a b' })).toBe("LADDER_TASK_QUEUE='a b' ");
  });
});
