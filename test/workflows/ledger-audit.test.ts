import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { giveAuditVerdict } from '../../client/evidence';
import { readKillSwitch, releaseClassCap } from '../../client/kill-switch';
import type { LedgerState } from '../../policy/ledger';
import { parsePolicy } from '../../policy/loader';
import { ledgerQuery, ledgerWorkflowId } from '../../workflows/messages';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { frontendSigner } from '../helpers/answers';

// Post-hoc audits on the real dev server: every autonomous outcome is sampled (rate 1 here),
// reviewers answer, and disagreement clearly above what rung 3 allows reduces the class's scope
// for every agent until an admin releases it.
const text = readFileSync(join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml'), 'utf8');
const parsed = parsePolicy(
  text.replace('audit: { sampleRate: 0 }', 'audit: { sampleRate: 1 }'),
  join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml'),
);
if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
const policy = parsed.policy;

describe('post-hoc audits and the class rollback trigger', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('ledger-audit', { policy, ledger: true });
  });
  afterAll(async () => stack?.stop());

  const readLedger = (agent: string): Promise<LedgerState> =>
    stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, agent)).query(ledgerQuery);

  it('samples autonomous outcomes for review, counts verdicts, and caps the class for everyone on clear disagreement', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const { handle } = await submit(stack, taskRequest('steady', 'ops', [appendStep(`audited-${i}`)]));
        return handle.result();
      }),
    );
    expect(results.every((r) => r.outcome === 'executed' && r.rung === 3)).toBe(true);
    await waitUntil(() => stack.notifier.posted.filter((p) => p.notification.kind === 'audit').length === 10);
    const audit = stack.notifier.posted.find((p) => p.notification.kind === 'audit')!.notification;
    expect(audit).toMatchObject({ channel: '#ops', actions: ['audit-agree', 'audit-disagree'] });
    let state = await readLedger('steady');
    const audits = state.audits!.filter((a) => a.status === 'open');
    expect(audits).toHaveLength(10);

    const verdict = (i: number, by: string, agree: boolean, reason?: string) =>
      giveAuditVerdict(
        stack.client,
        { taskQueue: stack.taskQueue, signer: frontendSigner() },
        {
          agentId: 'steady',
          auditId: audits[i].id,
          by,
          agree,
          reason,
        },
      );
    expect(await verdict(0, 'U0OWNER01', true)).toEqual({
      ok: false,
      reason: `U0OWNER01 may not audit ops (admins and its approvers in policy ${policy.versionId}: U0ADMIN01, U0APPR001, U0APPR002)`,
    });
    expect(await verdict(0, 'U0APPR001', false)).toEqual({
      ok: false,
      reason: 'a disagreement needs a reason',
    });
    for (let i = 0; i < 4; i++) expect(await verdict(i, 'U0APPR001', true)).toMatchObject({ ok: true });
    expect(await verdict(0, 'U0APPR002', true)).toEqual({
      ok: false,
      reason: `audit ${audits[0].id} already has a verdict`,
    });
    for (let i = 4; i < 10; i++)
      expect(await verdict(i, 'U0APPR002', false, 'touched the wrong host')).toMatchObject({ ok: true });

    // 6 of 10 disagreed: at least 27% at 99% confidence, where rung 3 allows 15%.
    await waitUntil(() =>
      stack.notifier.posted.some(
        (p) => p.notification.title === 'ops: scope reduced to rung 2 for every agent',
      ),
    );
    state = await readLedger('steady');
    expect(state.classes.ops.evidence).toMatchObject({ auditSampled: 10, auditDisagreed: 6 });
    const ks = await readKillSwitch(stack.client, stack.taskQueue);
    expect(ks.classes?.ops).toMatchObject({
      cap: 2,
      by: 'ledger:steady',
      reason: expect.stringContaining('audit disagreement in ops is at least 27.'),
    });

    // Another agent, never audited, is capped too: the class is the problem.
    const other = await submit(stack, taskRequest('switcher', 'ops', [appendStep('capped')]));
    const decided = await waitForStatus(other.handle, (s) => s.decision !== null);
    expect(decided.rung).toBe(2);
    expect(decided.decision!.reasons.map((r) => r.rule)).toContain('class-rollback');
    await other.handle.cancel();

    await expect(
      releaseClassCap(
        stack.client,
        { taskQueue: stack.taskQueue, signer: frontendSigner() },
        { taskClass: 'ops', by: 'U0APPR001' },
      ),
    ).rejects.toThrow(/not an admin/);
    await releaseClassCap(
      stack.client,
      { taskQueue: stack.taskQueue, signer: frontendSigner() },
      { taskClass: 'ops', by: 'U0ADMIN01' },
    );
    await waitUntil(
      async () => (await readKillSwitch(stack.client, stack.taskQueue)).classes?.ops === undefined,
    );
    const after = await submit(stack, taskRequest('switcher', 'ops', [appendStep('free')]));
    expect((await after.handle.result()).rung).toBe(3);
  });
});
