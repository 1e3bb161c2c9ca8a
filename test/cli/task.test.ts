import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { appendStep, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

// `ladder submit|status|respond|cancel` as a user runs them: the built CLI in its own process,
// against the run's dev server and a real worker polling the task queue it is configured with.
const BIN = resolve(__dirname, '..', '..', 'dist', 'cli', 'main.js');
const POLICY = resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml');
const BROKEN_POLICY = resolve(__dirname, '..', 'fixtures', 'policies', 'ten-mistakes.yaml');
const KEYS = resolve(__dirname, '..', '..', '.temporal', 'keys');

describe('ladder task commands', () => {
  let stack: TestStack;
  let dir: string;

  beforeAll(async () => {
    stack = await startTestStack('cli', { policy: workflowTestPolicy() });
    dir = mkdtempSync(join(tmpdir(), 'ladder-cli-task-'));
  });
  afterAll(async () => {
    await stack?.stop();
  });

  function ladder(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return ladderWith({}, ...args);
  }
  function ladderWith(
    env: Record<string, string>,
    ...args: string[]
  ): Promise<{ code: number; out: string; err: string }> {
    return new Promise((resolveRun) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: stack.address,
          LADDER_TASK_QUEUE: stack.taskQueue,
          LADDER_POLICY_PATH: POLICY,
          TEMPORAL_UI_URL: 'http://ui.test',
          ...env,
        },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => resolveRun({ code: code ?? -1, out, err }));
    });
  }

  const step = (command: string) => ({ action: 'shell.exec', params: { command } });

  function taskFile(raw: unknown): string {
    const file = join(dir, `${(raw as { taskId: string }).taskId}.json`);
    writeFileSync(file, JSON.stringify(raw));
    return file;
  }

  it('submits, shows status, refuses an unauthorised answer, accepts an authorised one', async () => {
    const raw = taskRequest('a2', 'ops', [appendStep('cli-approved')]);
    const workflowId = `task/a2/${raw.taskId}`;
    const submitted = await ladder('submit', taskFile(raw));
    expect(submitted.code).toBe(0);
    expect(submitted.out).toContain(`Submitted: ${workflowId}`);
    expect(submitted.out).toContain(
      `Temporal UI: http://ui.test/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
    );
    expect(submitted.out).toContain('effective rung:     2 (confirm)');

    const handle = stack.client.workflow.getHandle(workflowId);
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const status = await ladder('status', workflowId);
    expect(status.out).toContain(`${workflowId}: awaiting-human, rung 2`);
    expect(status.out).toContain('waiting on approvers: U0APPR001, U0APPR002');

    const self = await ladder('respond', workflowId, 'approve', '--as', 'U0APPR001');
    expect(self).toMatchObject({ code: 1 });
    expect(self.err.trim()).toBe(
      'Refused: two-person rule: U0APPR001 requested this task and cannot approve it',
    );

    const ok = await ladder('respond', workflowId, 'approve', '--as', 'U0APPR002');
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/^Accepted: approve by U0APPR002 at /);
    expect(await handle.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
  });

  it('waits for the outcome with --wait', async () => {
    const raw = taskRequest('a3', 'ops', [appendStep('cli-wait')]);
    const r = await ladder('submit', taskFile(raw), '--wait');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Outcome: executed at rung 3; 1 step(s) executed');
  });

  it('exits 6 with --wait when the task failed, 3 when it was rolled back, 4 when it was rejected', async () => {
    const failed = await ladder('submit', taskFile(taskRequest('a3', 'ops', [step('exit 7')])), '--wait');
    expect(failed.out).toContain('Outcome: failed at rung 3');
    expect(failed.code).toBe(6);

    // The failing step started, so it is undone too: it declares an undo (one with nothing to reverse).
    const undone = taskRequest('a4', 'ops', [
      appendStep('cli-undone', 'true'),
      { action: 'shell.exec', params: { command: 'exit 7', undo: 'true' } },
    ]);
    const rolledBack = await ladder('submit', taskFile(undone), '--wait');
    expect(rolledBack.out).toContain('Outcome: rolled-back at rung 4');
    expect(rolledBack.code).toBe(3);

    const raw = taskRequest('a2', 'ops', [appendStep('cli-rejected')]);
    const waiting = ladder('submit', taskFile(raw), '--wait');
    const handle = stack.client.workflow.getHandle(`task/a2/${raw.taskId}`);
    await waitUntil(() =>
      handle.describe().then(
        () => true,
        () => false,
      ),
    );
    await waitForStatus(handle, (s) => s.phase === 'awaiting-human');
    const answered = await ladder(
      'respond',
      handle.workflowId,
      'reject',
      '--as',
      'U0APPR002',
      '--reason',
      'not now',
    );
    expect(answered).toMatchObject({ code: 0, err: '' });
    const rejected = await waiting;
    expect(rejected.out).toContain('Outcome: rejected at rung 2');
    // With what it said on stderr, so a wrong code shows why.
    expect({ code: rejected.code, err: rejected.err }).toEqual({ code: 4, err: '' });
  });

  it('cancels a waiting task', async () => {
    const raw = taskRequest('a2', 'ops', [appendStep('cli-cancelled')]);
    await ladder('submit', taskFile(raw));
    const workflowId = `task/a2/${raw.taskId}`;
    const r = await ladder('cancel', workflowId);
    expect(r).toMatchObject({ code: 0, out: `Cancellation requested for ${workflowId}.\n` });
    expect((await stack.client.workflow.getHandle(workflowId).result()).outcome).toBe('cancelled');
  });

  it('refuses an invalid task file naming every error, starting nothing', async () => {
    const raw = {
      ...taskRequest('a2', 'ops', [{ action: 'shell.exec', params: { command: '' } }]),
      environment: 'Nope!',
    };
    const r = await ladder('submit', taskFile(raw));
    expect(r.code).toBe(1);
    expect(r.err).toContain('invalid task request:');
    expect(r.err).toContain('environment: expected an environment name such as staging');
  });

  it('engages, shows and releases the kill switch; refuses a non-admin', async () => {
    const refused = await ladder('freeze', '--as', 'U0APPR001', '--reason', 'test');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^Refused: U0APPR001 is not an admin/);
    const badCap = await ladder('freeze', '--as', 'U0ADMIN01', '--reason', 'test', '--cap', 'none');
    expect(badCap).toMatchObject({ code: 1, err: '--cap: expected a rung from 0 to 5, got "none"\n' });

    const engaged = await ladder(
      'freeze',
      'a5',
      '--as',
      'U0ADMIN01',
      '--reason',
      'audit in progress',
      '--cap',
      '2',
    );
    expect(engaged).toMatchObject({ code: 0, out: 'Kill switch engaged: agent a5 capped at rung 2.\n' });
    const shown = await ladder('kill-switch');
    expect(shown.out).toMatch(
      /^every agent: not frozen\na5: capped at rung 2 by U0ADMIN01 at .*: audit in progress\n$/,
    );

    // Status says so too: at the top, and beside each class whose tasks it holds down.
    const status = await ladder('status', 'a5');
    expect(status.out).toMatch(
      /^Kill switch: ENGAGED\n {2}a5: capped at rung 2 by U0ADMIN01 at .*: audit in progress\n/,
    );
    expect(status.out).toMatch(
      / {2}ops: rung 5 \(report\)( \(declared\))?; tasks now run at most at rung 2 \(confirm\) \(frozen at 2\)/,
    );

    const released = await ladder('unfreeze', 'a5', '--as', 'U0ADMIN01');
    expect(released.out).toBe('Kill switch released for agent a5.\n');
    expect((await ladder('kill-switch')).out).toBe('every agent: not frozen\n');
    expect((await ladder('status', 'a5')).out).toMatch(/^Kill switch: not engaged\n/);
  });

  it('flips the kill switch while the live policy file is invalid', async () => {
    // The operator's moment of need: the policy file was just broken. Neither the CLI nor the kill
    // switch reads it; the worker's last good policy supplies the admins and keys.
    const env = { LADDER_POLICY_PATH: BROKEN_POLICY };
    const engaged = await ladderWith(env, 'freeze', '--as', 'U0ADMIN01', '--reason', 'policy broken');
    expect(engaged).toMatchObject({ code: 0, out: 'Kill switch engaged: every agent capped at rung 0.\n' });
    const released = await ladderWith(env, 'unfreeze', '--as', 'U0ADMIN01');
    expect(released).toMatchObject({ code: 0, out: 'Kill switch released for every agent.\n' });
  });

  it("refuses an answer signed with someone else's key, and says where a missing key should be", async () => {
    const raw = taskRequest('a2', 'ops', [appendStep('cli-borrowed')]);
    const workflowId = `task/a2/${raw.taskId}`;
    expect((await ladder('submit', taskFile(raw))).code).toBe(0);
    await waitForStatus(stack.client.workflow.getHandle(workflowId), (s) => s.phase === 'awaiting-human');
    const borrowed = await ladder(
      'respond',
      workflowId,
      'approve',
      '--as',
      'U0APPR002',
      '--key',
      join(KEYS, 'operators', 'U0APPR001.key.json'),
    );
    expect(borrowed).toMatchObject({ code: 1 });
    expect(borrowed.err).toContain("is U0APPR001's key; it cannot answer as U0APPR002");
    const nobody = await ladder('respond', workflowId, 'approve', '--as', 'U0NOKEY01');
    expect(nobody).toMatchObject({ code: 1 });
    expect(nobody.err).toMatch(/^no answer key for U0NOKEY01 at .*operators\/U0NOKEY01\.key\.json/);
    await stack.client.workflow.getHandle(workflowId).cancel();
  });

  it('says clearly when Temporal cannot be reached', async () => {
    const child = await new Promise<{ code: number; err: string }>((resolveRun) => {
      const p = spawn(process.execPath, [BIN, 'status', 'task/x/y'], {
        env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', LADDER_POLICY_PATH: POLICY },
      });
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      p.on('close', (code) => resolveRun({ code: code ?? -1, err }));
    });
    expect(child.code).toBe(1);
    expect(child.err).toMatch(
      /^cannot reach Temporal at 127\.0\.0\.1:1: .*Is Ladder running \(scripts\/start\.sh\)\?/,
    );
  });
});
