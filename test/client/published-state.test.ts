import type { WorkflowHandle } from '@temporalio/client';
import { readPublished } from '../../client/published-state';

/** A handle whose describe answers with `memo`, counting the queries the reader falls back to. */
function handleWith(memo: Record<string, unknown> | undefined) {
  const calls = { describe: 0, query: 0 };
  const handle = {
    describe: async () => {
      calls.describe++;
      return { memo };
    },
  } as unknown as WorkflowHandle;
  const query = async () => {
    calls.query++;
    return { from: 'query' };
  };
  return { handle, calls, query };
}

describe('readPublished', () => {
  it('answers from the memo without a query when the key is published', async () => {
    const { handle, calls, query } = handleWith({ killSwitch: { all: null }, other: 1 });
    await expect(readPublished(handle, 'killSwitch', query)).resolves.toEqual({ all: null });
    expect(calls).toEqual({ describe: 1, query: 0 });
  });

  it('asks by query when the run has not published the key yet', async () => {
    for (const memo of [undefined, {}, { other: 1 }]) {
      const { handle, calls, query } = handleWith(memo);
      await expect(readPublished(handle, 'killSwitch', query)).resolves.toEqual({ from: 'query' });
      expect(calls).toEqual({ describe: 1, query: 1 });
    }
  });

  it('lets a missing workflow fail as the describe does', async () => {
    const handle = {
      describe: async () => {
        throw new Error('workflow not found');
      },
    } as unknown as WorkflowHandle;
    await expect(readPublished(handle, 'killSwitch', async () => 'never')).rejects.toThrow(
      'workflow not found',
    );
  });
});
