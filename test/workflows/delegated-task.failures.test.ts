import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { parsePolicy } from '../../policy/loader';
import { TaskValidationError } from '../../client/submit-task';
import {
  approveUpdate,
  markReportReadUpdate,
  quotaUsageQuery,
  quotaWorkflowId,
  rejectUpdate,
  withdrawUpdate,
} from '../../workflows/messages';
import { answerAs, reasonOf } from '../helpers/answers';
import type { reportDigest } from '../../workflows/report-digest';
import { maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

describe('delegated task failure paths on the real dev server', () => {
  let stack: TestStack;
  const sandbox = (file: string): string => join(stack.dirs.sandboxDir, file);
  const lines = (file: string): string[] =>
    existsSync(sandbox(file)) ? readFileSync(sandbox(file), 'utf8').split('\n').filter(Boolean) : [];

  beforeAll(async () => {
    stack = await startTestStack('failures', { policy: workflowTestPolicy() });
  });
  afterEach(() => {
    stack.policy.current = workflowTestPolicy();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses an invalid submission before any workflow starts, naming every error', async () => {
    const raw = taskRequest('ghost', 'ops', [{ action: 'shell.exec', params: {} }], { environment: 'Prod!' });
    const error = await submit(stack, raw).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskValidationError);
    expect((error as TaskValidationError).errors).toEqual([
      'environment: expected an environment name such as staging',
      'agent.id: unknown agent "ghost" (declared: a0, a1, a2, a3, a4, a5)',
    ]);
    const fixed = { ...raw, environment: 'staging' };
    const second = await submit(stack, fixed).catch((e: unknown) => e);
    expect((second as TaskValidationError).errors).toEqual([
      'agent.id: unknown agent "ghost" (declared: a0, a1, a2, a3, a4, a5)',
      'steps[0].params.command: expected a shell command',
    ]);
    await expect(stack.client.workflow.getHandle(`task/ghost/${raw.taskId}`).describe()).rejects.toThrow(
      WorkflowNotFoundError,
    );
  });

  it('returns the same workflow when the same task id is submitted twice', async () => {
    const raw = taskRequest('a3', 'ops', [appendStep('idempotent')]);
    const first = await submit(stack, raw);
    const again = await submit(stack, raw);
    expect(again).toMatchObject({ workflowId: first.workflowId, existing: true });
    await first.handle.result();
    const afterwards = await submit(stack, raw);
    expect(afterwards).toMatchObject({ workflowId: first.workflowId, existing: true });
    expect(lines('effects.log').filter((l) => l === 'idempotent')).toHaveLength(1);
  });

  it('reminds, escalates, then expires an approval nobody gives', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'fast', [appendStep('expired-never')]),
    );
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'expired', executedSteps: 0 });
    const sent = stack.notifier.forWorkflow(workflowId).map((m) => [m.notification.kind, m.notification.to]);
    // The reminder to the channel, then the escalation contacts due before expiry (1.5 s), in time order.
    expect(sent).toEqual([
      ['approval-request', undefined],
      ['approval-reminder', 'channel'],
      ['approval-reminder', 'U0OWNER01'],
      ['approval-reminder', 'channel'],
    ]);
    maybeRecordHistory(handle, 'delegatedTask', 'rung2-expired-escalated');
    expect(stack.notifier.forWorkflow(workflowId)[0].updates.at(-1)?.text).toMatch(/^Expired/);
    expect((await handle.describe()).searchAttributes).toMatchObject({ Outcome: ['expired'] });
  });

  it('with a quota of 5 and 20 concurrent tasks, exactly 5 execute autonomously and 15 fall back', async () => {
    const submissions = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        submit(stack, taskRequest('a3', 'quota', [appendStep(`quota-${i}`)])),
      ),
    );
    const statuses = await Promise.all(
      submissions.map(({ handle }) =>
        waitForStatus(handle, (s) => s.phase === 'done' || s.phase === 'awaiting-human', 120_000),
      ),
    );
    const autonomous = statuses.filter((s) => s.outcome === 'executed' && s.rung === 3);
    const fellBack = statuses.filter((s) => s.phase === 'awaiting-human' && s.rung === 2);
    expect(autonomous).toHaveLength(5);
    expect(fellBack).toHaveLength(15);
    // Each fallback is explained: by the decision (usage already at the bound when it decided)
    // or by the ledger refusing the reservation.
    const explained = (s: (typeof statuses)[number]): boolean =>
      (s.decision?.reasons.some(
        (r) => r.rule === 'bounds' && r.message.includes('autonomous tasks already used today'),
      ) ??
        false) ||
      s.events.some((e) => e.includes('daily quota: 5 of 5 autonomous tasks already used'));
    expect(fellBack.filter((s) => !explained(s))).toEqual([]);
    expect(lines('effects.log').filter((l) => l.startsWith('quota-'))).toHaveLength(5);
    const ledger = stack.client.workflow.getHandle(
      `quota/${stack.taskQueue}/a3/quota/${new Date().toISOString().slice(0, 10)}`,
    );
    // Reservations leave the ledger's idle timer alone: one timer for its whole busy day.
    const events = (await ledger.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length).toBeGreaterThan(1);
    expect(events.filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
    expect(events.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(0);
    maybeRecordHistory(ledger, 'quotaLedger', 'five-granted');
    await Promise.all(submissions.map(({ handle }) => handle.cancel().catch(() => undefined)));
  });

  it('falls back on cost: over the daily budget at decision time, and when concurrent tasks together exceed it', async () => {
    const over = await submit(
      stack,
      taskRequest('a3', 'budget', [{ ...appendStep('too-costly'), costUsd: 5000 }], {
        requester: 'U0OWNER01',
      }),
    );
    const decided = await waitForStatus(over.handle, (s) => s.phase === 'awaiting-human');
    expect(decided.rung).toBe(2);
    expect(decided.decision?.bounds.violations.map((v) => v.bound)).toEqual(['perDay.costUsd']);

    const pair = await Promise.all(
      ['costly-a', 'costly-b'].map((w) =>
        submit(
          stack,
          taskRequest('a3', 'budget', [{ ...appendStep(w), costUsd: 600 }], { requester: 'U0OWNER01' }),
        ),
      ),
    );
    const statuses = await Promise.all(
      pair.map(({ handle }) =>
        waitForStatus(handle, (s) => s.phase === 'done' || s.phase === 'awaiting-human'),
      ),
    );
    expect(statuses.map((s) => s.outcome ?? s.phase).sort()).toEqual(['awaiting-human', 'executed']);
    const fallback = statuses.find((s) => s.phase === 'awaiting-human')!;
    // Whichever came second is refused: by the quota ledger's exact count when both were decided
    // before either reserved, or already at its decision when the first reservation was counted.
    const why = [...fallback.events, ...(fallback.decision?.bounds.violations.map((v) => v.message) ?? [])];
    expect(why.join('\n')).toMatch(
      /daily budget: \$600 used, \$600 more exceeds \$1000|cost \$600 on top of \$600 today exceeds \$1000 per day/,
    );
    await Promise.all([over, ...pair].map(({ handle }) => handle.cancel().catch(() => undefined)));
  });

  it("charges a step its action's price when the agent declares less, in the decision and the reservation", async () => {
    const first = await submit(
      stack,
      taskRequest('a3', 'priced', [appendStep('priced-1')], { requester: 'U0OWNER01' }),
    );
    const ran = await waitForStatus(first.handle, (s) => s.phase === 'done');
    expect([ran.outcome, ran.rung]).toEqual(['executed', 3]);
    const day = new Date().toISOString().slice(0, 10);
    const usage = await stack.client.workflow
      .getHandle(quotaWorkflowId(stack.taskQueue, 'a3', 'priced', day))
      .query(quotaUsageQuery);
    expect(usage).toEqual({ countUsed: 1, costUsedUsd: 0.6 });

    const second = await submit(
      stack,
      taskRequest('a3', 'priced', [{ ...appendStep('priced-2'), costUsd: 0 }], { requester: 'U0OWNER01' }),
    );
    const held = await waitForStatus(second.handle, (s) => s.phase === 'awaiting-human');
    expect(held.rung).toBe(2);
    expect(held.decision?.bounds.violations).toEqual([
      {
        bound: 'perDay.costUsd',
        message:
          'cost $0.6 (declared $0; each step is charged at least its price in bounds.stepCostUsd) on top of $0.6 today exceeds $1 per day',
      },
    ]);
    expect(lines('effects.log').filter((l) => l.startsWith('priced-'))).toEqual(['priced-1']);
    await second.handle.cancel();
  });

  it('takes a burst of 50 concurrent tasks for one agent without an error', async () => {
    const submissions = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        submit(stack, taskRequest('a3', 'ops', [appendStep(`burst-${i}`)])),
      ),
    );
    const results = await Promise.all(submissions.map(({ handle }) => handle.result()));
    expect(results.map((r) => r.outcome)).toEqual(Array(50).fill('executed'));
    expect(new Set(lines('effects.log').filter((l) => l.startsWith('burst-'))).size).toBe(50);
  });

  it('escalates as rollback-failed (an incident) when a compensation keeps failing', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        appendStep('rf-one', 'echo cannot undo >&2; exit 7'),
        { action: 'shell.exec', params: { command: 'exit 1' } },
      ]),
    );
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'rollback-failed', executedSteps: 1 });
    const incident = stack.notifier
      .forWorkflow(workflowId)
      .find((m) => m.notification.kind === 'rollback-failed')!;
    expect(incident.notification.to).toBe('U0OWNER01');
    // Step 2 started and exited 1: it may have changed something, and declares no undo, so it is
    // named as not undone rather than taken as having changed nothing.
    expect(incident.notification.text).toMatch(
      /^INCIDENT: rollback failed \(step 2 \(interrupted\): .*no undo command declared for `exit 1`; step 1: .*exited with 7: cannot undo/,
    );
    expect(stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => e.kind)).toContain(
      'rollback-failed',
    );
  });

  it('tells the owner when a rung-3 execution fails part-way, naming the step and error', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a3', 'ops', [
        appendStep('r3-one'),
        { action: 'shell.exec', params: { command: 'echo disk full >&2; exit 4' } },
      ]),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'failed', executedSteps: 1 });
    const failure = stack.notifier.forWorkflow(workflowId).find((m) => m.notification.kind === 'outcome')!;
    expect(failure.notification.to).toBe('U0OWNER01');
    expect(failure.notification.text).toMatch(/^Failed after 1 of 2 step\(s\): .*exited with 4: disk full/);
    expect((await handle.describe()).searchAttributes).toMatchObject({ Outcome: ['failed'] });
    maybeRecordHistory(handle, 'delegatedTask', 'rung3-failed-notice');
  });

  it('unwinds what already ran, and the step that had started, when cancelled mid-execution', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        appendStep('cancel-one', 'echo cancel-one-undone >> effects.log'),
        {
          action: 'shell.exec',
          params: {
            command:
              'echo started >> marks.log; while [ ! -f never ]; do sleep 0.05; done; echo cancel-two >> effects.log',
            undo: 'echo cancel-two-undone >> effects.log',
          },
        },
      ]),
    );
    await waitUntil(() => lines('marks.log').length > 0 && lines('effects.log').includes('cancel-one'));
    await handle.cancel();
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'cancelled' });
    // The running step had started (it may have done part of its work): its undo runs too, first.
    expect(lines('effects.log').filter((l) => l.startsWith('cancel-'))).toEqual([
      'cancel-one',
      'cancel-two-undone',
      'cancel-one-undone',
    ]);
    expect(stack.notifier.forWorkflow(workflowId).map((m) => m.notification.kind)).toContain('rollback');
  });

  it('tells what ran when a rung-3 task is cancelled after a step ran, with the button to report a defect', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a3', 'ops', [
        appendStep('stop3-one'),
        {
          action: 'shell.exec',
          params: { command: 'echo started3 >> marks.log; while [ ! -f never ]; do sleep 0.05; done' },
        },
      ]),
    );
    await waitUntil(
      () => lines('marks.log').includes('started3') && lines('effects.log').includes('stop3-one'),
    );
    // Rung 3 posts only once its steps are done: before the fix a cancel here posted nothing.
    expect(stack.notifier.forWorkflow(workflowId)).toEqual([]);
    await handle.cancel();
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'cancelled', executedSteps: 1, rung: 3 });
    const told = stack.notifier.forWorkflow(workflowId);
    expect(told.map((m) => m.notification.kind)).toEqual(['outcome']);
    expect(told[0].notification.text).toBe('Cancelled after 2 of 2 step(s) began. Completed and kept: 1.');
    expect(told[0].notification.actions).toEqual(['report-defect']);
    expect(told[0].notification.facts?.steps?.map((s) => s.status)).toEqual(['ran', 'failed']);
    const evidence = stack.outcomes.events.filter((e) => e.workflowId === workflowId);
    expect(evidence).toEqual([expect.objectContaining({ kind: 'cancelled', detail: '2 step(s) began' })]);
    maybeRecordHistory(handle, 'delegatedTask', 'rung3-cancelled-after-step');
  });

  it('falls back to confirmation when the kill switch engages before a step has executed', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a3', 'ops', [
        {
          action: 'shell.exec',
          params: { command: 'echo ks-one >> effects.log; while [ ! -f go ]; do sleep 0.05; done' },
        },
        appendStep('ks-two'),
      ]),
    );
    await waitUntil(() => lines('effects.log').includes('ks-one'));
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'), 'utf8');
    const frozen = parsePolicy(
      `${text}\nkillSwitch: { engaged: true, cap: 0 }\n`,
      join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
    );
    if (!frozen.ok) throw new Error(JSON.stringify(frozen.errors));
    stack.policy.current = frozen.policy;
    writeFileSync(sandbox('go'), '');

    const status = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    expect(status.events[0]).toMatch(
      /^fell back to confirmation before step 2: .*kill switch caps every agent at rung 0/,
    );
    expect(lines('effects.log')).not.toContain('ks-two');
    // Its first step ran: the agent may no longer withdraw it, though it waits for a person again.
    expect(await reasonOf(handle.executeUpdate(withdrawUpdate, { args: [{}] }))).toMatch(
      /^has begun its steps and now waits for a person after a fallback: once its steps start, only a person can stop it/,
    );
    const request = stack.notifier
      .forWorkflow(workflowId)
      .find((m) => m.notification.kind === 'approval-request')!;
    await answerAs(handle, approveUpdate, {
      approver: 'U0APPR002',
      stepsHash: request.notification.fields!.stepsHash,
    });
    expect(await handle.result()).toMatchObject({
      outcome: 'executed',
      executedSteps: 2,
      approvedBy: 'U0APPR002',
    });
    expect(lines('effects.log')).toContain('ks-two');
    // The outcome was announced in a message of its own; the request still loses its buttons and
    // says who approved, and each piece of evidence is recorded once.
    await stack.notifier.waitFor(() =>
      request.updates.some((u) => u.text.startsWith('Approved by U0APPR002')),
    );
    expect(request.updates.map((u) => [u.text.split(' at ')[0], u.actions])).toEqual([
      ['Approved by U0APPR002', []],
    ]);
    const kinds = stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => e.kind);
    expect([...kinds].sort()).toEqual(['approved', 'executed', 'fell-back']);
    maybeRecordHistory(handle, 'delegatedTask', 'kill-switch-fallback');
  });

  it('keeps the undo of a step whose retry the kill switch refused after it acted, and undoes it on rejection', async () => {
    const file = join(stack.dirs.workspaceRoot, 'ks-retry.json');
    writeFileSync(file, JSON.stringify({ rps: 10 }));
    const text = readFileSync(join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'), 'utf8');
    const frozen = parsePolicy(
      `${text}\nkillSwitch: { engaged: true, cap: 0 }\n`,
      join(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
    );
    if (!frozen.ok) throw new Error(JSON.stringify(frozen.errors));
    // The first reload arrives after the file was written: the kill switch engages, and the reload
    // fails (503, retried). Later reloads (the undo's) succeed.
    let reloads = 0;
    const service = createServer((_req, res) => {
      reloads += 1;
      if (reloads === 1) stack.policy.current = frozen.policy;
      res.writeHead(reloads === 1 ? 503 : 200).end('{}');
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    try {
      const host = `127.0.0.1:${(service.address() as AddressInfo).port}`;
      const policy = structuredClone(stack.policy.current);
      policy.taskClasses.ops.bounds!.hosts = [host];
      stack.policy.current = policy;
      const { handle } = await submit(
        stack,
        taskRequest('a4', 'ops', [
          {
            action: 'config.set',
            params: { file: 'ks-retry.json', set: { rps: 99 }, reloadUrl: `http://${host}/reload` },
          },
        ]),
      );
      const status = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
      expect(status.events[0]).toMatch(/^fell back to confirmation before step 1: .*kill switch/);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ rps: 99 });
      await answerAs(handle, rejectUpdate, { approver: 'U0APPR002', reason: 'not now' });
      expect(await handle.result()).toMatchObject({ outcome: 'rejected', executedSteps: 0 });
      // What the first attempt changed was undone, not taken as never run.
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ rps: 10 });
      expect(reloads).toBe(2);
    } finally {
      await new Promise<void>((r) => service.close(() => r()));
    }
  });

  it('pings the escalation chain for an unread report, then records the SLA breach', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a5', 'fast', [appendStep('unread')]));
    // A "read" from someone without standing does not stop the escalation.
    await waitForStatus(handle, (s) => s.phase === 'awaiting-report-read');
    await expect(answerAs(handle, markReportReadUpdate, { by: 'U0READER1' })).rejects.toThrow(
      /update failed/i,
    );
    const result = await handle.result();
    maybeRecordHistory(handle, 'delegatedTask', 'rung5-sla-breach');
    expect(result).toMatchObject({ outcome: 'executed', rung: 5, reportRead: false });
    const pings = stack.notifier
      .forWorkflow(workflowId)
      .filter((m) => m.notification.kind === 'report-escalation');
    expect(pings.map((p) => p.notification.to)).toEqual(['U0OWNER01', 'channel', 'U0ESCAL01']);
    expect(stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => e.kind)).toEqual([
      'executed',
      'sla-breach',
    ]);
  });

  it('sends a request bounds.requests lists on its own, and asks first when its undo would DELETE', async () => {
    const received: string[] = [];
    const service = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
    try {
      const base = `http://127.0.0.1:${(service.address() as AddressInfo).port}`;
      const policy = structuredClone(stack.policy.current);
      policy.taskClasses.ops.bounds!.hosts = [new URL(base).host];
      policy.taskClasses.ops.bounds!.requests = [`POST ${base}/deploys`];
      stack.policy.current = policy;
      const deploy = (extra: Record<string, unknown> = {}) => ({
        action: 'http.request',
        params: { method: 'POST', url: `${base}/deploys`, body: { version: '1.2.3' }, ...extra },
      });
      // Listed: decided at rung 3, and re-checked before the step with the same requests.
      const listed = await submit(stack, taskRequest('a3', 'ops', [deploy()]));
      const ran = await waitForStatus(listed.handle, (s) => s.phase === 'done');
      expect([ran.rung, ran.outcome]).toEqual([3, 'executed']);
      expect(received).toEqual(['POST /deploys']);

      const deleting = await submit(
        stack,
        taskRequest('a3', 'ops', [deploy({ undo: { method: 'DELETE', url: `${base}/deploys/all` } })]),
      );
      const held = await waitForStatus(deleting.handle, (s) => s.phase === 'awaiting-human');
      expect(held.rung).toBe(2);
      expect(held.decision?.bounds.violations).toEqual([
        {
          bound: 'requests',
          message: `steps[0].params.undo.url: DELETE ${base}/deploys/all is not in bounds (POST ${base}/deploys)`,
        },
      ]);
      expect(received).toEqual(['POST /deploys']);
      await deleting.handle.cancel();
    } finally {
      service.close();
    }
  });

  it('delivers a notification late rather than losing it when the notifier fails', async () => {
    stack.notifier.failNext(3);
    const { workflowId, handle } = await submit(stack, taskRequest('a2', 'ops', [appendStep('late')]));
    await stack.notifier.waitFor(() => stack.notifier.forWorkflow(workflowId).length === 1);
    expect(stack.notifier.forWorkflow(workflowId)[0].notification.kind).toBe('approval-request');
    await handle.cancel();
  });

  it('records an SLA breach for an unread digest after pinging its escalation chain', async () => {
    const { handle } = await submit(stack, taskRequest('a5', 'digest', [appendStep('digest-unread')]));
    const result = await handle.result();
    const digestId = /report added to digest (\S+)/.exec(result.events.join('\n'))![1];
    const digest = await stack.client.workflow.getHandle<typeof reportDigest>(digestId).result();
    expect(digest).toMatchObject({ read: false, readBy: null });
    expect(stack.notifier.forWorkflow(digestId).map((m) => [m.notification.kind, m.notification.to])).toEqual(
      [
        ['report', undefined],
        ['report-escalation', 'U0OWNER01'],
      ],
    );
    expect(
      stack.outcomes.events.filter((e) => e.workflowId === digestId).map((e) => [e.kind, e.taskClass]),
    ).toEqual([['sla-breach', 'digest']]);
  });
});
