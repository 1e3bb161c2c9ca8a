import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanaryLink } from '../../client/canary-link';
import { parsePolicy, type LoadedPolicy } from '../../policy/loader';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { canaryWorkflowId } from '../../workflows/messages';
import { declareIncident } from '../../client/evidence';
import { frontendSigner } from '../helpers/answers';

// A new policy version rolled out as a canary on the real dev server: the canary agents decide
// with it first; a rollback trigger for one of them during the window reverts it; a clean window
// promotes it to every agent.
const base = readFileSync(join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml'), 'utf8');
function policyFrom(text: string): LoadedPolicy {
  // Parsed as if it were the fixture file, so its keys file resolves beside it.
  const r = parsePolicy(text, join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml'));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}
/** The current policy, declaring a canary of `next.yaml` for agent `steady` over `window`. */
const current = (window: string): LoadedPolicy =>
  policyFrom(`${base}\ncanary: { policy: next.yaml, agents: [steady], window: ${window} }\n`);
/** The next version: ops capped at 2 (what the canary tries out). */
const next = policyFrom(
  base
    .replace("version: 'test-ledger'", "version: 'test-ledger-next'")
    .replace(/ {2}ops:\n {4}cap: 5/, '  ops:\n    cap: 2'),
);

describe('canary rollout of a policy version', () => {
  describe('reverted by a rollback trigger', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startTestStack('canary-revert', {
        policy: current('10m'),
        ledger: true,
        canaryPolicy: next,
      });
    });
    afterAll(async () => stack?.stop());

    it('applies the next version to the canary agents only, and reverts when one of them is demoted', async () => {
      const canary = createCanaryLink({
        client: stack.client,
        taskQueue: stack.taskQueue,
        current: () => stack.policy.current,
        next: () => next,
      });
      const inCanary = await submit(stack, taskRequest('steady', 'ops', [appendStep('c1')]));
      const s1 = await waitForStatus(inCanary.handle, (s) => s.decision !== null);
      expect(s1.decision).toMatchObject({ policyVersion: next.versionId, effectiveRung: 2 });
      const outside = await submit(stack, taskRequest('switcher', 'ops', [appendStep('c2')]));
      const s2 = await waitForStatus(outside.handle, (s) => s.decision !== null);
      expect(s2.decision).toMatchObject({ policyVersion: stack.policy.current.versionId, effectiveRung: 3 });
      expect(await canary.state()).toMatchObject({ status: 'running', agents: ['steady'] });
      await inCanary.handle.cancel();
      await outside.handle.result();

      // An incident for a canary agent during the window: the next version is reverted at once.
      await declareIncident(
        stack.client,
        { taskQueue: stack.taskQueue, signer: frontendSigner() },
        stack.policy.current,
        { id: 'canary-1', agentId: 'steady', taskClass: 'ops', by: 'U0ADMIN01', text: 'bad change' },
      );
      await waitUntil(async () => (await canary.state())?.status === 'reverted');
      expect((await canary.state())?.detail).toContain(
        'steady: ops: a wrong action with a real consequence (incident)',
      );
      const after = await submit(stack, taskRequest('steady', 'ops', [appendStep('c3')]));
      const s3 = await waitForStatus(after.handle, (s) => s.decision !== null);
      expect(s3.decision!.policyVersion).toBe(stack.policy.current.versionId);
      await after.handle.cancel();
      maybeRecordHistory(
        stack.client.workflow.getHandle(canaryWorkflowId(stack.taskQueue, next.versionId)),
        'policyCanary',
        'reverted',
      );
    });
  });

  describe('promoted after a clean window', () => {
    let stack: TestStack;
    beforeAll(async () => {
      stack = await startTestStack('canary-promote', {
        policy: current('2s'),
        ledger: true,
        canaryPolicy: next,
      });
    });
    afterAll(async () => stack?.stop());

    it('becomes the policy for every agent when the window passes without a trigger', async () => {
      const canary = createCanaryLink({
        client: stack.client,
        taskQueue: stack.taskQueue,
        current: () => stack.policy.current,
        next: () => next,
      });
      const first = await submit(stack, taskRequest('steady', 'ops', [appendStep('p1')]));
      expect((await waitForStatus(first.handle, (s) => s.decision !== null)).decision!.policyVersion).toBe(
        next.versionId,
      );
      await first.handle.cancel();
      await waitUntil(async () => (await canary.state())?.status === 'promoted');
      const everyone = await submit(stack, taskRequest('switcher', 'ops', [appendStep('p2')]));
      const s = await waitForStatus(everyone.handle, (st) => st.decision !== null);
      expect(s.decision).toMatchObject({ policyVersion: next.versionId, effectiveRung: 2 });
      await everyone.handle.cancel();
      maybeRecordHistory(
        stack.client.workflow.getHandle(canaryWorkflowId(stack.taskQueue, next.versionId)),
        'policyCanary',
        'promoted',
      );
    });
  });
});
