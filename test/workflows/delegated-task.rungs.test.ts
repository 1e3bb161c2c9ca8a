import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { startDemoService, type DemoService } from '../../examples/demo-service/server';
import type { reportDigest } from '../../workflows/report-digest';
import {
  approveUpdate,
  markReportReadUpdate,
  rejectUpdate,
  resolveSuggestionUpdate,
  reviewDraftUpdate,
  statusQuery,
} from '../../workflows/messages';
import { answerAs } from '../helpers/answers';
import { localActivityTypes, maybeRecordHistory, upsertedAttributes } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

describe('delegated task on the real dev server: one test per rung', () => {
  /** The demo service listens on a free port: the ops class's host bound must name it. */
  const allowDemoServiceHost = (url: string): void => {
    const policy = structuredClone(stack.policy.current);
    policy.taskClasses.ops.bounds!.hosts = [new URL(url).host];
    stack.policy.current = policy;
  };
  let stack: TestStack;
  let service: DemoService | undefined;
  const effects = (): string => {
    const file = join(stack.dirs.sandboxDir, 'effects.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };

  beforeAll(async () => {
    stack = await startTestStack('rungs', { policy: workflowTestPolicy() });
  });
  afterAll(async () => {
    await service?.close();
    await stack?.stop();
  });

  it('rung 0 suggests, executes nothing, and closes when the requester marks it done', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a0', 'ops', [appendStep('never')]));
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const [message] = stack.notifier.forWorkflow(workflowId);
    expect(message.notification).toMatchObject({ kind: 'suggestion', actions: ['done', 'dismiss'] });
    expect(message.notification.text).toContain('run `echo never >> effects.log` in the sandbox');

    await expect(
      answerAs(handle, resolveSuggestionUpdate, { by: 'U0STRANGER', resolution: 'done' }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await answerAs(handle, resolveSuggestionUpdate, { by: 'U0APPR001', resolution: 'done' });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'suggestion-done', rung: 0, executedSteps: 0 });
    expect(effects()).toBe('');
    expect(stack.notifier.forWorkflow(workflowId)[0].updates.at(-1)?.text).toMatch(/^Done by U0APPR001 at /);
    maybeRecordHistory(handle, 'delegatedTask', 'rung0-done');
  });

  it('rung 1 drafts a diff and applies it only when a reviewer accepts', async () => {
    writeFileSync(join(stack.dirs.workspaceRoot, 'app.json'), `${JSON.stringify({ rps: 10 }, null, 2)}\n`);
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a1', 'ops', [{ action: 'config.set', params: { file: 'app.json', set: { rps: 20 } } }]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const [message] = stack.notifier.forWorkflow(workflowId);
    expect(message.notification.kind).toBe('draft');
    expect(message.notification.text).toContain('-  "rps": 10');
    expect(message.notification.text).toContain('+  "rps": 20');
    expect(JSON.parse(readFileSync(join(stack.dirs.workspaceRoot, 'app.json'), 'utf8'))).toEqual({ rps: 10 });

    await answerAs(handle, reviewDraftUpdate, { by: 'U0APPR002', accept: true });
    expect(await handle.result()).toMatchObject({
      outcome: 'executed',
      rung: 1,
      approvedBy: 'U0APPR002',
      executedSteps: 1,
    });
    expect(JSON.parse(readFileSync(join(stack.dirs.workspaceRoot, 'app.json'), 'utf8'))).toEqual({ rps: 20 });
  });

  it('rung 2 refuses unauthorised, self, stale-hash approvals, then executes on a valid one and records who', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a2', 'ops', [appendStep('rung2')]));
    const status = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    expect(status.waitingOn).toBe('approvers: U0APPR001, U0APPR002');
    const request = stack.notifier.forWorkflow(workflowId)[0].notification;
    expect(request).toMatchObject({ kind: 'approval-request', actions: ['approve', 'reject'] });
    const hash = request.fields!.stepsHash;

    const refusal = (args: { approver: string; stepsHash: string }) =>
      answerAs(handle, approveUpdate, args).then(
        () => 'accepted',
        (err: WorkflowUpdateFailedError) => String(err.cause?.message),
      );
    expect(await refusal({ approver: 'U0STRANGER', stepsHash: hash })).toMatch(
      /U0STRANGER is not an approver/,
    );
    expect(await refusal({ approver: 'U0APPR001', stepsHash: hash })).toMatch(
      /two-person rule: U0APPR001 requested this task/,
    );
    expect(await refusal({ approver: 'U0APPR002', stepsHash: 'f'.repeat(64) })).toMatch(
      /different version of the steps/,
    );
    expect(effects()).not.toContain('rung2');

    const receipt = await answerAs(handle, approveUpdate, { approver: 'U0APPR002', stepsHash: hash });
    expect(receipt).toMatchObject({ accepted: true, by: 'U0APPR002' });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'executed', rung: 2, approvedBy: 'U0APPR002', executedSteps: 1 });
    expect(effects()).toContain('rung2');
    const attrs = (await handle.describe()).searchAttributes;
    expect(attrs).toMatchObject({
      AgentId: ['a2'],
      TaskClass: ['ops'],
      Rung: [2],
      Outcome: ['executed'],
      ApprovedBy: ['U0APPR002'],
    });
    maybeRecordHistory(handle, 'delegatedTask', 'rung2-approved');
    // The rung and who the request waits on are set in one workflow task: one upsert, not two.
    expect(await upsertedAttributes(handle)).toEqual([
      ['AgentId', 'Rung', 'TaskClass', 'WaitingOn'],
      ['WaitingOn'],
      ['ApprovedBy', 'Outcome'],
    ]);
    // The decision is local, and describes the steps: the only other look-up is the answer key's check.
    expect(await localActivityTypes(handle)).toEqual(['decideTask', 'answerKeyInForce']);
    expect(stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => e.kind)).toEqual([
      'approved',
      'executed',
    ]);
  });

  it('rung 2 with typed confirmation refuses a wrong resource name', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'db', [appendStep('migrate')], { resource: 'orders-db', requester: 'U0OWNER01' }),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const hash = stack.notifier.forWorkflow(workflowId)[0].notification.fields!.stepsHash;
    await expect(
      answerAs(handle, approveUpdate, {
        approver: 'U0APPR001',
        stepsHash: hash,
        typedConfirmation: 'orders',
      }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await answerAs(handle, approveUpdate, {
      approver: 'U0APPR001',
      stepsHash: hash,
      typedConfirmation: 'orders-db',
    });
    expect((await handle.result()).outcome).toBe('executed');
  });

  it('rung 2 ends as rejected with the reason, executing nothing', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [appendStep('rejected-never')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    await answerAs(handle, rejectUpdate, { approver: 'U0APPR002', reason: 'wrong service' });
    expect(await handle.result()).toMatchObject({ outcome: 'rejected', executedSteps: 0 });
    expect(effects()).not.toContain('rejected-never');
    expect(stack.notifier.forWorkflow(workflowId)[0].updates.at(-1)).toMatchObject({ actions: [] });
    expect(stack.notifier.forWorkflow(workflowId)[0].updates.at(-1)?.text).toMatch(
      /^Rejected by U0APPR002 at .*: wrong service$/,
    );
    // The agent learns why too (the reject modal says it will): its view of the task shows the events.
    expect((await handle.query(statusQuery)).events).toContain('rejected by U0APPR002: wrong service');
  });

  it('rung 3 executes within bounds without asking', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a3', 'ops', [appendStep('rung3')]));
    expect(await handle.result()).toMatchObject({
      outcome: 'executed',
      rung: 3,
      approvedBy: null,
      executedSteps: 1,
    });
    expect(effects()).toContain('rung3');
    expect(stack.notifier.forWorkflow(workflowId).map((m) => m.notification.kind)).toEqual(['executed']);
  });

  it('rung 3 falls back to confirmation outside its bounds, naming the bound', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a3', 'ops', [appendStep('prod')], { environment: 'production' }),
    );
    const status = await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    expect(status.rung).toBe(2);
    expect(status.decision?.reasons.map((r) => r.rule)).toEqual(['bounds']);
    expect(stack.notifier.forWorkflow(workflowId)[0].notification.text).toContain(
      'environment "production" is not in bounds (staging)',
    );
    await handle.cancel();
    expect((await handle.result()).outcome).toBe('cancelled');
    expect(effects()).not.toContain('prod');
  });

  it('rung 4 rolls back a config change that breaks the demo service, restoring it for real', async () => {
    const file = join(stack.dirs.workspaceRoot, 'demo.json');
    writeFileSync(file, JSON.stringify({ rateLimitRps: 10 }));
    service = await startDemoService(file);
    allowDemoServiceHost(service.url);
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        appendStep('rung4-before', 'echo rung4-undone >> effects.log'),
        {
          action: 'config.set',
          params: {
            file: 'demo.json',
            set: { rateLimitRps: 0 },
            reloadUrl: `${service.url}/reload`,
            healthUrl: `${service.url}/health`,
          },
        },
      ]),
    );
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back', rung: 4, executedSteps: 2 });
    expect(result.error).toMatch(/health check failed after step 2: GET .*\/health → 503/);
    // Undone in reverse: the config first (service healthy again), then the shell step's undo command.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ rateLimitRps: 10 });
    expect((await fetch(`${service.url}/health`)).status).toBe(200);
    expect(service.reloads()).toBe(2);
    expect(effects()).toMatch(/rung4-before\nrung4-undone\n$/);
    expect(stack.notifier.forWorkflow(workflowId).map((m) => m.notification.kind)).toEqual(['rollback']);
    expect((await handle.describe()).searchAttributes).toMatchObject({ Outcome: ['rolled-back'], Rung: [4] });
    maybeRecordHistory(handle, 'delegatedTask', 'rung4-rolled-back');
  });

  it('rung 4 keeps a healthy change after the health window', async () => {
    const file = join(stack.dirs.workspaceRoot, 'demo.json');
    const { handle } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        {
          action: 'config.set',
          params: {
            file: 'demo.json',
            set: { rateLimitRps: 50 },
            reloadUrl: `${service!.url}/reload`,
            healthUrl: `${service!.url}/health`,
          },
        },
      ]),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 4 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ rateLimitRps: 50 });
  });

  it('rung 4 undoes a step that failed part-way from the snapshot it journaled before acting', async () => {
    const file = join(stack.dirs.workspaceRoot, 'half.json');
    writeFileSync(file, JSON.stringify({ rateLimitRps: 10 }));
    service ??= await startDemoService(file);
    allowDemoServiceHost(service.url);
    // The file is written, then the reload answers 404: the step fails after its effect.
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        {
          action: 'config.set',
          params: {
            file: 'half.json',
            set: { rateLimitRps: 99 },
            reloadUrl: `${service!.url}/no-such-reload`,
          },
        },
      ]),
    );
    const result = await handle.result();
    // Undoing also asks the broken reload URL, so the rollback cannot be confirmed: an incident,
    // but the file itself is back to what it was.
    expect(result).toMatchObject({ outcome: 'rollback-failed', executedSteps: 0 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ rateLimitRps: 10 });
    expect(stack.notifier.forWorkflow(workflowId).map((m) => m.notification.kind)).toEqual([
      'rollback-failed',
    ]);
    expect(stack.notifier.forWorkflow(workflowId)[0].notification.text).toMatch(
      /step 1 \(interrupted\): .*answered 404/,
    );
    maybeRecordHistory(handle, 'delegatedTask', 'rung4-interrupted-step');
  });

  it('rung 4 runs the declared undo of a command that failed part-way, instead of calling it unchanged', async () => {
    const before = effects();
    // The command does half its work, then exits 3: it started, so it may have changed something.
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        {
          action: 'shell.exec',
          params: {
            command: 'echo part-way >> effects.log; exit 3',
            undo: 'echo part-way-undone >> effects.log',
          },
        },
      ]),
    );
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'rolled-back', executedSteps: 0 });
    expect(effects().slice(before.length)).toBe('part-way\npart-way-undone\n');
    const rolledBack = stack.notifier
      .forWorkflow(workflowId)
      .find((m) => m.notification.kind === 'rollback')!;
    expect(rolledBack.notification.facts?.steps?.[0]).toMatchObject({
      status: 'failed',
      compensation: { undone: true, detail: 'undone after it failed part-way' },
    });
  });

  it('rung 5 executes, reports, and records who read the report', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a5', 'ops', [appendStep('rung5')]));
    await waitForStatus(handle, (s) => s.phase === 'awaiting-report-read');
    const report = stack.notifier.forWorkflow(workflowId).find((m) => m.notification.kind === 'report')!;
    expect(report.notification).toMatchObject({ channel: '#ops-reports', actions: ['mark-read'] });
    // Someone without standing in the class (not owner, requester, approver or escalation) is refused,
    // and the refusal is visible in the task's status; the report still waits for a reader.
    await expect(answerAs(handle, markReportReadUpdate, { by: 'U0READER1' })).rejects.toThrow(
      /update failed/i,
    );
    const waiting = await waitForStatus(handle, (s) => (s.refusals ?? []).length > 0);
    expect(waiting.phase).toBe('awaiting-report-read');
    expect(waiting.refusals![0]).toMatchObject({
      answer: 'markReportRead',
      by: 'U0READER1',
      reason: 'U0READER1 may not mark this report read (readers for "ops": U0OWNER01, U0APPR001, U0APPR002)',
    });
    await answerAs(handle, markReportReadUpdate, { by: 'U0OWNER01' });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 5, reportRead: true });
    expect(stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => e.kind)).toEqual([
      'executed',
      'report-read',
    ]);
    maybeRecordHistory(handle, 'delegatedTask', 'rung5-read');
  });

  it('refuses a report read by a reader the policy in force no longer names; the report keeps waiting', async () => {
    const { handle } = await submit(stack, taskRequest('a5', 'ops', [appendStep('rung5-removed-reader')]));
    await waitForStatus(handle, (s) => s.phase === 'awaiting-report-read');
    // Decided while U0APPR002 approved "ops"; removed from it before reading.
    const before = stack.policy.current;
    stack.policy.current = {
      ...before,
      approversByClass: { ...before.approversByClass, ops: ['U0APPR001'] },
    };
    try {
      const refused = await answerAs(handle, markReportReadUpdate, { by: 'U0APPR002' }).then(
        () => 'accepted',
        (err: Error) => (err instanceof WorkflowUpdateFailedError ? String(err.cause?.message) : err.message),
      );
      expect(refused).toBe(`U0APPR002 is no longer a report reader of "ops" in policy ${before.versionId}`);
      expect((await handle.query(statusQuery)).phase).toBe('awaiting-report-read');
      await answerAs(handle, markReportReadUpdate, { by: 'U0OWNER01' });
      expect(await handle.result()).toMatchObject({ outcome: 'executed', reportRead: true });
    } finally {
      stack.policy.current = before;
    }
  });

  it('rung 5 in digest mode collects a period’s tasks into one report that holds the read SLA', async () => {
    const submissions = await Promise.all([
      submit(stack, taskRequest('a5', 'digest', [appendStep('digest-1')])),
      submit(stack, taskRequest('a5', 'digest', [appendStep('digest-2')])),
    ]);
    const results = await Promise.all(submissions.map((s) => s.handle.result()));
    expect(results.map((r) => [r.outcome, r.rung, r.reportRead])).toEqual([
      ['executed', 5, null],
      ['executed', 5, null],
    ]);
    const digestIds = [
      ...new Set(results.map((r) => /report added to digest (\S+)/.exec(r.events.join('\n'))![1])),
    ];
    // Two tasks submitted together land in one 3 s period, or in two when they straddle a boundary.
    const digests = digestIds.map((id) => stack.client.workflow.getHandle<typeof reportDigest>(id));
    await stack.notifier.waitFor(() =>
      digestIds.every((id) => stack.notifier.forWorkflow(id).some((m) => m.notification.kind === 'report')),
    );
    const posted = digestIds.map((id) =>
      stack.notifier.forWorkflow(id).find((m) => m.notification.kind === 'report')!,
    );
    expect(posted.map((p) => p.notification.channel)).toEqual(digestIds.map(() => '#digest-reports'));
    const listed = posted.map((p) => (p.updates.at(-1) ?? p.notification).text).join('\n');
    expect(listed).toContain('a5 digest test task');
    expect(listed.match(/^\d+\. \[digest\]/gm)).toHaveLength(2);

    await expect(answerAs(digests[0], markReportReadUpdate, { by: 'U0READER1' })).rejects.toThrow(
      /update failed/i,
    );
    await answerAs(digests[0], markReportReadUpdate, { by: 'U0OWNER01' });
    expect(await digests[0].result()).toMatchObject({ read: true, readBy: 'U0OWNER01' });
    maybeRecordHistory(digests[0], 'reportDigest', 'read');
    maybeRecordHistory(submissions[0].handle, 'delegatedTask', 'rung5-digest');
    const events = stack.outcomes.events
      .filter((e) => e.workflowId === digestIds[0])
      .map((e) => [e.kind, e.by]);
    expect(events).toEqual([['report-read', 'U0OWNER01']]);
  });
});
