import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { lookupAgentToken } from '../../client/agent-tokens';
import { loadPolicyFile } from '../../policy/loader';
import type { LedgerState } from '../../policy/ledger';
import type { delegatedTask } from '../../workflows/delegated-task';
import { approveUpdate, decideProposalUpdate, ledgerQuery, ledgerWorkflowId } from '../../workflows/messages';
import { grantStandingApproval, listStandingApprovals } from '../../client/standing-approvals';
import { answerAs, frontendSigner } from './answers';
import { runLadder, type CliRun } from './cli';
import { appendStep, submit, taskRequest, waitForStatus } from './tasks';
import { startTestStack, type TestStack } from './temporal';
import { waitPastCleanPeriod, waitUntil } from './wait';

const POLICY = resolve(__dirname, '..', 'fixtures', 'policies', 'state-move.yaml');

/**
 * `ladder state export|import`: a deployment that earned a promotion, froze an agent and issued a
 * token moves to another deployment (here a second task queue with its own worker; the CLI only
 * sees TEMPORAL_ADDRESS and LADDER_TASK_QUEUE), and keeps all three. `servers` says where each
 * deployment runs: the same dev server on two task queues (test/cli/state.test.ts), or the dev
 * server and the local cluster (test/cluster/state-move.cluster-test.ts).
 */
