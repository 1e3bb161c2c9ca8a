import { join } from 'node:path';
import { dayFields, epochDay } from '../../policy/ledger-series';
import { loadPolicyFile } from '../../policy/loader';
import {
  approveUpdate,
  ledgerOverviewQuery,
  ledgerQuery,
  ledgerSeriesQuery,
  ledgerViewQuery,
  ledgerWorkflowId,
} from '../../workflows/messages';
import { answerAs } from '../helpers/answers';
import { appendStep, submit, taskRequest, waitForStatus } from '../helpers/tasks';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';

const policy = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml')).policy;

// The ledger's bounded daily series on the real dev server: what the dashboard charts, kept beside
// the state, answered by its own query, and never in the view a decision reads.
describe("the trust ledger's daily series", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack('ledger-series', { policy, ledger: true });
  });
  afterAll(async () => stack?.stop());

  it("counts today's approvals and autonomous executions per class, outside the decision's view", async () => {
    const approved = (await submit(stack, taskRequest('climber', 'ops', [appendStep('c1')]))).handle;
    const s = await waitForStatus(approved, (st) => st.waitingOn !== null);
    await answerAs(approved, approveUpdate, { approver: 'U0APPR002', stepsHash: s.stepsHash });
    await approved.result();
    const autonomous = await Promise.all(
      ['s1', 's2'].map(
        async (w) => (await submit(stack, taskRequest('steady', 'ops', [appendStep(w)]))).handle,
      ),
    );
    for (const h of autonomous) expect((await h.result()).outcome).toBe('executed');

    const handle = (agent: string) =>
      stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, agent));
    const today = epochDay(Date.now());
    await waitUntil(async () => {
      const series = await handle('climber')
        .query(ledgerSeriesQuery)
        .catch(() => null);
      return series?.ops?.length === 1 && dayFields(series.ops[0]).counts.approved === 1;
    });
    const climber = dayFields((await handle('climber').query(ledgerSeriesQuery)).ops[0]);
    expect(climber).toMatchObject({ day: today, rung: 2, autonomous: 0 });
    expect(climber.counts).toMatchObject({ decided: 1, approved: 1, executed: 1, interventions: 0 });

    await waitUntil(async () => {
      const series = await handle('steady')
        .query(ledgerSeriesQuery)
        .catch(() => null);
      return series?.ops !== undefined && dayFields(series.ops[0]).autonomous === 2;
    });
    expect(dayFields((await handle('steady').query(ledgerSeriesQuery)).ops[0])).toMatchObject({
      rung: 3,
      autonomous: 2,
    });

    // The decision path's view stays as small as it was; the overview drops the seen ids.
    const view = await handle('steady').query(ledgerViewQuery);
    expect(Object.keys(view).sort()).toEqual(['agentId', 'changes', 'model', 'promptVersion', 'rungs']);
    expect((await handle('steady').query(ledgerQuery)).seen.length).toBeGreaterThan(0);
    const overview = await handle('steady').query(ledgerOverviewQuery);
    expect(overview.seen).toEqual([]);
    expect(overview.classes.ops.rung).toBe(3);
  });
});
