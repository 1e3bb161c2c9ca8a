import type { Client } from '@temporalio/client';
import { createWaitingGauge } from '../../api/waiting-gauge';

// The agent API's count of an agent's waiting tasks (agentApi.maxWaiting), with Temporal's count
// replaced by a fixed answer: what is tested is how submissions sent together are admitted.
describe('waiting gauge', () => {
  /** A client whose visibility count answers `count`, after a turn of the event loop, as a query would. */
  const countingClient = (count: number) => {
    let queries = 0;
    const client = {
      workflow: {
        count: async () => {
          queries++;
          await new Promise((r) => setImmediate(r));
          return { count };
        },
      },
    } as unknown as Client;
    return { client, queries: () => queries };
  };

  it('admits submissions sent together only up to the cap: they cannot all read the same count', async () => {
    const { client } = countingClient(4);
    const gauge = createWaitingGauge(client, 'q');
    const answers = await Promise.all(Array.from({ length: 12 }, () => gauge.admit('a2', 5)));
    expect(answers.filter((a) => a.admitted)).toHaveLength(1);
    expect(answers.filter((a) => !a.admitted).map((a) => a.count)).toEqual(Array(11).fill(5));
  });

  it('frees a place when a submission ends without waiting, and keeps it counted when it waits', async () => {
    const { client } = countingClient(0);
    const gauge = createWaitingGauge(client, 'q', 60_000);
    const first = await gauge.admit('a2', 2);
    const second = await gauge.admit('a2', 2);
    if (!first.admitted || !second.admitted) throw new Error('expected both admitted');
    expect(await gauge.admit('a2', 2)).toEqual({ admitted: false, count: 2 });
    first.settle(false); // decided at rung 3: it does not wait
    second.settle(true); // waits for a person
    second.settle(true); // settling twice changes nothing
    expect((await gauge.admit('a2', 2)).admitted).toBe(true);
    expect(await gauge.admit('a2', 2)).toEqual({ admitted: false, count: 2 });
    // Another agent has its own count.
    expect((await gauge.admit('a3', 2)).admitted).toBe(true);
  });
});