export function stateMoveSuite(title: string, servers: { source: () => string; target: () => string }): void {
  describe(title, () => {
    let source: TestStack;
    let target: TestStack;
    const dir = mkdtempSync(join(tmpdir(), 'ladder-state-'));
    beforeAll(async () => {
      const policy = loadPolicyFile(POLICY).policy;
      [source, target] = await Promise.all([
        startTestStack('state-source', { policy, ledger: true, address: servers.source() }),
        startTestStack('state-target', { policy, ledger: true, address: servers.target() }),
      ]);
    });
    afterAll(async () => {
      await source?.stop();
      await target?.stop();
    });
    const ladder = (stack: TestStack, ...args: string[]): Promise<CliRun> =>
      runLadder(
        { TEMPORAL_ADDRESS: stack.address, LADDER_TASK_QUEUE: stack.taskQueue, LADDER_POLICY_PATH: POLICY },
        ...args,
      );
    const ledgerOf = (stack: TestStack, agent: string): Promise<LedgerState> =>
      stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, agent)).query(ledgerQuery);

    /** Three approved rung-2 tasks of climber, 1 s apart from the first (the clean period). */
    async function earnPromotion(): Promise<void> {
      for (let i = 0; i < 3; i++) {
        if (i === 2) await waitPastCleanPeriod(() => ledgerOf(source, 'climber'), 'ops', 2, 1_000);
        const { handle } = await submit(source, taskRequest('climber', 'ops', [appendStep(`move-${i}`)]));
        const status = await waitForStatus(handle, (s) => s.waitingOn !== null);
        await answerAs(handle as WorkflowHandle<typeof delegatedTask>, approveUpdate, {
          approver: 'U0APPR002',
          stepsHash: status.stepsHash,
        });
        expect((await handle.result()).outcome).toBe('executed');
      }
      let proposal: string | undefined;
      await waitUntil(async () => {
        proposal = (await ledgerOf(source, 'climber').catch(() => null))?.proposals.find(
          (p) => p.status === 'open',
        )?.id;
        return proposal !== undefined;
      });
      const ledger = source.client.workflow.getHandle(ledgerWorkflowId(source.taskQueue, 'climber'));
      await answerAs(ledger, decideProposalUpdate, { proposalId: proposal!, by: 'U0APPR002', approve: true });
      await waitUntil(async () => (await ledgerOf(source, 'climber')).classes.ops.rung === 3);
    }

    it('moves earned rungs with their history, freezes, token hashes and standing approvals, and refuses to import twice', async () => {
      await earnPromotion();
      expect(
        (await ladder(source, 'freeze', 'hasty', '--as', 'U0ADMIN01', '--reason', 'moving', '--cap', '1'))
          .code,
      ).toBe(0);
      const created = await ladder(source, 'agent', 'token', 'create', 'steady', '--as', 'U0ADMIN01');
      expect(created.code).toBe(0);
      const tokenId = /\b([0-9a-f]{16})\b/.exec(created.out + created.err)![1];
      const granted = await grantStandingApproval(
        source.client,
        { taskQueue: source.taskQueue, signer: frontendSigner() },
        {
          agentId: 'steady',
          taskClass: 'ops',
          action: 'shell.exec',
          resource: 'web',
          environment: 'staging',
          targets: ['run systemctl restart web (in .)'],
          by: 'U0APPR001',
          termMs: 3_600_000,
          maxUses: 3,
        },
      );

      const file = join(dir, 'state.json');
      const exported = await ladder(source, 'state', 'export', '--out', file);
      expect(exported).toMatchObject({ code: 0 });
      expect(exported.err).toMatch(/^Exported 1 agent ledger\(s\), 1 agent token\(s\) and the kill switch/);
      const data = JSON.parse(readFileSync(file, 'utf8'));
      expect(data.format).toBe('ladder.state/v1');

      // Before the move the target knows nothing: climber is at its policy's rung 2.
      expect((await ladder(target, 'status', 'climber')).out).toContain('  ops: rung 2 (confirm) (declared)');
      const imported = await ladder(target, 'state', 'import', file);
      expect(imported.code).toBe(0);
      expect(imported.out).toContain(`${ledgerWorkflowId(target.taskQueue, 'climber')}`);

      const moved = await ladder(target, 'status', 'climber');
      expect(moved.out).toContain('  ops: rung 3 (bounded)');
      expect(moved.out).not.toContain('(declared)');
      expect(moved.out).toMatch(/Kill switch: ENGAGED\n {2}hasty: capped at rung 1 by U0ADMIN01/);
      const history = await ladder(target, 'history', 'climber');
      expect(history.out).toMatch(/ops: 2 → 3 by U0APPR002/);
      const token = await lookupAgentToken(target.client, target.taskQueue, tokenId);
      const original = await lookupAgentToken(source.client, source.taskQueue, tokenId);
      expect(token).toEqual(original);
      expect(token).toMatchObject({ agentId: 'steady', revoked: false });
      // The standing approval, with its term and uses as they were.
      expect(await listStandingApprovals(target.client, target.taskQueue)).toEqual([granted]);
      // The moved ledger is the one decisions read: climber's next task runs on its own at rung 3.
      const { handle } = await submit(target, taskRequest('climber', 'ops', [appendStep('after-move')]));
      expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3, approvedBy: null });

      const again = await ladder(target, 'state', 'import', file);
      expect(again.code).toBe(1);
      expect(again.err).toMatch(
        /^Refused: the target already holds trust state, nothing was imported: .*ledger\//,
      );
    });

    it('refuses a file that is not JSON, not an export, or names an agent the target does not know, starting nothing', async () => {
      const notJson = join(dir, 'broken.json');
      writeFileSync(notJson, '{"format": "ladder.state/v1", "ledgers": [');
      const r1 = await ladder(target, 'state', 'import', notJson);
      expect(r1.code).toBe(1);
      expect(r1.err).toContain(`${notJson}: `);

      const wrong = join(dir, 'wrong.json');
      writeFileSync(wrong, JSON.stringify({ format: 'ladder.audit/v1' }));
      const r2 = await ladder(target, 'state', 'import', wrong);
      expect(r2.code).toBe(1);
      expect(r2.err).toContain('format: expected "ladder.state/v1" (a file written by ladder state export)');

      const stranger = join(dir, 'stranger.json');
      const state = {
        agentId: 'ghost',
        model: 'm',
        promptVersion: 'p',
        classes: { ops: { rung: 5, evidence: {}, lifetime: {} } },
        history: [],
        proposals: [],
        seen: [],
        nextProposal: 1,
      };
      writeFileSync(
        stranger,
        JSON.stringify({
          format: 'ladder.state/v1',
          exportedAt: new Date().toISOString(),
          from: { namespace: 'default', taskQueue: 'elsewhere' },
          ledgers: [{ agentId: 'ghost', state, series: {} }],
          killSwitch: { all: null, agents: {}, classes: {} },
          agentTokens: [],
        }),
      );
      const fresh = await startTestStack('state-fresh', {
        policy: loadPolicyFile(POLICY).policy,
        address: servers.target(),
      });
      try {
        const r3 = await ladder(fresh, 'state', 'import', stranger);
        expect(r3.code).toBe(1);
        expect(r3.err).toContain('nothing was imported');
        expect(r3.err).toContain('ledgers.0.agentId: agent "ghost" is not in the target\'s policy');
        await expect(
          fresh.client.workflow.getHandle(ledgerWorkflowId(fresh.taskQueue, 'ghost')).describe(),
        ).rejects.toThrow(/not found/i);
      } finally {
        await fresh.stop();
      }
    });
  });
}
