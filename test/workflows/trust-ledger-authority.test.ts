import { join } from 'node:path';
import { entityStartOptions } from '../../client/entity-start';
import { loadPolicyFile } from '../../policy/loader';
import { trustLedger } from '../../workflows/trust-ledger';
import { decideProposalUpdate, ledgerEventsSignal, ledgerWorkflowId } from '../../workflows/messages';
import { frontendSigner } from '../helpers/answers';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

const policy = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml')).policy;

// A busy trust ledger must still take in what the policy says now: evidence that arrives more often
// than the authority's refresh period once kept a revoked key trusted there for as long as it came.
describe('the trust ledger under steady evidence (real dev server and worker)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('ledger-authority', { policy });
  });
  afterAll(async () => stack?.stop());

  it('reloads its authority on the clock, so a key revoked meanwhile is refused', async () => {
    const handle = await stack.client.workflow.start(trustLedger, {
      workflowId: ledgerWorkflowId(stack.taskQueue, 'steady'),
      ...entityStartOptions(stack.taskQueue),
      args: [{ agentId: 'steady', authorityRefreshMs: 2_000 }],
    });
    // Evidence every 200 ms: ten times within each refresh period.
    let sent = 0;
    const feed = setInterval(() => {
      const id = `steady-${sent++}`;
      handle
        .signal(ledgerEventsSignal, [
          {
            id,
            event: {
              kind: 'outcome',
              outcome: 'executed',
              workflowId: `task/steady/${id}`,
              taskClass: 'ops',
              rung: 2,
            },
          },
        ])
        .catch(() => undefined);
    }, 200);
    const signer = frontendSigner();
    const refusal = async (): Promise<string> => {
      const args = signer.sign(handle.workflowId, decideProposalUpdate.name, {
        proposalId: 'p-none',
        by: 'U0ADMIN01',
        approve: true,
      });
      const err = await handle.executeUpdate(decideProposalUpdate, { args: [args] }).then(
        () => new Error('accepted'),
        (e: Error) => e,
      );
      return (err.cause as Error | undefined)?.message ?? err.message;
    };
    try {
      // The key is good: the refusal is about the proposal.
      await waitUntil(async () => (await refusal()) === 'no proposal p-none for steady');
      const trust = stack.policy.current.answerTrust;
      stack.policy.current = {
        ...stack.policy.current,
        answerTrust: {
          ...trust,
          keys: trust.keys.filter((k) => k.id !== signer.keyId),
          revoked: [...trust.revoked, signer.keyId],
        },
      };
      await waitUntil(
        async () => (await refusal()) === `answer signed with revoked key "${signer.keyId}"`,
        30_000,
      );
    } finally {
      clearInterval(feed);
      stack.policy.current = policy;
      await handle.terminate('test done');
    }
  });
});
