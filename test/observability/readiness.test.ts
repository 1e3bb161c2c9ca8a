import { Client, Connection } from '@temporalio/client';
import { temporalReachable, workerRunning } from '../../observability/readiness';
import { testServerAddress } from '../helpers/temporal';

describe('readiness', () => {
  it('says a worker is ready only while it polls', async () => {
    let state = 'INITIALIZED';
    const ready = workerRunning({ getState: () => state as never });
    expect(await ready()).toBe('worker initialized');
    state = 'RUNNING';
    expect(await ready()).toBeNull();
    state = 'DRAINING';
    expect(await ready()).toBe('worker draining');
  });

  it('says a frontend is ready while Temporal answers it', async () => {
    const connection = await Connection.connect({ address: testServerAddress() });
    try {
      expect(await temporalReachable(new Client({ connection }))()).toBeNull();
    } finally {
      await connection.close();
    }
  });

  it('says why not when Temporal does not answer in time', async () => {
    // A lazy connection to a port nobody listens on: every call fails or times out.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 });
    try {
      expect(await temporalReachable(new Client({ connection }), 1_000)()).toMatch(
        /^Temporal does not answer: /,
      );
    } finally {
      await connection.close();
    }
  });
});
