import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createLedgerLink, type LedgerLink } from '../../client/ledger-link';
import { createLadderMetrics, type LadderMetrics } from '../../observability/ladder-metrics';
import { startMetricsServer, type MetricsServer } from '../../observability/metrics-server';
import type { LedgerEvent, LedgerState } from '../../policy/ledger';
import { loadPolicyFile } from '../../policy/loader';
import { decideProposalUpdate, ledgerWorkflowId } from '../../workflows/messages';
import { answerAs } from '../helpers/answers';
import { scrape, type Family } from '../helpers/prometheus-text';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { waitPastCleanPeriod, waitUntil } from '../helpers/wait';

const policy = loadPolicyFile(join(__dirname, '..', 'fixtures', 'policies', 'ledger.yaml')).policy;

const samplesOf = (families: Map<string, Family>, name: string) =>
  (families.get(name)?.samples ?? []).map((s): Record<string, string | number> => ({
    ...s.labels,
    value: s.value,
  }));

// Real trust ledgers on the dev server, fed evidence as tasks feed them, with a worker that keeps
// metrics: promotions (decided in the workflow, counted by an activity), declines and demotions.
describe('rung changes in the metrics', () => {
  let stack: TestStack;
  let metrics: LadderMetrics;
  let server: MetricsServer;
  let link: LedgerLink;

  beforeAll(async () => {
    metrics = createLadderMetrics(new Registry(), { isDeclaredClass: (c) => c in policy.taskClasses });
    stack = await startTestStack('ledger-metrics', { policy, ledger: true, activityDeps: { metrics } });
    server = await startMetricsServer({ port: 0, registry: metrics.registry });
    link = createLedgerLink({ client: stack.client, taskQueue: stack.taskQueue });
  });
  afterAll(async () => {
    await server?.close();
    await stack?.stop();
  });

  const send = (agent: string, id: string, event: LedgerEvent) => link.send(agent, { id, event });
  const approvals = (agent: string, from: number, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        send(agent, `task/${agent}/${from + i}/approved`, {
          kind: 'outcome',
          outcome: 'approved',
          workflowId: `task/${agent}/${from + i}`,
          taskClass: 'ops',
          rung: 2,
        }),
      ),
    );
  const ledgerOf = async (agent: string): Promise<LedgerState | null> => link.read(agent);
  const until = (agent: string, ok: (s: LedgerState) => boolean) =>
    waitUntil(async () => {
      const state = await ledgerOf(agent);
      return state !== null && ok(state);
    });

  it('counts proposals opened, approved and declined, the promotion, and demotions by cause', async () => {
    await Promise.all([approvals('climber', 0, 20), approvals('hasty', 0, 20)]);
    // The policy's clean period is 3 s: the second half earns the proposals.
    await waitPastCleanPeriod(() => ledgerOf('climber'), 'ops', 20, 3_000);
    await waitPastCleanPeriod(() => ledgerOf('hasty'), 'ops', 20, 3_000);
    await Promise.all([approvals('climber', 20, 20), approvals('hasty', 20, 20)]);
    const open = (s: LedgerState) => s.proposals.some((p) => p.status === 'open');
    await until('climber', open);
    await until('hasty', open);
    const decide = async (agent: string, approve: boolean, by: string) => {
      const proposal = (await ledgerOf(agent))!.proposals.find((p) => p.status === 'open')!;
      await answerAs(
        stack.client.workflow.getHandle(ledgerWorkflowId(stack.taskQueue, agent)),
        decideProposalUpdate,
        { proposalId: proposal.id, by, approve },
      );
    };
    await decide('climber', true, 'U0APPR002');
    await decide('hasty', false, 'U0APPR001');
    await until('climber', (s) => s.classes.ops.rung === 3);
    await until('hasty', (s) => s.proposals.some((p) => p.status === 'declined'));

    // Demotions: a failed rollback (steady, rung 3), and a new model (switcher, rung 3).
    await send('steady', 'task/steady/1/rollback-failed', {
      kind: 'outcome',
      outcome: 'rollback-failed',
      workflowId: 'task/steady/1',
      taskClass: 'ops',
      rung: 3,
    });
    await send('switcher', 'version/m1', { kind: 'version', model: 'm1', promptVersion: 'p1' });
    await send('switcher', 'task/switcher/1/executed', {
      kind: 'outcome',
      outcome: 'executed',
      workflowId: 'task/switcher/1',
      taskClass: 'ops',
      rung: 3,
    });
    await until('switcher', (s) => s.classes.ops?.rung === 3 && s.model === 'm1');
    await send('switcher', 'version/m2', { kind: 'version', model: 'm2', promptVersion: 'p1' });
    await until('steady', (s) => s.classes.ops.rung === 2);
    await until('switcher', (s) => s.classes.ops.rung === 2);

    let families = await scrape(server.url);
    await waitUntil(async () => {
      families = await scrape(server.url);
      return (
        samplesOf(families, 'ladder_rung_changes_total').length >= 3 &&
        samplesOf(families, 'ladder_promotion_proposals_total').length >= 3
      );
    });
    const changes = samplesOf(families, 'ladder_rung_changes_total');
    expect(changes).toEqual(
      expect.arrayContaining([
        { direction: 'promotion', task_class: 'ops', cause: 'approved', value: 1 },
        { direction: 'demotion', task_class: 'ops', cause: 'rollback-failed', value: 1 },
        { direction: 'demotion', task_class: 'ops', cause: 'model-change', value: 1 },
      ]),
    );
    expect(changes).toHaveLength(3);
    const proposals = samplesOf(families, 'ladder_promotion_proposals_total');
    expect(proposals).toEqual(
      expect.arrayContaining([
        { task_class: 'ops', status: 'opened', value: 2 },
        { task_class: 'ops', status: 'approved', value: 1 },
        { task_class: 'ops', status: 'declined', value: 1 },
      ]),
    );
    expect(proposals).toHaveLength(3);
  });
});
