import { ServiceError } from '@temporalio/client';
import type { IdentifiedEvent } from '../../policy/ledger-reducer';
import { ledgerEventsSignal, ledgerQuery, ledgerWorkflowId } from '../../workflows/messages';
import { trustLedger } from '../../workflows/trust-ledger';
import { ledgerStartOptions } from '../../client/ledger-link';
import { workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

/** Evidence that a3's task `n` executed on its own in `ops`. */
function executed(n: number): IdentifiedEvent {
  const workflowId = `task/a3/flood-${n}`;
  return {
    id: `${workflowId}/executed`,
    event: { kind: 'outcome', outcome: 'executed', workflowId, taskClass: 'ops', rung: 3 },
  };
}

/**
 * An agent's ledger flooded with evidence, one signal per event as many workers would send it: past
 * its history limit it continues as new, carrying only a little, and counts each event once.
 */
describe('the trust ledger under a flood of evidence', () => {
  // More signals than the ledger's history limit (4,000 events), so it must continue as new.
  const N = 4_500;
  const RETRIED = 300;
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('ledger-flood', { policy: workflowTestPolicy(), ledger: true });
  });
  afterAll(async () => stack?.stop());

  // Started as Ladder starts ledgers (their workflow task timeout is part of how they survive a flood).
  const signal = (events: IdentifiedEvent[]) =>
    stack.client.workflow.signalWithStart(trustLedger, {
      ...ledgerStartOptions(stack.taskQueue, 'a3'),
      args: [{ agentId: 'a3' }],
      signal: ledgerEventsSignal,
      signalArgs: [events],
    });

  it(`counts ${N} events sent one signal each, and ${RETRIED} of them sent again, exactly once`, async () => {
    const first = await signal([executed(0)]);
    const sends = [
      ...Array.from({ length: N - 1 }, (_, i) => i + 1),
      ...Array.from({ length: RETRIED }, (_, i) => i),
    ];
    for (let i = 0; i < sends.length; i += 100)
      await Promise.all(sends.slice(i, i + 100).map((n) => signal([executed(n)])));
    // Sent after every other signal was accepted, so once it is counted the rest were judged.
    await signal([
      {
        id: 'task/a3/flood-last/failed',
        event: {
          kind: 'outcome',
          outcome: 'failed',
          workflowId: 'task/a3/flood-last',
          taskClass: 'ops',
          rung: 3,
        },
      },
    ]);

    const handle = stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, 'a3'));
    const deadline = Date.now() + 240_000;
    // While the worker replays and works through the flood the server may refuse or time out a
    // query (CI saw DEADLINE_EXCEEDED and other refusals): that is "not counted yet". What this test
    // claims is the count once the ledger catches up; the last refusal is reported if it never does.
    let lastRefusal: ServiceError | undefined;
    const countedSoFar = async () => {
      try {
        return (await handle.query(ledgerQuery)).classes.ops?.lifetime;
      } catch (err) {
        if (!(err instanceof ServiceError)) throw err;
        lastRefusal = err;
        return undefined;
      }
    };
    let lifetime = await countedSoFar();
    while (!lifetime || lifetime.actions < N + 1) {
      if (Date.now() > deadline)
        throw new Error(
          `ledger counted ${JSON.stringify(lifetime)} of ${N + 1}; last query refusal: ${String(lastRefusal?.cause ?? lastRefusal)}`,
        );
      await new Promise((r) => setTimeout(r, 250));
      lifetime = await countedSoFar();
    }
    expect(lifetime).toMatchObject({ actions: N + 1, executed: N });
    const now = await handle.describe();
    expect(now.runId).not.toBe(first.signaledRunId);
    expect(now.status.name).toBe('RUNNING');
  }, 300_000);
});
