import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { refreshEntityAuthorities } from '../../client/authority-refresh';
import { createLedgerLink } from '../../client/ledger-link';
import { declareIncident, EvidenceError, runRollbackDrill } from '../../client/evidence';
import { loadPolicyFile } from '../../policy/loader';
import type { delegatedTask } from '../../workflows/delegated-task';
import {
  approveUpdate,
  decideProposalUpdate,
  LEDGER_VIEW_MEMO,
  ledgerQuery,
  ledgerViewQuery,
  ledgerWorkflowId,
  reportEvidenceUpdate,
} from '../../workflows/messages';
import { answerAs, frontendSigner } from '../helpers/answers';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitPastCleanPeriod, waitUntil } from '../helpers/wait';
import type { LedgerState, LedgerView } from '../../policy/ledger';

const policy = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml')).policy;

// The trust ledger on the real dev server: evidence from real task workflows moves rungs, up only
// with a person's approval of a proposal, down at once.
describe('the trust ledger', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('ledger', { policy, ledger: true });
  });
  afterAll(async () => stack?.stop());

  const ledger = (agent: string) => stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, agent));
  const readLedger = async (agent: string): Promise<LedgerState> => ledger(agent).query(ledgerQuery);
  const waitForLedger = async (agent: string, ok: (s: LedgerState) => boolean): Promise<LedgerState> => {
    let last: LedgerState | undefined;
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        last = await readLedger(agent);
        if (ok(last)) return last;
      } catch {
        // not started yet
      }
      if (Date.now() > deadline) throw new Error(`ledger condition not met; last: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  /** Runs `n` rung-2 tasks for `agent` concurrently and approves each. */
  const approvedTasks = async (agent: string, n: number): Promise<void> => {
    const handles = await Promise.all(
      Array.from(
        { length: n },
        async (_, i) =>
          (await submit(stack, taskRequest(agent, 'ops', [appendStep(`${agent}-${i}`)]))).handle,
      ),
    );
    await Promise.all(
      handles.map(async (h: WorkflowHandle<typeof delegatedTask>) => {
        const s = await waitForStatus(h, (st) => st.waitingOn !== null);
        expect(s.rung).toBe(2);
        await answerAs(h, approveUpdate, { approver: 'U0APPR002', stepsHash: s.stepsHash });
        expect((await h.result()).outcome).toBe('executed');
      }),
    );
  };

  it('proposes rung 3 after 40 clean approvals spread over the clean period, and applies it only when an approver says so', async () => {
    await approvedTasks('climber', 20);
    expect((await readLedger('climber')).proposals).toEqual([]);
    // The second half lands after the policy's 3 s clean period has passed.
    await waitPastCleanPeriod(() => readLedger('climber'), 'ops', 20, 3_000);
    await approvedTasks('climber', 20);

    const proposed = await waitForLedger('climber', (s) => s.proposals.some((p) => p.status === 'open'));
    const proposal = proposed.proposals[0];
    expect(proposal).toMatchObject({
      taskClass: 'ops',
      from: 2,
      to: 3,
      approvers: ['U0ADMIN01', 'U0APPR001', 'U0APPR002'],
    });
    expect(proposal.criteria.every((c) => c.ok)).toBe(true);
    expect(proposal.criteria.find((c) => c.criterion === 'samples')!.detail).toBe('40 samples, needs 40');
    // People hear of it in Slack with the evidence against each threshold and the buttons.
    await waitUntil(() => stack.notifier.posted.some((p) => p.notification.kind === 'promotion-proposal'));
    const message = stack.notifier.posted.find(
      (p) => p.notification.kind === 'promotion-proposal',
    )!.notification;
    // In the class channel, where the approvers are, naming the owner.
    expect(message).toMatchObject({
      channel: '#ops',
      actions: ['promote', 'decline-promotion'],
      subject: proposal.id,
    });
    expect(message.to).toBeUndefined();
    expect(message.text).toMatch(/^<@U0OWNER01>, climber has earned a proposal\./);
    expect(message.text).toContain(
      '100.0% clean approvals (40 of 40; at least 88.1% at 99% confidence), needs ≥ 85.0%',
    );

    // Not applied by itself, and not by someone without the authority.
    expect((await readLedger('climber')).classes.ops.rung).toBe(2);
    await expect(
      answerAs(ledger('climber'), decideProposalUpdate, {
        proposalId: proposal.id,
        by: 'U0OWNER01',
        approve: true,
      }),
    ).rejects.toThrow(/update failed|may not decide/i);
    // Who may decide is the policy in force's: an approver removed after the proposal was made is
    // refused once the ledger reloads its authority (asked for here as the worker does when it loads
    // a new policy: every running entity of the queue is signalled). The
    // owner's refusal lists who may decide, so it tells when the reload has happened.
    const before = stack.policy.current;
    const askEntitiesToReload = async (): Promise<void> => {
      const asked = await refreshEntityAuthorities(stack.client, stack.taskQueue);
      expect(asked.failed).toEqual([]);
      expect(asked.signalled).toBeGreaterThanOrEqual(1);
    };
    const refusalOf = (by: string): Promise<string> =>
      answerAs(ledger('climber'), decideProposalUpdate, { proposalId: proposal.id, by, approve: true }).then(
        () => 'accepted',
        (err: Error) => String((err.cause as Error | undefined)?.message ?? err.message),
      );
    const decidersListed = async (list: string): Promise<boolean> =>
      (await refusalOf('U0OWNER01')) ===
      `U0OWNER01 may not decide promotions in ops (admins and its approvers in policy ${before.versionId}: ${list})`;
    try {
      stack.policy.current = {
        ...before,
        approversByClass: { ...before.approversByClass, ops: ['U0APPR001'] },
      };
      await askEntitiesToReload();
      await waitUntil(() => decidersListed('U0ADMIN01, U0APPR001'));
      expect(await refusalOf('U0APPR002')).toBe(
        `U0APPR002 may not decide promotions in ops (admins and its approvers in policy ${before.versionId}: U0ADMIN01, U0APPR001)`,
      );
    } finally {
      stack.policy.current = before;
    }
    await askEntitiesToReload();
    await waitUntil(() => decidersListed('U0ADMIN01, U0APPR001, U0APPR002'));
    expect(await refusalOf('U0APPR002')).toBe('accepted');
    const promoted = await waitForLedger('climber', (s) => s.classes.ops.rung === 3);
    expect(promoted.history.at(-1)).toMatchObject({ from: 2, to: 3, by: 'U0APPR002' });
    expect(promoted.classes.ops.evidence.actions).toBe(0); // a fresh window at the new rung
    // The next decision reads the view from the ledger's memo, published with the promotion.
    const publishedView = async () => (await ledger('climber').describe()).memo?.[LEDGER_VIEW_MEMO];
    await waitUntil(async () => ((await publishedView()) as LedgerView | undefined)?.rungs.ops === 3);
    expect(await publishedView()).toMatchObject({ agentId: 'climber', changes: promoted.history.length });
    expect(await publishedView()).toEqual(await ledger('climber').query(ledgerViewQuery));
    maybeRecordHistory(ledger('climber'), 'trustLedger', 'proposed-approved');

    // The next task runs at the earned rung 3, on its own.
    const { handle } = await submit(stack, taskRequest('climber', 'ops', [appendStep('climber-alone')]));
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3, approvedBy: null });
  });

  it('does not propose with too few samples, however long the period', async () => {
    await approvedTasks('hasty', 5);
    await waitPastCleanPeriod(() => readLedger('hasty'), 'ops', 5, 3_000);
    await approvedTasks('hasty', 5);
    const state = await waitForLedger('hasty', (s) => s.classes.ops?.evidence.actions === 10);
    expect(state.proposals).toEqual([]);
  });

  it('sends an agent back to the incident rung at once', async () => {
    const link = createLedgerLink({ client: stack.client, taskQueue: stack.taskQueue });
    const { handle } = await submit(stack, taskRequest('steady', 'ops', [appendStep('steady-1')]));
    expect((await handle.result()).rung).toBe(3);
    // Human evidence as a raw signal (what anyone with Temporal access could send) is ignored…
    await link.send('steady', {
      id: 'incident/forged',
      event: { kind: 'incident', taskClass: 'ops', by: 'U0ADMIN01', text: 'forged' },
    });
    // …and a claimed identity without proof is refused.
    await expect(
      stack.client.workflow
        .getHandle(ledgerWorkflowId(stack.taskQueue, 'steady'))
        .executeUpdate(reportEvidenceUpdate, {
          args: [
            { id: 'incident/claimed', kind: 'incident', taskClass: 'ops', by: 'U0ADMIN01', text: 'claimed' },
          ],
        }),
    ).rejects.toThrow(/update failed/i);
    expect((await readLedger('steady')).classes.ops?.rung).toBe(3);
    await declareIncident(
      stack.client,
      { taskQueue: stack.taskQueue, signer: frontendSigner() },
      stack.policy.current,
      { id: 'test-1', agentId: 'steady', taskClass: 'ops', by: 'U0ADMIN01', text: 'took the site down' },
    );
    const state = await waitForLedger('steady', (s) => s.classes.ops?.rung === 2);
    expect(state.history.at(-1)).toMatchObject({
      from: 3,
      to: 2,
      by: 'U0ADMIN01',
      cause: expect.stringContaining('incident'),
    });
    await waitUntil(() =>
      stack.notifier.posted.some(
        (p) => p.notification.kind === 'rung-change' && p.notification.agentId === 'steady',
      ),
    );
    const next = await submit(stack, taskRequest('steady', 'ops', [appendStep('steady-2')]));
    expect((await waitForStatus(next.handle, (s) => s.rung !== null)).rung).toBe(2);
    await next.handle.cancel();
  });

  it('re-evaluates from rung 2 when operators declare a new model for the agent', async () => {
    const first = await submit(stack, taskRequest('switcher', 'ops', [appendStep('m1')]));
    expect((await first.handle.result()).rung).toBe(3);
    await waitForLedger('switcher', (s) => s.model === 'm' && s.classes.ops !== undefined);
    // The agent's model is the policy's word, not the agent's: the old one is refused once it changes.
    const before = stack.policy.current;
    const upgraded = {
      ...before,
      agents: { ...before.agents, switcher: { ...before.agents.switcher, model: 'm2' } },
    };
    stack.policy.current = upgraded;
    try {
      await expect(submit(stack, taskRequest('switcher', 'ops', [appendStep('m-old')]))).rejects.toThrow(
        /agent\.model: "m" is not what the policy declares for switcher \("m2"\)/,
      );
      const second = await submit(
        stack,
        taskRequest('switcher', 'ops', [appendStep('m2')], {
          agent: { id: 'switcher', model: 'm2', promptVersion: 'p' },
        }),
      );
      const status = await waitForStatus(second.handle, (s) => s.rung !== null);
      expect(status.rung).toBe(2);
      const state = await waitForLedger('switcher', (s) => s.classes.ops.rung === 2);
      expect(state.model).toBe('m2');
      expect(state.history.at(-1)!.cause).toContain('new model (m → m2)');
      await second.handle.cancel();
    } finally {
      stack.policy.current = before;
    }
  });

  it('drops a rung-5 agent to 4 when its report stays unread past the last escalation', async () => {
    const { handle } = await submit(stack, taskRequest('reporter', 'ops', [appendStep('reported')]));
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'executed', rung: 5, reportRead: false });
    const state = await waitForLedger('reporter', (s) => s.classes.ops?.rung === 4);
    expect(state.history.at(-1)).toMatchObject({
      from: 5,
      to: 4,
      cause: expect.stringContaining('sla-breach'),
    });
  });

  it('records a passed rollback drill, the evidence rung 4 needs, and refuses a drill from someone without standing', async () => {
    await expect(
      runRollbackDrill(
        stack.client,
        { taskQueue: stack.taskQueue, policy },
        { agentId: 'steady', taskClass: 'ops', by: 'U0NOBODY1', id: 'x' },
      ),
    ).rejects.toThrow(EvidenceError);
    const result = await runRollbackDrill(
      stack.client,
      { taskQueue: stack.taskQueue, policy },
      { agentId: 'steady', taskClass: 'ops', by: 'U0ADMIN01', id: 'd1' },
    );
    expect(result).toEqual({
      agentId: 'steady',
      taskClass: 'ops',
      passed: true,
      steps: [
        {
          action: 'shell.exec',
          passed: true,
          detail: 'executed, compensated, and the state from before is back',
        },
      ],
    });
    const state = await waitForLedger('steady', (s) => s.classes.ops?.drill !== undefined);
    expect(state.classes.ops.drill).toMatchObject({ passed: true, by: 'U0ADMIN01' });
    maybeRecordHistory(
      stack.client.workflow.getHandle(`drill/${stack.taskQueue}/steady/ops/d1`),
      'rollbackDrill',
      'passed',
    );
  });
});
