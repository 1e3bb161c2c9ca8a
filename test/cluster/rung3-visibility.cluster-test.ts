import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, workflowUiUrl } from '../../config/env';
import { startTestStack, type TestStack } from '../helpers/temporal';
import { appendStep, submit, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { waitUntil } from '../helpers/wait';

// The real Ladder worker (createLadderWorker, the real workflows and activities) against the local
// production-shaped cluster that `bash scripts/cluster.sh up` starts: PostgreSQL persistence and SQL
// visibility, four Temporal services as separate processes, more than one history shard.

describe('Ladder on the local cluster', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack('cluster-rung3', { policy: workflowTestPolicy() });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is the PostgreSQL cluster with several history shards, not a dev server', async () => {
    const info = await stack.client.workflowService.getClusterInfo({});
    expect(info.persistenceStore).toBe('postgres12');
    expect(info.visibilityStore).toBe('postgres12');
    expect(info.historyShardCount).toBeGreaterThan(1);
    expect(info.serverVersion).toBe('1.29.1');
  });

  it('runs a rung-3 task to completion and finds it by AgentId and Outcome in SQL visibility', async () => {
    const { handle } = await submit(stack, taskRequest('a3', 'ops', [appendStep('on-the-cluster')]));
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'executed', rung: 3, executedSteps: 1 });
    const effects = join(stack.dirs.sandboxDir, 'effects.log');
    expect(existsSync(effects) ? readFileSync(effects, 'utf8') : '').toBe('on-the-cluster\n');

    // Visibility is eventually consistent: the closed run shows up in SQL visibility a moment later.
    const query = `AgentId = "a3" AND Outcome = "executed" AND WorkflowId = "${handle.workflowId}"`;
    let listed: { workflowId: string; status: string; agentId: unknown; rung: unknown }[] = [];
    await waitUntil(async () => {
      listed = [];
      for await (const found of stack.client.workflow.list({ query })) {
        listed.push({
          workflowId: found.workflowId,
          status: found.status.name,
          agentId: found.searchAttributes.AgentId,
          rung: found.searchAttributes.Rung,
        });
      }
      return listed.length > 0;
    }, 30_000);
    expect(listed).toEqual([
      { workflowId: handle.workflowId, status: 'COMPLETED', agentId: ['a3'], rung: [3] },
    ]);

    // The same query with another agent's id finds nothing: the filter is real.
    const other = stack.client.workflow.list({
      query: `AgentId = "a4" AND WorkflowId = "${handle.workflowId}"`,
    });
    const others: string[] = [];
    for await (const found of other) others.push(found.workflowId);
    expect(others).toEqual([]);

    // The Temporal UI that Ladder links to with LADDER_TEMPORAL=cluster is the cluster's: its API
    // (under the same origin as the link) describes this very task.
    const config = loadConfig({
      LADDER_TEMPORAL: 'cluster',
      LADDER_CLUSTER_FRONTEND_PORT: process.env.LADDER_CLUSTER_FRONTEND_PORT,
      LADDER_CLUSTER_UI_PORT: process.env.LADDER_CLUSTER_UI_PORT,
    });
    const link = new URL(workflowUiUrl(config, handle.workflowId));
    expect(link.pathname).toBe(`/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}`);
    const response = await fetch(new URL(`/api/v1${link.pathname}`, link));
    expect(response.status).toBe(200);
    const described = (await response.json()) as {
      workflowExecutionInfo?: { execution?: { workflowId?: string }; status?: string };
    };
    expect(described.workflowExecutionInfo).toMatchObject({
      execution: { workflowId: handle.workflowId },
      status: 'WORKFLOW_EXECUTION_STATUS_COMPLETED',
    });
  });
});
