import { recordAllEvidence, recordEvidence, type OutcomeEvent } from '../../activities/outcomes';
import type { ApproverWatchLink } from '../../client/approver-watch';
import { createBatchedCalls } from '../../client/batched-calls';
import type { LedgerLink } from '../../client/ledger-link';
import type { IdentifiedEvent } from '../../policy/ledger-reducer';

/** A ledger link batched and paced as the real one is (one call a second per agent), counting its calls. */
function pacedLedger(): { link: LedgerLink; calls: { agentId: string; ids: string[] }[] } {
  const calls: { agentId: string; ids: string[] }[] = [];
  const batched = createBatchedCalls<IdentifiedEvent, void>(
    async (agentId, events) => {
      calls.push({ agentId, ids: events.map((e) => e.id) });
      return events.map(() => undefined);
    },
    { maxBatch: 200, minIntervalMs: 1000 },
  );
  return {
    calls,
    link: {
      send: (agentId, event) => batched.call(agentId, event),
      read: () => Promise.resolve(null),
      view: () => Promise.resolve(null),
    },
  };
}

const event = (kind: OutcomeEvent['kind'], by?: string): OutcomeEvent => ({
  workflowId: 'task/a2/t-1',
  agentId: 'a2',
  taskClass: 'ops',
  rung: 2,
  kind,
  ...(by ? { by } : {}),
});

describe('recordAllEvidence', () => {
  it("hands a task's evidence to its ledger in one call, in order, after the watch has weighed the approval", async () => {
    const { link, calls } = pacedLedger();
    const recorded: string[] = [];
    const watch: ApproverWatchLink = {
      recordAnswer: async () => ({ counts: false }),
      recordDefect: async () => undefined,
    };
    await recordAllEvidence(
      {
        outcomes: { record: async (e) => void recorded.push(e.kind) },
        ledger: link,
        approverWatch: watch,
      },
      [event('approved', 'U0APPR001'), event('executed')],
    );
    expect(recorded).toEqual(['approved', 'executed']);
    // One after the other, the second would have waited for the link's next turn, a second later.
    expect(calls).toEqual([{ agentId: 'a2', ids: ['task/a2/t-1/ops/approved', 'task/a2/t-1/ops/executed'] }]);
  });

  it('records a single outcome as recordEvidence always did, and works without ledgers', async () => {
    const { link, calls } = pacedLedger();
    const recorded: string[] = [];
    await recordEvidence(
      { outcomes: { record: async (e) => void recorded.push(e.kind) }, ledger: link },
      event('failed'),
    );
    expect(calls).toEqual([{ agentId: 'a2', ids: ['task/a2/t-1/ops/failed'] }]);
    await recordAllEvidence({ outcomes: { record: async (e) => void recorded.push(e.kind) } }, [
      event('executed'),
    ]);
    expect(recorded).toEqual(['failed', 'executed']);
  });
});
