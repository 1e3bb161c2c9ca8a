import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDemoService, type DemoService } from '../../examples/demo-service/server';
import type { Notification } from '../../activities/notify/notifier';
import { taskMessageBlocks } from '../../slack/blocks/task-message';
import { approveUpdate, markReportReadUpdate } from '../../workflows/messages';
import { answerAs } from '../helpers/answers';
import { cancellationHandled, maybeRecordHistory } from '../helpers/histories';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

/** Every text of a message as Slack would get it, in one string. */
const rendered = (n: Notification): string => JSON.stringify(taskMessageBlocks(n));
const isoNear = (iso: string | undefined, expectedMs: number, slackMs = 60_000): boolean =>
  iso !== undefined && Math.abs(Date.parse(iso) - expectedMs) < slackMs;

describe('task messages stand on their own at every stage (real dev server and worker)', () => {
  let stack: TestStack;
  let service: DemoService | undefined;

  beforeAll(async () => {
    stack = await startTestStack('messages', { policy: workflowTestPolicy() });
  });
  afterAll(async () => {
    await service?.close();
    await stack?.stop();
  });

  it('a request names who may answer (the requester excluded by the two-person rule) and when it expires; once approved it keeps what ran and its result', async () => {
    const submittedAt = Date.now();
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [appendStep('msg-approved')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const [message] = stack.notifier.forWorkflow(workflowId);
    const request = message.notification;
    expect(request.facts?.answer).toMatchObject({
      mayAnswer: ['U0APPR002'],
      excluded: [{ who: 'U0APPR001', rule: 'two-person-rule' }],
      onExpiry: { then: 'reject' },
    });
    // The class's expireAfter is 1 h.
    expect(isoNear(request.facts?.answer?.expiresAt, submittedAt + 3_600_000)).toBe(true);
    expect(request.fields).not.toHaveProperty('approvers');
    const shown = rendered(request);
    expect(shown).toContain('*Who may answer:* <@U0APPR002>');
    expect(shown).toContain('*Not* <@U0APPR001>: requested this task, and the two-person rule');
    expect(shown).toMatch(/\*Expires:\* \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC; then it is rejected/);
    expect(shown).toContain(`*task:* ${workflowId}`);

    await answerAs(handle, approveUpdate, { approver: 'U0APPR002', stepsHash: request.fields!.stepsHash });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    await stack.notifier.waitFor(() => (message.updates.at(-1)?.text ?? '').startsWith('Executed'));
    const closed = message.updates.at(-1)!;
    expect(closed.text).toMatch(/^Executed: 1 of 1 step\(s\) ran\. Approved by U0APPR002 at \d{4}-/);
    expect(closed.actions).toEqual(['report-defect']);
    expect(closed.facts?.steps).toEqual([
      {
        what: 'run `echo msg-approved >> effects.log` in the sandbox; no undo declared',
        blastRadius: expect.any(String),
        status: 'ran',
        result: 'exit code 0',
      },
    ]);
    expect(rendered(closed)).toContain(
      ':white_check_mark: _ran_: run `echo msg-approved &gt;&gt; effects.log`',
    );
    // A quick step: the outcome edit tells the approval too, and records both; no edit between.
    expect(message.updates.map((u) => u.text.split(':')[0])).toEqual(['Executed']);
    expect(stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => e.kind)).toEqual([
      'approved',
      'executed',
    ]);
  });

  it('a cancellation that arrives once the steps have run changes nothing: the task ends executed, its message says so, and its evidence is recorded once', async () => {
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [appendStep('msg-cancel-late')]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const [message] = stack.notifier.forWorkflow(workflowId);
    // Slack is slow with the outcome edit: the cancellation reaches the workflow while it is in flight.
    const held = stack.notifier.heldUpdates;
    const release = stack.notifier.holdUpdates(
      (n) => n.workflowId === workflowId && n.text.startsWith('Executed'),
    );
    try {
      await answerAs(handle, approveUpdate, {
        approver: 'U0APPR002',
        stepsHash: message.notification.fields!.stepsHash,
      });
      await stack.notifier.waitFor(() => stack.notifier.heldUpdates > held);
      await handle.cancel();
      await waitUntil(() => cancellationHandled(handle));
    } finally {
      release();
    }
    expect(await handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    expect(message.updates.map((u) => u.text.split(':')[0])).toEqual(['Executed']);
    expect(stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => e.kind)).toEqual([
      'approved',
      'executed',
    ]);
  });

  it('a step still running a second after its approval has the message say it was approved, with the step to run', async () => {
    const go = join(stack.dirs.sandboxDir, 'go-msg-slow');
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a2', 'ops', [
        {
          action: 'shell.exec',
          params: {
            command: 'while [ ! -f go-msg-slow ]; do sleep 0.05; done; echo msg-slow >> effects.log',
          },
        },
      ]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const [message] = stack.notifier.forWorkflow(workflowId);
    await answerAs(handle, approveUpdate, {
      approver: 'U0APPR002',
      stepsHash: message.notification.fields!.stepsHash,
    });
    await stack.notifier.waitFor(() => message.updates.some((u) => u.text.startsWith('Approved by')));
    const approvedEdit = message.updates.find((u) => u.text.startsWith('Approved by'))!;
    expect(approvedEdit.facts?.steps?.[0].status).toBe('to-run');
    expect(approvedEdit.actions).toEqual([]);
    writeFileSync(go, '');
    expect(await handle.result()).toMatchObject({ outcome: 'executed', executedSteps: 1 });
    await stack.notifier.waitFor(() => (message.updates.at(-1)?.text ?? '').startsWith('Executed'));
    expect(message.updates.map((u) => u.text.split(' ')[0])).toEqual(['Approved', 'Executed:']);
    maybeRecordHistory(handle, 'delegatedTask', 'rung2-approved-slow-step');
    // Each piece of evidence once: the approval with the first edit, the outcome with the last.
    expect(stack.outcomes.events.filter((e) => e.workflowId === workflowId).map((e) => e.kind)).toEqual([
      'approved',
      'executed',
    ]);
  });

  it('a suggestion and a draft name who may answer (a draft under the two-person rule) and when they expire', async () => {
    writeFileSync(join(stack.dirs.workspaceRoot, 'draft.json'), `${JSON.stringify({ rps: 1 })}\n`);
    const [suggestion, draft] = await Promise.all([
      submit(stack, taskRequest('a0', 'ops', [appendStep('msg-suggest')])),
      submit(
        stack,
        taskRequest('a1', 'ops', [{ action: 'config.set', params: { file: 'draft.json', set: { rps: 2 } } }]),
      ),
    ]);
    await Promise.all(
      [suggestion, draft].map(({ handle }) => waitForStatus(handle, (s) => s.phase === 'awaiting-human')),
    );
    const first = (workflowId: string) => stack.notifier.forWorkflow(workflowId)[0].notification;
    expect(first(suggestion.workflowId).facts?.answer).toMatchObject({
      mayAnswer: ['U0APPR001', 'U0APPR002'],
      onExpiry: { then: 'reject' },
    });
    expect(first(suggestion.workflowId).facts?.answer?.excluded).toBeUndefined();
    expect(first(draft.workflowId).facts?.answer).toMatchObject({
      mayAnswer: ['U0APPR002'],
      excluded: [{ who: 'U0APPR001', rule: 'two-person-rule' }],
    });
    expect(first(draft.workflowId).facts?.answer?.expiresAt).toMatch(/^\d{4}-.*Z$/);
    // What the task waits on follows the same rule: the requester is not waited on for the draft.
    expect((await draft.handle.describe()).searchAttributes.WaitingOn).toEqual(['U0APPR002']);
    await Promise.all([suggestion.handle.cancel(), draft.handle.cancel()]);
  });

  it('reminders and escalations carry the steps and who is waited on, buttons only for who may answer, and close with the request', async () => {
    const [first, second] = await Promise.all(
      ['one', 'two'].map((word) =>
        submit(stack, taskRequest('a2', 'fast', [appendStep(`msg-remind-${word}`)], { title: 'same title' })),
      ),
    );
    await Promise.all([first.handle.result(), second.handle.result()]);
    const reminders = (workflowId: string) =>
      stack.notifier
        .forWorkflow(workflowId)
        .filter((m) => m.notification.kind === 'approval-reminder')
        .map((m) => m.notification);
    const firstReminders = reminders(first.workflowId);
    // The reminder to the channel and the escalations due before expiry (owner, channel).
    expect(firstReminders.map((n) => n.to)).toEqual(['channel', 'U0OWNER01', 'channel']);
    const request = stack.notifier.forWorkflow(first.workflowId)[0].notification;
    for (const n of firstReminders) {
      // The owner is told, but may not answer: no buttons they could only be refused by.
      expect(n.actions).toEqual(n.to === 'U0OWNER01' ? [] : ['approve', 'reject']);
      // Approve from a reminder binds to the same steps as the request.
      expect(n.fields?.stepsHash).toBe(request.fields?.stepsHash);
      expect(n.facts?.answer?.mayAnswer).toEqual(['U0APPR001', 'U0APPR002']);
      expect(n.facts?.steps?.map((s) => [s.what, s.status])).toEqual([
        ['run `echo msg-remind-one >> effects.log` in the sandbox; no undo declared', 'to-run'],
      ]);
      const shown = rendered(n);
      if (n.to !== 'U0OWNER01') expect(shown).toContain('ladder_approve');
      else expect(shown).not.toContain('ladder_approve');
      expect(shown).toContain('*Who may answer:* <@U0APPR001>, <@U0APPR002>');
    }
    // Expired: every reminder that carried buttons is closed, so no button outlives the request.
    const withButtons = stack.notifier
      .forWorkflow(first.workflowId)
      .filter((m) => m.notification.kind === 'approval-reminder' && m.notification.to !== 'U0OWNER01');
    expect(withButtons).toHaveLength(2);
    for (const m of withButtons) {
      expect(m.updates.at(-1)).toMatchObject({
        text: 'This request is closed: nobody answered in time. The request message says what happened next.',
        actions: [],
      });
    }
    // Two tasks with one title: their reminders still differ, by task id and by steps.
    const secondShown = rendered(reminders(second.workflowId)[0]);
    expect(rendered(firstReminders[0])).toContain(`*task:* ${first.workflowId}`);
    expect(secondShown).toContain(`*task:* ${second.workflowId}`);
    expect(secondShown).toContain('msg-remind-two');
    expect(rendered(firstReminders[0])).not.toBe(secondShown);
    // Expired: the request keeps its step, now not run.
    const closed = stack.notifier.forWorkflow(first.workflowId)[0].updates.at(-1)!;
    expect(closed.text).toMatch(/^Expired/);
    expect(closed.facts?.steps?.map((s) => s.status)).toEqual(['not-run']);
  });

  it('a rung-5 report says what changed (old → new), the health result, the read deadline and the next escalation, and keeps it once read', async () => {
    writeFileSync(join(stack.dirs.workspaceRoot, 'msg.json'), `${JSON.stringify({ rps: 10 }, null, 2)}\n`);
    const startedAt = Date.now();
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a5', 'ops', [{ action: 'config.set', params: { file: 'msg.json', set: { rps: 20 } } }]),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-report-read');
    const message = stack.notifier.forWorkflow(workflowId).find((m) => m.notification.kind === 'report')!;
    const report = message.notification;
    expect(report.text).toBe(
      'Done on my own (rung 5): 1 of 1 step(s) ran. What changed is below; please read it and mark it read.',
    );
    expect(report.facts?.steps).toEqual([
      {
        what: 'set rps in msg.json',
        status: 'ran',
        changes: [{ key: 'rps', from: '10', to: '20' }],
        health: { healthy: true, detail: 'no health URL declared' },
      },
    ]);
    // ops: read SLA 1 h, the owner pinged after 30 min.
    expect(report.facts?.report?.readers).toEqual(['U0OWNER01', 'U0APPR001', 'U0APPR002']);
    expect(isoNear(report.facts?.report?.readBy, startedAt + 3_600_000)).toBe(true);
    expect(report.facts?.report?.nextEscalation?.to).toBe('U0OWNER01');
    expect(isoNear(report.facts?.report?.nextEscalation?.at, startedAt + 1_800_000)).toBe(true);
    const shown = rendered(report);
    expect(shown).toContain('• `rps`: 10 → 20');
    expect(shown).toContain(':large_green_circle: health check passed: no health URL declared');
    expect(shown).toMatch(/\*Read by:\* \S+ \S+ UTC \(readers: <@U0OWNER01>, <@U0APPR001>, <@U0APPR002>\)/);
    expect(shown).toMatch(/\*If unread:\* <@U0OWNER01> is pinged at /);
    // Its text says what ran; the title is the header's alone.
    expect(JSON.stringify(taskMessageBlocks(report).slice(1))).not.toContain('a5 ops test task');

    await answerAs(handle, markReportReadUpdate, { by: 'U0OWNER01' });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', reportRead: true });
    await stack.notifier.waitFor(() => (message.updates.at(-1)?.text ?? '').includes('Report read by'));
    const closed = message.updates.at(-1)!;
    expect(closed.text).toMatch(/^Executed: 1 of 1 step\(s\) ran\. Report read by U0OWNER01 at /);
    expect(closed.facts?.steps?.[0].changes).toEqual([{ key: 'rps', from: '10', to: '20' }]);
  });

  it('an unread report’s escalations carry the report, its button and who comes next', async () => {
    const { handle, workflowId } = await submit(stack, taskRequest('a5', 'fast', [appendStep('msg-unread')]));
    expect(await handle.result()).toMatchObject({ outcome: 'executed', reportRead: false });
    const pings = stack.notifier
      .forWorkflow(workflowId)
      .filter((m) => m.notification.kind === 'report-escalation')
      .map((m) => m.notification);
    expect(pings.map((p) => p.to)).toEqual(['U0OWNER01', 'channel', 'U0ESCAL01']);
    expect(pings.map((p) => p.facts?.report?.nextEscalation?.to)).toEqual([
      'channel',
      'U0ESCAL01',
      undefined,
    ]);
    for (const p of pings) {
      expect(p.actions).toEqual(['mark-read']);
      expect(p.facts?.steps?.[0]).toMatchObject({ status: 'ran', result: 'exit code 0' });
      expect(rendered(p)).toContain('ladder_mark_read');
    }
    expect(rendered(pings[2])).toContain('no escalation is left');
  });

  it('a rolled-back rung-4 task tells each step’s health result and what was compensated', async () => {
    const file = join(stack.dirs.workspaceRoot, 'msg-demo.json');
    writeFileSync(file, JSON.stringify({ rateLimitRps: 10 }));
    service = await startDemoService(file);
    const policy = structuredClone(stack.policy.current);
    policy.taskClasses.ops.bounds!.hosts = [new URL(service.url).host];
    stack.policy.current = policy;
    const { handle, workflowId } = await submit(
      stack,
      taskRequest('a4', 'ops', [
        appendStep('msg-before', 'echo msg-undone >> effects.log'),
        {
          action: 'config.set',
          params: {
            file: 'msg-demo.json',
            set: { rateLimitRps: 0 },
            reloadUrl: `${service.url}/reload`,
            healthUrl: `${service.url}/health`,
          },
        },
      ]),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'rolled-back', executedSteps: 2 });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ rateLimitRps: 10 });
    const [rollback] = stack.notifier.forWorkflow(workflowId).map((m) => m.notification);
    expect(rollback.kind).toBe('rollback');
    const [shell, config] = rollback.facts!.steps!;
    expect(shell).toMatchObject({
      status: 'ran',
      result: 'exit code 0',
      compensation: { undone: true },
      health: { healthy: true },
    });
    expect(config).toMatchObject({
      status: 'ran',
      changes: [{ key: 'rateLimitRps', from: '10', to: '0' }],
      health: { healthy: false, detail: expect.stringMatching(/GET .*\/health → 503/) },
      compensation: { undone: true },
    });
    const shown = rendered(rollback);
    expect(shown).toContain(':red_circle: health check failed');
    expect(shown).toContain(':leftwards_arrow_with_hook: compensated (undone)');
  });
});
