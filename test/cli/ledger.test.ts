import { resolve } from 'node:path';
import { loadPolicyFile } from '../../policy/loader';
import { ledgerQuery, ledgerWorkflowId } from '../../workflows/messages';
import type { LedgerState } from '../../policy/ledger';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { runLadder, type CliRun } from '../helpers/cli';

// `ladder status <agent>|history|incident|defect|promote` as a user runs them: the built CLI in its
// own process, against a worker whose tasks feed the trust ledger.
const POLICY = resolve(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml');

describe('ladder ledger commands', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('cli-ledger', { policy: loadPolicyFile(POLICY).policy, ledger: true });
  });
  afterAll(async () => stack?.stop());

  function ladder(...args: string[]): Promise<CliRun> {
    return runLadder(
      { TEMPORAL_ADDRESS: stack.address, LADDER_TASK_QUEUE: stack.taskQueue, LADDER_POLICY_PATH: POLICY },
      ...args,
    );
  }
  const readLedger = (agent: string): Promise<LedgerState> =>
    stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, agent)).query(ledgerQuery);

  it('shows each class’s rung and what evidence the next rung still needs, including thresholds the policy lacks', async () => {
    const { handle } = await submit(stack, taskRequest('steady', 'ops', [appendStep('s1')]));
    await handle.result();
    const status = await ladder('status', 'steady');
    expect(status.code).toBe(0);
    expect(status.out).toContain('steady: owner U0OWNER01, model m, prompt p');
    expect(status.out).toContain('  ops: rung 3 (bounded)');
    expect(status.out).toMatch(/for rung 4, still missing:\n(.*\n)*\s+✗ samples: 1 samples, needs 40/);
    expect(status.out).toContain('✗ infrastructure: rung 4 needs a passed rollback drill');

    const top = await ladder('status', 'reporter');
    // reporter is declared at 5 and has no evidence yet.
    expect(top.out).toContain('no evidence yet');
    expect(top.out).toContain('at the top of the ladder');

    // Without thresholds into rung 5 nobody can be promoted there, and status says why.
    const fourth = await ladder('status', 'fourth');
    expect(fourth.out).toContain('✗ thresholds: policy test-ledger+');
    expect(fourth.out).toContain(
      'sets no thresholds for promotion into rung 5: promotion is impossible until it does',
    );
    const all = await ladder('status');
    expect(all.code).toBe(0);
    expect(all.out).toContain('climber:');
    expect(all.out).toContain('switcher:');
  });

  it('declares an incident and reports a defect only for people with standing, and shows both in history', async () => {
    // U0NOBODY1 holds an operator key (the policy names them in a group) but no standing here.
    const refused = await ladder('incident', 'switcher', 'ops', '--as', 'U0NOBODY1', '--reason', 'x');
    expect(refused.code).toBe(1);
    expect(refused.err.trim()).toBe(
      "Refused: U0NOBODY1 may not declare incidents for switcher in ops (admins, the class's approvers and the agent's owner may)",
    );
    const declared = await ladder(
      'incident',
      'switcher',
      'ops',
      '--as',
      'U0ADMIN01',
      '--reason',
      'paged at 3am',
    );
    expect(declared).toMatchObject({
      code: 0,
      out: 'Incident recorded: switcher goes back to rung 2 in ops.\n',
    });

    const { handle, workflowId } = await submit(stack, taskRequest('climber', 'ops', [appendStep('c1')]));
    await waitForStatus(handle, (s) => s.waitingOn !== null);
    const approved = await ladder('respond', workflowId, 'approve', '--as', 'U0APPR002');
    expect(approved.code).toBe(0);
    await handle.result();
    const defect = await ladder('defect', workflowId, 'wrong file', '--as', 'U0APPR001');
    expect(defect).toMatchObject({
      code: 0,
      out: `Defect recorded against climber in ops; see \`ladder history climber\`.\n`,
    });
    const badId = await ladder('defect', 'not-a-task', 'x', '--as', 'U0ADMIN01');
    expect(badId.err.trim()).toBe('Refused: "not-a-task" is not a task workflow id (task/<agent>/<taskId>)');

    // climber was at 2, the incident rung: a defect counts but cannot lower it further.
    const climber = await readLedger('climber');
    expect(climber.classes.ops.lifetime.defects).toBe(1);

    for (;;) {
      const s = await readLedger('switcher').catch(() => undefined);
      if (s?.classes.ops?.rung === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const history = await ladder('history', 'switcher');
    expect(history.out).toMatch(
      /switcher: 1 rung change\(s\)\n .* ops: 3 → 2 by U0ADMIN01\n {4}cause: a wrong action with a real consequence \(incident\)/,
    );
    expect((await ladder('history', 'ghost')).err.trim()).toBe(
      'unknown agent "ghost" (declared: climber, hasty, steady, reporter, switcher, fourth)',
    );
  });

  it('refuses a promotion decision that names no open proposal', async () => {
    const r = await ladder('promote', 'steady', 'p9', 'approve', '--as', 'U0ADMIN01');
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe('Refused: no proposal p9 for steady');
    expect((await ladder('promote', 'steady', 'p9', 'maybe', '--as', 'U0ADMIN01')).err.trim()).toBe(
      'unknown answer "maybe": expected approve or decline',
    );
  });

  it('runs a rollback drill and shows it in status', async () => {
    const refused = await ladder('drill', 'hasty', 'ops', '--as', 'U0NOBODY1');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('Refused: U0NOBODY1 may not run drills for hasty in ops');
    const drill = await ladder('drill', 'hasty', 'ops', '--as', 'U0APPR001');
    expect(drill).toMatchObject({ code: 0 });
    expect(drill.out).toBe(
      'Rollback drill for hasty in ops: PASSED\n  ✓ shell.exec: executed, compensated, and the state from before is back\n',
    );
    for (;;) {
      const s = await readLedger('hasty').catch(() => undefined);
      if (s?.classes.ops?.drill) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await ladder('status', 'hasty')).out).toMatch(
      /last rollback drill: passed \S+ \(shell\.exec: passed\)/,
    );
  });
});
