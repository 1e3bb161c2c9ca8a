import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../cli/audit-record';
import { approveUpdate, rejectUpdate, type TaskResult } from '../../workflows/messages';
import { frontendSigner, operatorSignerOf } from '../helpers/answers';
import { LADDER_BIN, runLadder } from '../helpers/cli';
import { appendStep, submit, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

// `ladder audit export` as an auditor runs it: the built CLI in its own process, reading the
// records of tasks a real worker ran on the run's dev server.

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('ladder audit export', () => {
  let stack: TestStack;
  let env: Record<string, string>;
  const ids = { executed: '', approved: '', rejected: '', cancelled: '', open: '' };
  const results: Record<string, TaskResult> = {};
  const proofs: Record<string, { keyId: string; signedAt: string; signature: string }> = {};
  const hashes: Record<string, string> = {};

  beforeAll(async () => {
    if (!existsSync(LADDER_BIN)) throw new Error(`${LADDER_BIN} is missing: run \`npm run build\` first`);
    const policy = workflowTestPolicy();
    stack = await startTestStack('audit', { policy });
    env = { TEMPORAL_ADDRESS: stack.address, LADDER_TASK_QUEUE: stack.taskQueue };

    // Rung 3: runs on its own.
    const executed = await submit(stack, taskRequest('a3', 'ops', [appendStep('audit-executed')]));
    ids.executed = executed.workflowId;
    results.executed = await executed.handle.result();

    // Rung 2, approved through the Slack app's key; rung 2, rejected with an operator's own key.
    for (const [name, signer, update, args] of [
      [
        'approved',
        frontendSigner(),
        approveUpdate,
        (hash: string) => ({ approver: 'U0APPR002', stepsHash: hash }),
      ],
      [
        'rejected',
        operatorSignerOf('U0APPR001'),
        rejectUpdate,
        () => ({ approver: 'U0APPR001', reason: 'not in this window' }),
      ],
    ] as const) {
      const s = await submit(stack, taskRequest('a2', 'ops', [appendStep(`audit-${name}`)]));
      ids[name] = s.workflowId;
      const status = await waitForStatus(s.handle, (st) => st.phase === 'awaiting-human');
      hashes[name] = status.stepsHash;
      const signed = signer.sign(s.workflowId, update.name, args(status.stepsHash));
      proofs[name] = signed.proof;
      await s.handle.executeUpdate(update as typeof approveUpdate, { args: [signed as never] });
      results[name] = await s.handle.result();
    }

    // Cancelled while it waited for an approver.
    const cancelled = await submit(stack, taskRequest('a2', 'ops', [appendStep('audit-cancelled')]));
    ids.cancelled = cancelled.workflowId;
    await waitForStatus(cancelled.handle, (st) => st.phase === 'awaiting-human');
    await cancelled.handle.cancel();
    results.cancelled = await cancelled.handle.result();

    // Still waiting for an approver when the export runs.
    const open = await submit(stack, taskRequest('a2', 'ops', [appendStep('audit-open')]));
    ids.open = open.workflowId;
    await waitForStatus(open.handle, (st) => st.phase === 'awaiting-human');

    // Visibility is written after the fact: wait until it lists all four.
    await waitUntil(async () => {
      const { count } = await stack.client.workflow.count(`TaskQueue = '${stack.taskQueue}'`);
      return count >= 5;
    });
  }, 180_000);

  afterAll(async () => {
    if (ids.open)
      await stack?.client.workflow
        .getHandle(ids.open)
        .cancel()
        .catch(() => undefined);
    await stack?.stop();
  });

  function parse(out: string): AuditRecord[] {
    return out
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as AuditRecord);
  }

  function shownFor(workflowId: string) {
    const posted = stack.notifier.posted.find((p) => p.key === `${workflowId}/approval-request`)!;
    return {
      kind: 'approval-request',
      postedAt: expect.stringMatching(ISO),
      channel: '#ops',
      to: null,
      title: posted.notification.title,
      text: posted.notification.text,
      fields: posted.notification.fields,
      actions: ['approve', 'reject'],
      messageRef: posted.ref,
    };
  }

  const decision = (agentId: string, rung: number) => ({
    decidedAt: expect.stringMatching(ISO),
    policyVersion: stack.policy.current.versionId,
    agentId,
    taskClass: 'ops',
    earnedRung: rung,
    requestedRung: null,
    effectiveRung: rung,
    refused: null,
    reasons: [],
    bounds: { applied: rung >= 3, violations: [] },
    approvers: ['U0APPR001', 'U0APPR002'],
    twoPersonRule: true,
    typedConfirmation: null,
  });

  const outcomeOf = (r: TaskResult) => ({
    outcome: r.outcome,
    rung: r.rung,
    approvedBy: r.approvedBy,
    approvedAt: r.approvedAt,
    executedSteps: r.executedSteps,
    reportRead: r.reportRead,
    events: r.events,
    error: r.error,
  });

  it('writes one ladder.audit/v1 record per task: decision, signed answers, what was shown, outcome', async () => {
    const run = await runLadder(env, 'audit', 'export', '--since', '1h', '--task-queue', stack.taskQueue);
    expect(run.err).toMatch(/^Exported 5 task record\(s\) \(1 still open\) started from .* to .*\.\n$/);
    expect(run.code).toBe(0);
    const records = parse(run.out);
    expect(records.map((r) => r.workflowId).sort()).toEqual(Object.values(ids).sort());
    const byId = new Map(records.map((r) => [r.workflowId, r]));

    const common = (workflowId: string) => ({
      schema: 'ladder.audit/v1',
      workflowId,
      runId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      taskQueue: stack.taskQueue,
      startedAt: expect.stringMatching(ISO),
      task: expect.objectContaining({ taskId: workflowId.split('/')[2], requester: 'U0APPR001' }),
      stepsHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      cancelRequested: null,
      failure: null,
    });

    expect(byId.get(ids.executed)).toEqual({
      ...common(ids.executed),
      status: 'completed',
      closedAt: expect.stringMatching(ISO),
      decision: decision('a3', 3),
      rung: 3,
      answers: [],
      outcome: { ...outcomeOf(results.executed), outcome: 'executed', executedSteps: 1, approvedBy: null },
    });

    const approved = byId.get(ids.approved)!;
    expect(approved).toEqual({
      ...common(ids.approved),
      status: 'completed',
      closedAt: expect.stringMatching(ISO),
      decision: decision('a2', 2),
      rung: 2,
      answers: [
        {
          update: 'approve',
          answer: 'approve',
          by: 'U0APPR002',
          at: results.approved.approvedAt,
          acceptedAt: expect.stringMatching(ISO),
          result: 'accepted',
          refusal: null,
          args: { approver: 'U0APPR002', stepsHash: approved.stepsHash },
          proof: {
            ...proofs.approved,
            keyId: 'frontend',
            keyKind: 'frontend',
            verified: true,
            problem: null,
          },
          sentBy: expect.any(String),
          shown: shownFor(ids.approved),
        },
      ],
      outcome: { ...outcomeOf(results.approved), outcome: 'executed', approvedBy: 'U0APPR002' },
    });
    expect(approved.stepsHash).toBe(hashes.approved);
    expect(byId.get(ids.rejected)!.stepsHash).toBe(hashes.rejected);
    // The message answered showed the steps and the hash the approval is bound to.
    expect(approved.answers[0].shown!.fields.stepsHash).toBe(approved.stepsHash);
    expect(approved.answers[0].shown!.text).toContain('audit-approved');

    const rejected = byId.get(ids.rejected)!;
    expect(rejected).toEqual({
      ...common(ids.rejected),
      status: 'completed',
      closedAt: expect.stringMatching(ISO),
      decision: decision('a2', 2),
      rung: 2,
      answers: [
        {
          update: 'reject',
          answer: 'reject',
          by: 'U0APPR001',
          at: expect.stringMatching(ISO),
          acceptedAt: expect.stringMatching(ISO),
          result: 'accepted',
          refusal: null,
          args: { approver: 'U0APPR001', reason: 'not in this window' },
          proof: {
            ...proofs.rejected,
            keyId: 'operator-U0APPR001',
            keyKind: 'operator',
            verified: true,
            problem: null,
          },
          sentBy: expect.any(String),
          shown: shownFor(ids.rejected),
        },
      ],
      outcome: { ...outcomeOf(results.rejected), outcome: 'rejected', executedSteps: 0, approvedBy: null },
    });

    expect(byId.get(ids.cancelled)).toEqual({
      ...common(ids.cancelled),
      status: 'completed',
      closedAt: expect.stringMatching(ISO),
      decision: decision('a2', 2),
      rung: 2,
      answers: [],
      cancelRequested: { at: expect.stringMatching(ISO), sentBy: expect.stringMatching(/\S/), cause: null },
      outcome: { ...outcomeOf(results.cancelled), outcome: 'cancelled', executedSteps: 0 },
    });

    expect(byId.get(ids.open)).toEqual({
      ...common(ids.open),
      status: 'running',
      closedAt: null,
      decision: decision('a2', 2),
      rung: 2,
      answers: [],
      outcome: null,
    });
  });

  it('writes the same records to --out, readable by its owner only, across every task queue', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ladder-audit-')), 'audit.jsonl');
    const run = await runLadder(env, 'audit', 'export', '--since', '1h', '--out', file);
    expect(run.code).toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toContain(`to ${file}.`);
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const mine = parse(readFileSync(file, 'utf8')).filter((r) => Object.values(ids).includes(r.workflowId));
    expect(mine.map((r) => r.workflowId).sort()).toEqual(Object.values(ids).sort());
    expect(mine.every((r) => r.schema === 'ladder.audit/v1')).toBe(true);
    expect(mine.find((r) => r.workflowId === ids.approved)!.answers[0].proof).toMatchObject({
      keyId: 'frontend',
      verified: true,
    });
  });

  it('refuses an --out it cannot write, naming it, and writes nothing', async () => {
    const file = join(tmpdir(), `no-such-folder-${process.pid}`, 'audit.jsonl');
    const run = await runLadder(env, 'audit', 'export', '--since', '1h', '--out', file);
    expect(run.code).toBe(1);
    expect(run.err.trim()).toBe(`--out: cannot write ${file}.partial (ENOENT)`);
    expect(run.out).toBe('');
  });

  it('leaves out tasks started outside --since/--until', async () => {
    const run = await runLadder(
      env,
      'audit',
      'export',
      '--since',
      '2w',
      '--until',
      '1w',
      '--task-queue',
      stack.taskQueue,
    );
    expect(run.code).toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^Exported 0 task record\(s\) \(0 still open\)/);
  });

  it.each([
    [['--since', 'yesterday'], /option '--since <when>' argument 'yesterday' is invalid\. expected a date/],
    [
      ['--since', '2025-01-31T09:00'],
      /option '--since <when>' argument '2025-01-31T09:00' is invalid\. a date-time needs its zone/,
    ],
    [['--since', '1d', '--until', 'soon'], /option '--until <when>' argument 'soon' is invalid/],
    [['--since', '1d', '--until', '2d'], /--until \(.*\) must be later than --since/],
    [[], /required option '--since <when>' not specified/],
    [['--since', '1d', '--task-queue', "x' OR 1=1"], /--task-queue: expected letters, digits/],
  ])('exits 2 with a message naming the option for %j', async (args, message) => {
    const run = await runLadder(env, 'audit', 'export', ...args);
    expect(run.code).toBe(2);
    expect(run.err).toMatch(message);
    expect(run.out).toBe('');
  });
});
