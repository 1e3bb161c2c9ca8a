import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import {
  grantStandingApproval,
  listStandingApprovals,
  revokeStandingApproval,
  StandingApprovalError,
} from '../../client/standing-approvals';
import { createActionRegistry } from '../../activities/actions/registry';
import { loadPolicyFile } from '../../policy/loader';
import { grantStandingApprovalUpdate } from '../../workflows/standing-approval-messages';
import { withdrawUpdate } from '../../workflows/messages';
import { standingApprovalsWorkflowId } from '../../workflows/standing-approval-messages';
import { frontendSigner, operatorSignerOf } from '../helpers/answers';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

// Standing approvals against the real dev server and worker: granted with a signed answer by
// someone with authority, within the class's limits; a covered rung-2 task runs without a question
// and says which approval let it through; N uses let exactly N tasks through, even at once; a
// revoke stops it at once; pins, uncovered scopes and steps acting on anything else than the granting
// task's targets are still asked, whatever `resource` label the agent gives; what it lets through is
// pre-approved evidence, never a person's approval.

const HOUR = 3_600_000;
/** The one command the granted scope covers: every covered task below runs exactly this step. */
const COVERED_STEP = appendStep('standing');
const COVERED_TARGETS = createActionRegistry().targets(COVERED_STEP.action, COVERED_STEP.params);
const reasonOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'accepted',
    (err: Error) => err.message,
  );

