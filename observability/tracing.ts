import { context, diag, DiagLogLevel, propagation, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ClientInterceptors, WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkflowInfo } from '@temporalio/workflow';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { TRACE_HEADER } from '@temporalio/interceptors-opentelemetry/lib/instrumentation';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry/lib/workflow/definitions';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  InjectedSinks,
  Next,
  WorkerOptions,
} from '@temporalio/worker';
import type { Context as ActivityContext } from '@temporalio/activity';
import type { TracingConfig } from './tracing-config';

/**
 * What a worker needs to trace: activity interceptors and the sink that takes the workflow
 * sandbox's spans. Merged into `Worker.create`; the workflow side is bundled (see
 * `workflows/tracing-interceptors.ts`), so there is no `workflowModules` here.
 */
export interface WorkerTracing {
  interceptors: Pick<NonNullable<WorkerOptions['interceptors']>, 'activity'>;
  sinks: InjectedSinks<OpenTelemetrySinks>;
}

/** Tracing of one process, from {@link startTracing}. */
export interface ProcessTracing {
  readonly config: TracingConfig;
  /**
   * For clients where traces start (the Slack app, the agent API, the CLI): every workflow call is
   * a span, a new trace when none is active, and its context travels to the workflow in headers.
   */
  readonly clientInterceptors: ClientInterceptors;
  /**
   * For the worker's own client: a call made inside a traced activity joins that trace; any other
   * call (an untraced task's activity, a policy reload) is not traced, so it starts no stray trace.
   */
  readonly joiningClientInterceptors: ClientInterceptors;
  /** Options merged into `Worker.create` (see `createLadderWorker`'s `tracing`). */
  readonly worker: WorkerTracing;
  /**
   * Exports every span still buffered, then stops; safe to call more than once. Never rejects: a
   * failed last export is reported through `warn`.
   */
  shutdown(): Promise<void>;
}

let running: ProcessTracing | null = null;

/**
 * Starts exporting this process's spans: a tracer provider with one batching span processor that
 * POSTs OTLP/JSON to `config.tracesUrl`, registered as the process's global provider together with
 * the W3C propagator and an AsyncLocalStorage context manager (the interceptors propagate through
 * the global API). The batch size, delay, queue and export timeout follow the standard
 * `OTEL_BSP_*` and `OTEL_EXPORTER_OTLP_*` variables, and `OTEL_RESOURCE_ATTRIBUTES` adds attributes.
 *
 * @param config - from `loadTracingConfig` (see `tracingFromEnv`, which starts tracing only when configured).
 * @param options.warn - told when spans cannot be exported (e.g. the receiver is down); spans are
 *   dropped then, and the process carries on.
 * @throws Error if this process already traces (call `shutdown()` first).
 */
export function startTracing(
  config: TracingConfig,
  options: { warn?: (message: string) => void } = {},
): ProcessTracing {
  if (running)
    throw new Error(`tracing already started in this process (exporting to ${running.config.tracesUrl})`);
  const warn = options.warn ?? (() => undefined);
  const report = (message: string, ...args: unknown[]): void =>
    warn(['OpenTelemetry:', message, ...args.map(String)].join(' '));
  const quiet = (): void => undefined;
  diag.setLogger(
    { error: report, warn: report, info: quiet, debug: quiet, verbose: quiet },
    DiagLogLevel.WARN,
  );

  const resource = new Resource({
    ...Resource.default().attributes,
    ...envDetectorSync.detect().attributes,
    [ATTR_SERVICE_NAME]: config.serviceName,
  });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: config.tracesUrl }));
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  const tracer = provider.getTracer('ladder');

  const clientInterceptor = new OpenTelemetryWorkflowClientInterceptor({ tracer });
  let stopping: Promise<void> | undefined;
  const tracing: ProcessTracing = {
    config,
    clientInterceptors: { workflow: [clientInterceptor] },
    joiningClientInterceptors: { workflow: [joiningOnly(clientInterceptor)] },
    worker: {
      interceptors: {
        activity: [
          (ctx) => ({
            inbound: new JoiningActivityInbound(ctx, tracer),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
        ],
      },
      sinks: { exporter: withSpanInfo(makeWorkflowExporter(processor, resource)) },
    },
    shutdown() {
      // A receiver that is down at the last flush costs those spans, never the process's stop.
      stopping ??= provider
        .shutdown()
        .catch((err: unknown) =>
          report('spans not exported at shutdown:', err instanceof Error ? err.message : err),
        )
        .finally(() => {
          trace.disable();
          context.disable();
          propagation.disable();
          diag.disable();
          running = null;
        });
      return stopping;
    },
  };
  running = tracing;
  return tracing;
}

/** An activity is traced when whoever scheduled it traced (its headers carry the context). */
class JoiningActivityInbound implements ActivityInboundCallsInterceptor {
  private readonly traced: OpenTelemetryActivityInboundInterceptor;

  constructor(ctx: ActivityContext, tracer: Tracer) {
    this.traced = new OpenTelemetryActivityInboundInterceptor(ctx, { tracer });
  }

  execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    return TRACE_HEADER in input.headers ? this.traced.execute(input, next) : next(input);
  }
}

const CLIENT_CALLS = [
  'start',
  'startWithDetails',
  'startUpdate',
  'startUpdateWithStart',
  'signal',
  'signalWithStart',
  'query',
  'terminate',
  'cancel',
  'describe',
] as const satisfies readonly (keyof WorkflowClientInterceptor)[];

type AnyCall = (input: unknown, next: (input: unknown) => Promise<unknown>) => Promise<unknown>;

/** `inner`, but only while a span is active: such calls join a trace and never start one. */
function joiningOnly(inner: OpenTelemetryWorkflowClientInterceptor): WorkflowClientInterceptor {
  const joining: Partial<Record<(typeof CLIENT_CALLS)[number], AnyCall>> = {};
  for (const name of CLIENT_CALLS) {
    const call = (inner[name] as AnyCall).bind(inner);
    joining[name] = (input, next) => (trace.getActiveSpan() ? call(input, next) : next(input));
  }
  return joining as WorkflowClientInterceptor;
}

/**
 * The package's workflow-span sink copies the whole `WorkflowInfo` onto every span (memo, search
 * attributes, last result); this keeps the identifying scalars only, under the same names.
 */
function withSpanInfo(
  sink: InjectedSinks<OpenTelemetrySinks>['exporter'],
): InjectedSinks<OpenTelemetrySinks>['exporter'] {
  return {
    export: {
      ...sink.export,
      fn: (info, spans) => {
        const { workflowId, runId, workflowType, namespace, taskQueue, attempt } = info;
        const kept = { workflowId, runId, workflowType, namespace, taskQueue, attempt };
        // The package only spreads these fields into span attributes; it reads nothing else.
        return sink.export.fn(kept as WorkflowInfo, spans);
      },
    },
  };
}
