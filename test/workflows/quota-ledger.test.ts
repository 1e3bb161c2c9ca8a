import { randomUUID } from 'node:crypto';
import { entityStartOptions } from '../../client/entity-start';
import { quotaLedger, type QuotaLedgerState } from '../../workflows/quota-ledger';
import { quotaUsageQuery, reserveQuotaUpdate, type QuotaRequest } from '../../workflows/messages';
import { startTestStack, type TestStack } from '../helpers/temporal';

// The quota ledger on the real dev server and worker, answered directly: what a decision run again
// (after a worker crash, its reservation already granted) is told, and what continue-as-new carries.
describe('quota ledger (real dev server and worker)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('quota-ledger');
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const limits = { count: 2, costUsd: 100 };
  const request = (requesterWorkflowId: string, costUsd = 10): QuotaRequest => ({
    requesterWorkflowId,
    costUsd,
    limits,
  });
  const startLedger = async (initial?: QuotaLedgerState) =>
    stack.client.workflow.start(quotaLedger, {
      workflowId: `quota/${stack.taskQueue}/test-${randomUUID()}`,
      ...entityStartOptions(stack.taskQueue),
      args: initial ? [initial] : [],
    });

  it('gives a repeated request its grant again without counting it twice, and refuses past the count', async () => {
    const ledger = await startLedger();
    const first = await ledger.executeUpdate(reserveQuotaUpdate, { args: [[request('task/a/1')]] });
    expect(first).toEqual([{ granted: true, countUsed: 1, costUsedUsd: 10, reason: null }]);
    // The same task asks again (in its own batch and beside a new one): granted, not counted again.
    const again = await ledger.executeUpdate(reserveQuotaUpdate, {
      args: [[request('task/a/1'), request('task/a/2'), request('task/a/3')]],
    });
    expect(again).toEqual([
      { granted: true, countUsed: 1, costUsedUsd: 10, reason: null },
      { granted: true, countUsed: 2, costUsedUsd: 20, reason: null },
      {
        granted: false,
        countUsed: 2,
        costUsedUsd: 20,
        reason: 'daily quota: 2 of 2 autonomous tasks already used',
      },
    ]);
    expect(await ledger.query(quotaUsageQuery)).toEqual({ countUsed: 2, costUsedUsd: 20 });
    await ledger.terminate('test done');
  });

  it('keeps the grants it carried over continue-as-new', async () => {
    const ledger = await startLedger({ countUsed: 1, costUsedUsd: 10, granted: ['task/a/1'] });
    const replies = await ledger.executeUpdate(reserveQuotaUpdate, {
      args: [[request('task/a/1'), request('task/a/9')]],
    });
    expect(replies.map((r) => [r.granted, r.countUsed])).toEqual([
      [true, 1],
      [true, 2],
    ]);
    await ledger.terminate('test done');
  });
});
