import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask } from '../../client/submit-task';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import { approveUpdate } from '../../workflows/messages';
import { answerAs } from '../helpers/answers';
import { freePort } from '../helpers/ports';
import { spawnNode, type Spawned } from '../helpers/processes';
import { scrape, sampleValue, type Family } from '../helpers/prometheus-text';
import { appendStep, taskRequest, waitForStatus, workflowTestPolicy } from '../helpers/tasks';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { TEST_ENV } from '../setup/shared-state';

const WORKER = resolve(__dirname, '..', '..', 'dist', 'worker', 'main.js');

/** Every sample of a family as `{labels…, value}`, for exact comparisons. */
const samplesOf = (families: Map<string, Family>, name: string) =>
  (families.get(name)?.samples ?? []).map((s): Record<string, string | number> => ({
    ...s.labels,
    value: s.value,
  }));

// The built worker process (node dist/worker/main.js) runs real tasks against the dev server and
// the Slack emulator; its /metrics is scraped over HTTP and read with a strict parser.
describe("the worker's /metrics", () => {
  let client: Client;
  let slack: SlackWebApiEmulator;
  let worker: Spawned;
  let env: Record<string, string>;
  let metricsUrl: string;

  beforeAll(async () => {
    // Slack's own rate limits off: the test injects the one failure it counts.
    slack = await startSlackWebApi(0, false);
    const base = mkdtempSync(join(tmpdir(), 'ladder-worker-metrics-'));
    for (const d of ['workspace', 'sandbox', 'state']) mkdirSync(join(base, d));
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    env = {
      TEMPORAL_ADDRESS: testServerAddress(),
      LADDER_TASK_QUEUE: `worker-metrics-${randomUUID().slice(0, 8)}`,
      LADDER_POLICY_PATH: resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
      LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
      LADDER_SANDBOX_DIR: join(base, 'sandbox'),
      LADDER_STATE_DIR: join(base, 'state'),
      LADDER_WORKFLOW_BUNDLE: process.env[TEST_ENV.bundlePath]!,
      LADDER_EMULATOR_PORT: new URL(slack.apiUrl).port,
      // The failed post's task sweeps for a late copy before it completes: a second, not two minutes.
      LADDER_LATE_POST_GRACE_MS: '1000',
      LADDER_WORKER_METRICS_PORT: String(metricsPort),
      LADDER_SLACK_METRICS_PORT: 'off',
      LADDER_API_METRICS_PORT: 'off',
      LOG_LEVEL: 'info',
    };
    worker = spawnNode(WORKER, env);
    await worker.waitForOutput(/worker polling/);
    client = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    await client?.connection.close();
    await slack?.close();
  });

  const submit = async (request: ReturnType<typeof taskRequest>) =>
    (
      await submitTask(client, request, {
        taskQueue: env.LADDER_TASK_QUEUE,
        policy: workflowTestPolicy(),
        actions: createActionRegistry(),
      })
    ).handle;

  it('says it is alive and ready once it polls, on the same port', async () => {
    const base = metricsUrl.replace(/\/metrics$/, '');
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // Ready once the worker runs (it logged "worker polling" just before run()).
    await waitUntil(async () => (await fetch(`${base}/readyz`)).status === 200);
    expect(await (await fetch(`${base}/readyz`)).text()).toBe('ready\n');
  });

  it('counts decisions, outcomes, answer latency and Slack errors exactly, beside the Temporal runtime’s metrics', async () => {
    expect(worker.stdout()).toContain(`"url":"${metricsUrl}","msg":"metrics endpoint"`);
    // The rung-3 task's announcement fails once (HTTP 500) and its activity is retried, recording
    // the same evidence again: counted once all the same.
    slack.injectFault({ kind: 'server-error' }, { method: 'chat.postMessage' });
    const autonomous = await submit(taskRequest('a3', 'ops', [appendStep('metrics-rung3')]));
    expect(await autonomous.result()).toMatchObject({ outcome: 'executed', rung: 3 });
    expect(slack.faultReport().served['server-error']).toBe(1);

    const confirmed = await submit(taskRequest('a2', 'ops', [appendStep('metrics-rung2')]));
    const waiting = await waitForStatus(confirmed, (s) => s.phase === 'awaiting-human');
    await answerAs(confirmed, approveUpdate, { approver: 'U0APPR002', stepsHash: waiting.stepsHash });
    expect(await confirmed.result()).toMatchObject({ outcome: 'executed', rung: 2, approvedBy: 'U0APPR002' });

    // Evidence beside the main path may land a moment after the result: wait for all of it, then
    // check that nothing was counted twice.
    let families = await scrape(metricsUrl);
    await waitUntil(async () => {
      families = await scrape(metricsUrl);
      return (families.get('ladder_task_outcomes_total')?.samples.length ?? 0) >= 3;
    });
    expect(samplesOf(families, 'ladder_decisions_total')).toEqual(
      expect.arrayContaining([
        { task_class: 'ops', rung: '3', reason: 'earned', value: 1 },
        { task_class: 'ops', rung: '2', reason: 'earned', value: 1 },
      ]),
    );
    expect(samplesOf(families, 'ladder_decisions_total')).toHaveLength(2);
    expect(samplesOf(families, 'ladder_task_outcomes_total')).toEqual(
      expect.arrayContaining([
        { task_class: 'ops', rung: '3', outcome: 'executed', value: 1 },
        { task_class: 'ops', rung: '2', outcome: 'approved', value: 1 },
        { task_class: 'ops', rung: '2', outcome: 'executed', value: 1 },
      ]),
    );
    expect(samplesOf(families, 'ladder_task_outcomes_total')).toHaveLength(3);
    const answered = { task_class: 'ops', outcome: 'approved' };
    expect(sampleValue(families, 'ladder_answer_latency_seconds_count', answered)).toBe(1);
    expect(sampleValue(families, 'ladder_answer_latency_seconds_sum', answered)).toBeGreaterThan(0);
    expect(samplesOf(families, 'ladder_slack_api_errors_total')).toEqual([
      { method: 'chat.postMessage', error: 'http_500', value: 1 },
    ]);
    expect(samplesOf(families, 'ladder_outcome_unknown_total')).toEqual([]);
    expect(samplesOf(families, 'ladder_rung_changes_total')).toEqual([]);

    // The Temporal runtime's own metrics, from its exporter, in the same answer.
    const temporal = [...families.keys()].filter((name) => name.startsWith('temporal_'));
    expect(temporal.length).toBeGreaterThan(5);
    expect(
      sampleValue(families, 'temporal_worker_start_total', {
        namespace: 'default',
        service_name: 'temporal-core-sdk',
        task_queue: env.LADDER_TASK_QUEUE,
      }),
    ).toBe(1);
    expect(families.get('temporal_workflow_completed_total')?.type).toBe('counter');
    // And Node's process metrics.
    expect(sampleValue(families, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    // No task or agent id is a label value anywhere.
    const text = await (await fetch(metricsUrl)).text();
    expect(text).not.toContain(autonomous.workflowId);
    expect(text).not.toMatch(/"a[23]"/);
  });
});
