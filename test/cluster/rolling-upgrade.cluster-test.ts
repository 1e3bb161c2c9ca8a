import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { decodeVersioningBehavior } from '@temporalio/common';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask } from '../../client/submit-task';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import { approveUpdate, ledgerWorkflowId } from '../../workflows/messages';
import {
  policyVersionsWorkflowId,
  recordPolicyVersionSignal,
  type PolicyVersionRecord,
} from '../../workflows/policy-version-messages';
import { answerAs } from '../helpers/answers';
import { spawnNode, type Spawned } from '../helpers/processes';
import { appendStep, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { bundleWithMarker, codeMarkerQuery } from './helpers/marked-bundle';
import { retryUntilDone, workerDeploymentCli, type WorkerDeploymentCli } from './helpers/worker-deployment';

// A rolling upgrade with Temporal's worker deployment versioning (docs/deploy.md, "Rolling upgrades"):
// worker A runs bundle A, worker B a bundle whose code differs (its workflows answer the
// `ladderCodeMarker` query with "B"), both real worker processes (dist/worker/main.js) with
// LADDER_WORKER_DEPLOYMENT and LADDER_WORKER_BUILD_ID, switched with the Temporal CLI.
const ROOT = resolve(__dirname, '..', '..');
const WORKER = join(ROOT, 'dist', 'worker', 'main.js');
/** The policy-versions entity continues as new after this many signals (workflows/policy-versions.ts). */
const POLICY_VERSIONS_SIGNALS_PER_RUN = 200;

/** The build id of the worker that completed each workflow task of this run, in order (from history). */
async function workflowTaskBuildIds(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((event) => event.workflowTaskCompletedEventAttributes)
    .map(
      (event) => event.workflowTaskCompletedEventAttributes?.deploymentVersion?.buildId ?? '(unversioned)',
    );
}

/** The run's versioning as the server describes it: behavior and the build it is on. */
async function versioningOf(handle: WorkflowHandle): Promise<{ behavior?: string; buildId?: string }> {
  const info = (await handle.describe()).raw.workflowExecutionInfo?.versioningInfo;
  return {
    behavior: decodeVersioningBehavior(info?.behavior),
    buildId: info?.deploymentVersion?.buildId ?? undefined,
  };
}

describe('rolling upgrade with worker versioning on the cluster', () => {
  const deploymentName = `ladder-rollout-${randomUUID().slice(0, 8)}`;
  const taskQueue = `cluster-rollout-${randomUUID().slice(0, 8)}`;
  let client: Client;
  let base: string;
  let env: Record<string, string>;
  let slack: SlackWebApiEmulator;
  let deployment: WorkerDeploymentCli;
  const bundles: Record<'a' | 'b', string> = { a: '', b: '' };
  const workers: Spawned[] = [];
  let workerA: Spawned;
  let pinned: WorkflowHandle;
  let entityFirstRunId: string;

  const startWorker = async (buildId: 'a' | 'b'): Promise<Spawned> => {
    const worker = spawnNode(WORKER, {
      ...env,
      LADDER_WORKFLOW_BUNDLE: bundles[buildId],
      LADDER_WORKER_DEPLOYMENT: deploymentName,
      LADDER_WORKER_BUILD_ID: buildId,
      // A caches no workflow: each workflow task of the pinned task replays its history from the
      // start, so the pin must hold on replay too, not only on the run's first activation.
      ...(buildId === 'a' ? { LADDER_WORKER_CACHED_WORKFLOWS: '0' } : {}),
    });
    workers.push(worker);
    await worker.waitForOutput(/worker polling/);
    return worker;
  };
  const submit = async (agent: string, word: string): Promise<WorkflowHandle> => {
    const { handle } = await submitTask(client, taskRequest(agent, 'ops', [appendStep(word)]), {
      taskQueue,
      policy: workflowTestPolicy(),
      actions: createActionRegistry(),
    });
    return handle;
  };
  const entity = (runId?: string): WorkflowHandle =>
    client.workflow.getHandle(policyVersionsWorkflowId(taskQueue), runId);

  beforeAll(async () => {
    slack = await startSlackWebApi();
    base = mkdtempSync(join(tmpdir(), 'ladder-cluster-rollout-'));
    for (const d of ['workspace', 'sandbox', 'state', 'bundles']) mkdirSync(join(base, d));
    // Sequential: webpack is CPU-bound, two at once on two cores only interleave.
    bundles.a = await bundleWithMarker('A', join(base, 'bundles'));
    bundles.b = await bundleWithMarker('B', join(base, 'bundles'));
    env = {
      TEMPORAL_ADDRESS: testServerAddress(),
      LADDER_TASK_QUEUE: taskQueue,
      LADDER_POLICY_PATH: join(ROOT, 'test', 'fixtures', 'policies', 'workflow.yaml'),
      LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
      LADDER_SANDBOX_DIR: join(base, 'sandbox'),
      LADDER_STATE_DIR: join(base, 'state'),
      LOG_LEVEL: 'info',
      LADDER_EMULATOR_PORT: new URL(slack.apiUrl).port,
    };
    const cli = await resolveTemporalCli({ root: ROOT, skipSdkDownload: true, skipGoInstall: true });
    deployment = workerDeploymentCli(cli.path, testServerAddress(), deploymentName);
    client = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await client?.connection.close();
    await slack?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('version A current: a rung-2 task waits on A, the entity workflows run on A', async () => {
    workerA = await startWorker('a');
    await retryUntilDone(() => deployment.setCurrentVersion('a'));

    pinned = await submit('a2', 'pinned');
    await waitForStatus(pinned, (s) => s.phase === 'awaiting-human');
    expect(await pinned.query(codeMarkerQuery)).toBe('A');
    expect(await versioningOf(pinned)).toEqual({ behavior: 'PINNED', buildId: 'a' });

    // The worker recorded its policy in the policy-versions entity when it started.
    await waitUntil(async () => (await workflowTaskBuildIds(entity()).catch(() => [])).length > 0);
    expect(await entity().query(codeMarkerQuery)).toBe('A');
    expect(await versioningOf(entity())).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'a' });
    entityFirstRunId = (await entity().describe()).runId;
  });

  it('version B current: new tasks run on B, the waiting task finishes on A', async () => {
    await startWorker('b');
    await retryUntilDone(() => deployment.setCurrentVersion('b'));

    const fresh = await submit('a3', 'fresh');
    expect(await fresh.result()).toMatchObject({ outcome: 'executed', rung: 3 });
    expect(new Set(await workflowTaskBuildIds(fresh))).toEqual(new Set(['b']));
    expect(await fresh.query(codeMarkerQuery)).toBe('B');

    // A is no longer current but still has the pinned task open: it drains, and its worker must stay.
    await waitUntil(async () => (await deployment.drainageStatus('a')) === 'draining');

    // Answered after the switch, the pinned task still runs the rest of its code on A.
    const { stepsHash } = await waitForStatus(pinned, (s) => s.phase === 'awaiting-human');
    await answerAs(pinned, approveUpdate, { approver: 'U0APPR002', stepsHash });
    expect(await pinned.result()).toMatchObject({ outcome: 'executed', approvedBy: 'U0APPR002' });
    expect(new Set(await workflowTaskBuildIds(pinned))).toEqual(new Set(['a']));
    expect(await pinned.query(codeMarkerQuery)).toBe('A');
    expect(await versioningOf(pinned)).toEqual({ behavior: 'PINNED', buildId: 'a' });

    // The task's agent's trust ledger (AUTO_UPGRADE) started on A; the outcome the task, pinned to
    // A, reported to it was handled on B, and it never went back.
    const ledger = client.workflow.getHandle(ledgerWorkflowId(taskQueue, 'a2'));
    await waitUntil(async () => (await workflowTaskBuildIds(ledger)).at(-1) === 'b');
    const ledgerBuilds = await workflowTaskBuildIds(ledger);
    expect(ledgerBuilds[0]).toBe('a');
    expect(ledgerBuilds).toEqual([
      ...ledgerBuilds.filter((b) => b === 'a'),
      ...ledgerBuilds.filter((b) => b === 'b'),
    ]);
  });

  it('an entity workflow runs on B after its next continue-as-new; version A drains and its worker stops', async () => {
    // Enough signals to make the entity continue as new (as a busy deployment's workers would).
    const record: PolicyVersionRecord = {
      versionId: 'rollout-test',
      contentHash: 'rollout-test',
      version: 'rollout-test',
      source: 'rolling-upgrade.cluster-test.ts',
      loadedAt: new Date().toISOString(),
      by: ['rolling-upgrade test'],
      signed: false,
      loader: 'rolling-upgrade test',
      previousVersionId: null,
      diff: null,
      diffTruncated: false,
      linesAdded: 0,
      linesRemoved: 0,
    };
    // To the workflow id, not the run: the workers' own records count too, so the run may continue
    // as new before the last of these arrive, and those then go to the next run.
    for (let sent = 0; sent < POLICY_VERSIONS_SIGNALS_PER_RUN; sent += 20) {
      await Promise.all(Array.from({ length: 20 }, () => entity().signal(recordPolicyVersionSignal, record)));
    }
    const handle = entity(entityFirstRunId);
    await waitUntil(async () => (await entity().describe()).runId !== entityFirstRunId);
    const next = entity((await entity().describe()).runId);
    await waitUntil(async () => (await workflowTaskBuildIds(next)).length > 0);
    expect(new Set(await workflowTaskBuildIds(next))).toEqual(new Set(['b']));
    expect(await next.query(codeMarkerQuery)).toBe('B');
    expect(await versioningOf(next)).toEqual({ behavior: 'AUTO_UPGRADE', buildId: 'b' });
    // The first run ended on B too: AUTO_UPGRADE moved it at its first workflow task after the switch.
    expect((await workflowTaskBuildIds(handle)).at(-1)).toBe('b');

    // Nothing pinned to A is open any more: the server reports it drained, and A may stop.
    await waitUntil(async () => (await deployment.drainageStatus('a')) === 'drained', 90_000);
    workerA.child.kill('SIGTERM');
    expect(await workerA.exited).toBe(0);
  });
});
