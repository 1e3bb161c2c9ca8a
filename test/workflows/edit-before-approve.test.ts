import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicyFile } from '../../policy/loader';
import { stepsHashOf } from '../../policy/step-edits';
import { stepsHash } from '../../client/submit-task';
import { approveUpdate, editStepsUpdate } from '../../workflows/messages';
import { answerAs, reasonOf } from '../helpers/answers';
import { localActivityTypes, maybeRecordHistory } from '../helpers/histories';
import { submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';

// Edit before approve, narrowing only, against the real dev server and worker: the class's
// `edits` say which params an approver may change and how; a widening or any other change is
// refused by the validator; a narrowing is decided again, asked about again bound to the new
// steps hash (the old hash no longer approves), and the agent reads who changed what.

describe('edit before approve (real dev server)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('edit', {
      policy: loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'standing.yaml')).policy,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('refuses a widening or another change, and asks again about a narrowing bound to its new hash', async () => {
    const step = {
      action: 'shell.exec',
      params: { command: 'echo edited >> effects.log', timeoutMs: 60_000, cwd: 'jobs' },
    };
    mkdirSync(join(stack.dirs.sandboxDir, 'jobs', 'nightly'), { recursive: true });
    const task = await submit(stack, taskRequest('a2', 'plain', [step]));
    await waitForStatus(task.handle, (s) => s.phase === 'awaiting-human');
    const first = stack.notifier.forWorkflow(task.workflowId)[0];
    const hash = first.notification.fields!.stepsHash;
    expect(hash).toBe(stepsHash([step]));
    const edit = (approver: string, params: Record<string, unknown>, from = hash) =>
      reasonOf(
        answerAs(task.handle, editStepsUpdate, {
          approver,
          stepsHash: from,
          steps: [{ ...step, params: { ...step.params, ...params } }],
        }),
      );

    expect(await edit('U0APPR002', { timeoutMs: 120_000 })).toBe(
      'edit refused: steps.0.params.timeoutMs: 120000 is not lower than 60000 (only lower is allowed: widening is refused)',
    );
    expect(await edit('U0APPR002', { cwd: 'elsewhere' })).toMatch(/elsewhere is not inside jobs/);
    expect(await edit('U0APPR002', { cwd: 'jobs/../..' })).toMatch(/without \. or \.\./);
    expect(await edit('U0APPR002', { command: 'rm -rf /' })).toBe(
      'edit refused: steps.0.params: only timeoutMs, cwd may be changed for shell.exec',
    );
    expect(await edit('U0OWNER01', { timeoutMs: 30_000 })).toMatch(/U0OWNER01 is not an approver/);

    // A narrowing: accepted, decided again, asked again with the new hash.
    expect(await edit('U0APPR002', { timeoutMs: 30_000, cwd: 'jobs/nightly' })).toBe('accepted');
    const edited = [{ ...step, params: { ...step.params, timeoutMs: 30_000, cwd: 'jobs/nightly' } }];
    const newHash = stepsHashOf(edited);
    expect(newHash).toBe(stepsHash(edited)); // the workflow's hash is the client's
    await stack.notifier.waitFor(() =>
      stack.notifier.forWorkflow(task.workflowId).some((m) => m.key.endsWith('/approval-request-edit-1')),
    );
    expect(first.updates.at(-1)?.text).toMatch(
      /^Edited by U0APPR002 at .* before approval: step 1 timeoutMs: 60000 → 30000; step 1 cwd: "jobs" → "jobs\/nightly"\. The edited steps are asked about again below\.$/,
    );
    expect(first.updates.at(-1)?.actions).toEqual([]);
    const again = stack.notifier
      .forWorkflow(task.workflowId)
      .find((m) => m.key.endsWith('/approval-request-edit-1'))!;
    expect(again.notification.fields?.stepsHash).toBe(newHash);
    // The agent retrying its submission as it sent it is answered, not refused for steps an approver narrowed.
    await expect(
      submit(stack, taskRequest('a2', 'plain', [step], { taskId: task.task.taskId })),
    ).resolves.toMatchObject({
      existing: true,
    });

    // The old version no longer approves; the edited one does, and runs as edited.
    expect(
      await reasonOf(answerAs(task.handle, approveUpdate, { approver: 'U0APPR002', stepsHash: hash })),
    ).toMatch(/different version of the steps/);
    expect(
      await reasonOf(answerAs(task.handle, approveUpdate, { approver: 'U0APPR001', stepsHash: newHash })),
    ).toBe('accepted');
    const result = await task.handle.result();
    expect(result).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR001' });
    // It ran where the edit said.
    expect(existsSync(join(stack.dirs.sandboxDir, 'jobs', 'nightly', 'effects.log'))).toBe(true);
    expect(existsSync(join(stack.dirs.sandboxDir, 'jobs', 'effects.log'))).toBe(false);
    // The agent reads who changed what, and what the approval bound to.
    expect(result.edits).toEqual([
      {
        by: 'U0APPR002',
        at: expect.any(String),
        stepsHash: newHash,
        edits: [
          { step: 0, path: 'timeoutMs', from: 60_000, to: 30_000, rule: 'lower' },
          { step: 0, path: 'cwd', from: 'jobs', to: 'jobs/nightly', rule: 'subpath' },
        ],
      },
    ]);
    maybeRecordHistory(task.handle, 'delegatedTask', 'rung2-edited-then-approved');
    // Described with the decision at first; the edited steps by a look-up of their own.
    expect((await localActivityTypes(task.handle)).filter((t) => t === 'describeSteps')).toHaveLength(1);
  });
});