describe('standing approvals (real dev server)', () => {
  let stack: TestStack;
  const caller = () => ({ taskQueue: stack.taskQueue, signer: frontendSigner() });
  /** A grant by U0APPR002 of the covered scope for an hour and 2 uses (`over` changes the rest). */
  const grantArgs = (over: Record<string, unknown> = {}) => ({
    agentId: 'a2',
    taskClass: 'standing',
    action: 'shell.exec',
    resource: 'web',
    environment: 'staging',
    targets: COVERED_TARGETS,
    by: 'U0APPR002',
    termMs: HOUR,
    maxUses: 2,
    ...over,
  });
  const grant = (over: Record<string, unknown> = {}) =>
    grantStandingApproval(stack.client, caller(), grantArgs(over));
  /** A task the grant's scope covers: the covered step, labelled `web` (`extra` changes the rest). */
  const webTask = (extra: Record<string, unknown> = {}) =>
    taskRequest('a2', 'standing', [COVERED_STEP], { resource: 'web', ...extra });

  beforeAll(async () => {
    stack = await startTestStack('standing', {
      policy: loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'standing.yaml')).policy,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses grants beyond the authority or the class limits, naming why', async () => {
    expect(await reasonOf(grant({ by: 'U0OWNER01' }))).toMatch(
      /U0OWNER01 may not grant standing approvals in standing: only its approvers \(U0APPR001, U0APPR002\) and admins may/,
    );
    expect(await reasonOf(grant({ maxUses: 4 }))).toMatch(/uses: expected a whole number from 1 to 3/);
    expect(await reasonOf(grant({ termMs: 3 * HOUR }))).toMatch(/term: expected .* at most 2 h/);
    expect(await reasonOf(grant({ taskClass: 'plain' }))).toMatch(
      /task class "plain" does not allow standing approvals/,
    );
    expect(await reasonOf(grant({ taskClass: 'guarded' }))).toMatch(/two-person rule/);
    expect(await reasonOf(grant({ action: 'http.request' }))).toMatch(/not one of standing's actions/);
    expect(await reasonOf(grant({ targets: [] }))).toMatch(
      /targets: expected 1 to 50 things the steps act on/,
    );
    // An operator key answers only as its own person.
    expect(
      await reasonOf(
        grantStandingApproval(
          stack.client,
          { taskQueue: stack.taskQueue, signer: operatorSignerOf('U0APPR001') },
          grantArgs({ maxUses: 1 }),
        ),
      ),
    ).toMatch(/U0APPR001/);
    // Unsigned: a Temporal client alone (an agent holding access) cannot grant one.
    const unsigned = stack.client.workflow
      .getHandle(standingApprovalsWorkflowId(stack.taskQueue))
      .executeUpdate(grantStandingApprovalUpdate, {
        args: [grantArgs({ maxUses: 3 }) as never],
      });
    expect(await reasonOf(unsigned.catch((e: WorkflowUpdateFailedError) => Promise.reject(e.cause)))).toMatch(
      /proof|signed|signature/i,
    );
    expect(await listStandingApprovals(stack.client, stack.taskQueue)).toEqual([]);
  });

  it('lets exactly N covered tasks through without asking, even submitted at once; the next is asked', async () => {
    const granted = await grant({ maxUses: 2 });
    expect(granted).toMatchObject({
      id: expect.stringMatching(/^sa-[0-9a-f]{8}$/),
      usedBy: [],
      revoked: null,
    });

    const tasks = await Promise.all([1, 2, 3].map(() => submit(stack, webTask())));
    // Two run on the standing approval; one waits for a person. Which is which is the registry's order.
    const statuses = await Promise.all(
      tasks.map((t) =>
        waitForStatus(t.handle, (s) => s.phase === 'done' || s.phase === 'awaiting-human', 60_000),
      ),
    );
    expect(statuses.map((s) => s.phase).sort()).toEqual(['awaiting-human', 'done', 'done']);
    const ran = tasks.filter((_, i) => statuses[i].phase === 'done');
    for (const t of ran) {
      expect(await t.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
      const main = stack.notifier.forWorkflow(t.workflowId)[0];
      expect(main.notification.text).toMatch(
        new RegExp(
          `^Approved in advance by standing approval ${granted.id} \\(granted by U0APPR002 at .*; use [12] of 2, in force until `,
        ),
      );
      expect(main.notification.actions ?? []).toEqual([]);
    }
    maybeRecordHistory(ran[0].handle, 'delegatedTask', 'rung2-standing-approved');
    const [kept] = await listStandingApprovals(stack.client, stack.taskQueue);
    expect(kept.usedBy.sort()).toEqual(ran.map((t) => t.workflowId).sort());

    // Pre-approved evidence, never an approval: promotion's approval rate does not see it.
    const kinds = (id: string) => stack.outcomes.events.filter((e) => e.workflowId === id).map((e) => e.kind);
    for (const t of ran) {
      expect(kinds(t.workflowId)).toContain('pre-approved');
      expect(kinds(t.workflowId)).not.toContain('approved');
    }
    // The third was asked, with the offer to allow again; it is cancelled to leave nothing running.
    const asked = tasks.find((_, i) => statuses[i].phase === 'awaiting-human')!;
    const request = stack.notifier.forWorkflow(asked.workflowId)[0].notification;
    expect(request.actions).toEqual(['approve', 'reject', 'allow-standing']);
    await asked.handle.cancel();
  });

  it('stops at once on revoke, by someone with authority only; an ended one cannot be revoked again', async () => {
    const granted = await grant({ maxUses: 3 });
    expect(
      await reasonOf(revokeStandingApproval(stack.client, caller(), { id: granted.id, by: 'U0OWNER01' })),
    ).toMatch(/U0OWNER01 may not revoke/);
    const receipt = await revokeStandingApproval(stack.client, caller(), { id: granted.id, by: 'U0APPR001' });
    expect(receipt).toMatchObject({ accepted: true, by: 'U0APPR001' });
    await expect(
      revokeStandingApproval(stack.client, caller(), { id: granted.id, by: 'U0APPR001' }),
    ).rejects.toThrow(StandingApprovalError);
    expect(
      await reasonOf(revokeStandingApproval(stack.client, caller(), { id: granted.id, by: 'U0ADMIN01' })),
    ).toMatch(/has ended already: revoked by U0APPR001/);

    const task = await submit(stack, webTask());
    await waitForStatus(task.handle, (s) => s.phase === 'awaiting-human');
    const [entry] = (await listStandingApprovals(stack.client, stack.taskQueue)).filter(
      (a) => a.id === granted.id,
    );
    expect(entry.usedBy).toEqual([]);
    await task.handle.cancel();
    maybeRecordHistory(
      stack.client.workflow.getHandle(standingApprovalsWorkflowId(stack.taskQueue)),
      'standingApprovals',
      'granted-used-revoked',
    );
  });

  it('never covers another resource, agent, action mix, a pinned action, or a step acting on anything else', async () => {
    await grant({ maxUses: 3, environment: 'production' });
    const live = await grant({ maxUses: 3 });
    const others = await Promise.all([
      submit(stack, webTask({ resource: 'db' })),
      submit(stack, taskRequest('b2', 'standing', [COVERED_STEP], { resource: 'web' })),
      submit(
        stack,
        taskRequest(
          'a2',
          'standing',
          [COVERED_STEP, { action: 'file.write', params: { path: 'notes.txt', content: 'x' } }],
          { resource: 'web' },
        ),
      ),
      // Granted for production, but the pin keeps production shell with a person.
      submit(stack, webTask({ environment: 'production' })),
      // The agent's own label is not the scope: the same label on another command is asked.
      submit(stack, taskRequest('a2', 'standing', [appendStep('elsewhere')], { resource: 'web' })),
      // Nor is a covered step with another one beside it.
      submit(stack, taskRequest('a2', 'standing', [COVERED_STEP, appendStep('too')], { resource: 'web' })),
    ]);
    for (const t of others) {
      await waitForStatus(t.handle, (s) => s.phase === 'awaiting-human');
      await t.handle.cancel();
    }
    const kept = (await listStandingApprovals(stack.client, stack.taskQueue)).find((a) => a.id === live.id)!;
    expect(kept.usedBy).toEqual([]);
    // The same grant does cover the step it was granted for.
    const covered = await submit(stack, webTask());
    expect(await covered.handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    const after = (await listStandingApprovals(stack.client, stack.taskQueue)).find((a) => a.id === live.id)!;
    expect(after.usedBy).toEqual([covered.workflowId]);
  });

  it('refuses a signed grant sent again after its revocation: a signature counts once', async () => {
    const handle = stack.client.workflow.getHandle(standingApprovalsWorkflowId(stack.taskQueue));
    const signed = frontendSigner().sign(
      handle.workflowId,
      grantStandingApprovalUpdate.name,
      grantArgs({ maxUses: 1 }),
    );
    const granted = await handle.executeUpdate(grantStandingApprovalUpdate, { args: [signed] });
    await revokeStandingApproval(stack.client, caller(), { id: granted.id, by: 'U0APPR002' });
    const listed = (await listStandingApprovals(stack.client, stack.taskQueue)).length;
    // Whoever read the grant from history sends it again, within its TTL, under a new update id.
    const replayed = handle
      .executeUpdate(grantStandingApprovalUpdate, { args: [signed] })
      .catch((e: WorkflowUpdateFailedError) => Promise.reject(e.cause));
    expect(await reasonOf(replayed)).toMatch(
      /was already taken: a signature counts once, so nothing changed/,
    );
    expect(await listStandingApprovals(stack.client, stack.taskQueue)).toHaveLength(listed);
  });

  it('runs nothing after a withdrawal it accepted while a covered task was being announced', async () => {
    // Its own scope: earlier grants here are used up or revoked.
    const step = appendStep('standing-withdrawn');
    await grant({
      resource: 'web-w',
      targets: createActionRegistry().targets(step.action, step.params),
      maxUses: 1,
    });
    const title = 'covered, then withdrawn while announced';
    const release = stack.notifier.holdPosts((n) => JSON.stringify(n).includes(title));
    try {
      const { handle } = await submit(
        stack,
        taskRequest('a2', 'standing', [step], { resource: 'web-w', title }),
      );
      await waitUntil(() => stack.notifier.heldPosts > 0);
      // Still deciding while the message is on its way: the agent's withdrawal is accepted...
      expect(await handle.executeUpdate(withdrawUpdate, { args: [{}] })).toMatchObject({ accepted: true });
      release();
      // ...and then nothing runs.
      expect(await handle.result()).toMatchObject({ outcome: 'cancelled', executedSteps: 0 });
    } finally {
      release();
    }
    const effects = join(stack.dirs.sandboxDir, 'effects.log');
    expect(existsSync(effects) ? readFileSync(effects, 'utf8') : '').not.toContain('standing-withdrawn');
  });
});
