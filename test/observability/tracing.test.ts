import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { TRACE_HEADER as PACKAGE_TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import { createActionRegistry } from '../../activities/actions/registry';
import { submitTask } from '../../client/submit-task';
import { loadConfig } from '../../config/env';
import type { ProcessTracing } from '../../observability/tracing';
import { tracingFromEnv } from '../../observability/tracing-config';
import { startSlackWebApi, type SlackWebApiEmulator } from '../../slack/emulator/web-api';
import { connectClient } from '../../worker/connection';
import * as workflows from '../../workflows';
import { LONG_LIVED_WORKFLOWS, TRACE_HEADER } from '../../workflows/tracing-interceptors';
import { freePort } from '../helpers/ports';
import { spawnNode, type Spawned } from '../helpers/processes';
import { appendStep, taskRequest, workflowTestPolicy } from '../helpers/tasks';
import { quietSdkLogs, testServerAddress } from '../helpers/temporal';
import { localActivityTypes } from '../helpers/histories';
import { TEST_ENV } from '../setup/shared-state';

const WORKER = resolve(__dirname, '..', '..', 'dist', 'worker', 'main.js');

/** One span as the receiver got it, with the `service.name` of the process that sent it. */
interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
}

/** The parts of an OTLP/JSON attribute value this test reads. */
interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExportRequest {
  resourceSpans: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans: {
      spans?: {
        name: string;
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

const valueOf = (v: OtlpValue): unknown => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;
const attributesOf = (list: OtlpAttribute[] = []): Record<string, unknown> =>
  Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/**
 * A minimal OTLP/HTTP trace receiver: accepts `POST /v1/traces` in the JSON encoding (what
 * `@opentelemetry/exporter-trace-otlp-http` sends) and keeps every span; anything else is refused.
 */
async function startReceiver(
  port: number,
): Promise<{ server: Server; spans: ReceivedSpan[]; refused: string[] }> {
  const spans: ReceivedSpan[] = [];
  const refused: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (
        req.method !== 'POST' ||
        req.url !== '/v1/traces' ||
        req.headers['content-type'] !== 'application/json'
      ) {
        refused.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
        res.writeHead(404).end();
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const request = JSON.parse(body.toString('utf8')) as OtlpExportRequest;
      for (const resourceSpans of request.resourceSpans) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans)
          for (const span of scope.spans ?? [])
            spans.push({
              service,
              name: span.name,
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId || undefined,
              attributes: attributesOf(span.attributes),
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  return { server, spans, refused };
}

/** Whether any ActivityTaskScheduled event of the run carries a trace context header. */
async function activitiesCarryTraceContext(handle: WorkflowHandle): Promise<boolean[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => TRACE_HEADER in (e.activityTaskScheduledEventAttributes?.header?.fields ?? {}));
}

// The built worker process exports to a receiver the test runs; the test's own client traces as
// the CLI would. One rung-3 task started through the traced client must arrive as one trace:
// client → workflow → activities, linked by trace id and parent span ids.
describe('OpenTelemetry traces over OTLP/HTTP: client → workflow → activities', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let slack: SlackWebApiEmulator;
  let worker: Spawned;
  let tracing: ProcessTracing;
  let tracedClient: Client;
  let plainClient: Client;
  let taskQueue: string;
  let receiverPort: number;

  beforeAll(async () => {
    quietSdkLogs();
    receiverPort = await freePort();
    const port = receiverPort;
    receiver = await startReceiver(port);
    slack = await startSlackWebApi(0, false);
    const base = mkdtempSync(join(tmpdir(), 'ladder-tracing-'));
    for (const d of ['workspace', 'sandbox', 'state']) mkdirSync(join(base, d));
    taskQueue = `tracing-${randomUUID().slice(0, 8)}`;
    worker = spawnNode(WORKER, {
      TEMPORAL_ADDRESS: testServerAddress(),
      LADDER_TASK_QUEUE: taskQueue,
      LADDER_POLICY_PATH: resolve(__dirname, '..', 'fixtures', 'policies', 'workflow.yaml'),
      LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
      LADDER_SANDBOX_DIR: join(base, 'sandbox'),
      LADDER_STATE_DIR: join(base, 'state'),
      LADDER_WORKFLOW_BUNDLE: process.env[TEST_ENV.bundlePath]!,
      LADDER_EMULATOR_PORT: new URL(slack.apiUrl).port,
      LADDER_LATE_POST_GRACE_MS: '1000',
      LOG_LEVEL: 'info',
      // The general endpoint: the worker must append /v1/traces itself.
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '',
      OTEL_SERVICE_NAME: '',
      // Nothing leaves on the batch timer: every worker span the receiver gets was flushed at stop.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    await worker.waitForOutput(/worker polling/);
    const traced = await tracingFromEnv('cli', {
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces` },
    });
    if (!traced) throw new Error('tracing did not start with an endpoint set');
    tracing = traced;
    tracedClient = await connectClient(loadConfig({ TEMPORAL_ADDRESS: testServerAddress() }), {
      interceptors: tracing.clientInterceptors,
    });
    plainClient = new Client({ connection: await Connection.connect({ address: testServerAddress() }) });
  });
  afterAll(async () => {
    if (worker && worker.child.exitCode === null) {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
    await tracedClient?.connection.close();
    await plainClient?.connection.close();
    await tracing?.shutdown();
    await slack?.close();
    await new Promise((ok) => receiver?.server.close(ok));
  });

  const runRung3 = async (client: Client, word: string) => {
    const { handle, workflowId } = await submitTask(client, taskRequest('a3', 'ops', [appendStep(word)]), {
      taskQueue,
      policy: workflowTestPolicy(),
      actions: createActionRegistry(),
    });
    expect(await handle.result()).toMatchObject({ outcome: 'executed', rung: 3, executedSteps: 1 });
    return { handle, workflowId };
  };

  it('uses the interceptors package’s own trace header in the workflow bundle', () => {
    expect(TRACE_HEADER).toBe(PACKAGE_TRACE_HEADER);
  });

  it('classifies every workflow type: a task-like run is traced whole, a long-lived one per message', () => {
    const types = Object.keys(workflows);
    expect([...LONG_LIVED_WORKFLOWS].filter((type) => !types.includes(type))).toEqual([]);
    // A new workflow type fails here until it is put on one side or the other.
    expect(types.filter((type) => !LONG_LIVED_WORKFLOWS.has(type)).sort()).toEqual([
      'delegatedTask',
      'rollbackDrill',
      'selfCheck',
    ]);
  });

  it('exports one linked trace for a traced rung-3 task, and nothing for an untraced one', async () => {
    expect(worker.stdout()).toContain(
      `"url":"http://127.0.0.1:${receiverPort}/v1/traces","service":"ladder-worker","msg":"exporting traces"`,
    );
    const traced = await runRung3(tracedClient, 'traced');
    const untraced = await runRung3(plainClient, 'untraced');
    // The switch lives in history: only the traced run's activities carry a trace context.
    const tracedHeaders = await activitiesCarryTraceContext(traced.handle);
    expect(tracedHeaders.length).toBeGreaterThanOrEqual(2);
    expect(tracedHeaders.every(Boolean)).toBe(true);
    const untracedHeaders = await activitiesCarryTraceContext(untraced.handle);
    expect(untracedHeaders.length).toBe(tracedHeaders.length);
    expect(untracedHeaders.some(Boolean)).toBe(false);

    // A traced run replays deterministically: the switch and the spans' ids come from history.
    await expect(
      Worker.runReplayHistory(
        {
          workflowBundle: { codePath: process.env[TEST_ENV.bundlePath]! },
          sinks: { exporter: { export: { fn: () => undefined } } },
          replayName: 'traced rung-3 task',
        },
        await traced.handle.fetchHistory(),
        traced.workflowId,
      ),
    ).resolves.toBeUndefined();

    // Spans leave when each process stops: the client's now, the worker's on SIGTERM.
    await tracing.shutdown();
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(receiver.refused).toEqual([]);

    const spans = receiver.spans;
    const one = (name: string, where: (s: ReceivedSpan) => boolean = () => true): ReceivedSpan => {
      const found = spans.filter((s) => s.name === name && where(s));
      if (found.length !== 1)
        throw new Error(
          `expected one ${name} span, got ${found.length}: ${spans.map((s) => s.name).join(', ')}`,
        );
      return found[0];
    };
    const start = one('StartWorkflow:delegatedTask');
    expect(start).toMatchObject({
      service: 'ladder-cli',
      parentSpanId: undefined,
      attributes: expect.objectContaining({ temporalWorkflowId: traced.workflowId }),
    });
    const trace = spans.filter((s) => s.traceId === start.traceId);
    const inTrace = (name: string) => one(name, (s) => s.traceId === start.traceId);

    const run = inTrace('RunWorkflow:delegatedTask');
    expect(run).toMatchObject({
      service: 'ladder-worker',
      parentSpanId: start.spanId,
      attributes: expect.objectContaining({ workflowId: traced.workflowId, workflowType: 'delegatedTask' }),
    });
    // Only the identifying fields of WorkflowInfo are copied onto workflow spans.
    expect(run.attributes).not.toHaveProperty('memo');
    expect(run.attributes).not.toHaveProperty('searchAttributes');

    for (const activity of ['decideTask', 'executeStep']) {
      const scheduled = inTrace(`StartActivity:${activity}`);
      expect(scheduled).toMatchObject({ service: 'ladder-worker', parentSpanId: run.spanId });
      expect(inTrace(`RunActivity:${activity}`)).toMatchObject({
        service: 'ladder-worker',
        parentSpanId: scheduled.spanId,
        attributes: expect.objectContaining({ temporalWorkflowId: traced.workflowId }),
      });
    }
    // Calls an activity makes through the worker's client join the trace, and so do the ledgers'
    // handlers of those calls; the long-lived ledgers' runs themselves are never traced.
    const reserve = inTrace('UpdateWithStartWorkflow:reserveQuota');
    expect(reserve.parentSpanId).toBe(inTrace('RunActivity:decideTask').spanId);
    expect(inTrace('HandleUpdate:reserveQuota').parentSpanId).toBe(reserve.spanId);
    expect(spans.filter((s) => LONG_LIVED_WORKFLOWS.has(s.name.replace(/^RunWorkflow:/, '')))).toEqual([]);
    // Every activity the workflow scheduled ran inside the trace, under its own StartActivity span.
    const scheduledNames = trace
      .filter((s) => s.name.startsWith('StartActivity:') && s.parentSpanId === run.spanId)
      .map((s) => s.name.slice('StartActivity:'.length));
    // Local activities (the decision) are traced too, with no header in history to count.
    expect(scheduledNames.length).toBe(
      tracedHeaders.length + (await localActivityTypes(traced.handle)).length,
    );
    for (const name of scheduledNames) expect(trace.map((s) => s.name)).toContain(`RunActivity:${name}`);
    // One connected tree: every span but the client's has its parent in the same trace.
    const ids = new Set(trace.map((s) => s.spanId));
    expect(trace.filter((s) => s !== start && !ids.has(s.parentSpanId ?? ''))).toEqual([]);
    process.stderr.write(
      `[tracing] ${trace.length} spans in the task's trace: ${[...new Set(trace.map((s) => `${s.service}/${s.name}`))].sort().join(', ')}\n`,
    );

    // The untraced task left no span anywhere, on either side.
    expect(
      spans.filter((s) => Object.values(s.attributes).includes(untraced.workflowId)).map((s) => s.name),
    ).toEqual([]);
  });
});
