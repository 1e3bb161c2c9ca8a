/**
 * OpenTelemetry tracing inside the workflow sandbox, bundled into every workflow bundle and
 * switched on per call by whoever called: a workflow run, signal or update whose headers carry a
 * trace context (put there by a traced Ladder client, see `observability/tracing.ts`) is traced
 * with `@temporalio/interceptors-opentelemetry`'s interceptors, and everything the workflow does
 * from then on joins that trace. A run nobody traces costs one header lookup per call: the
 * OpenTelemetry modules are not even evaluated in its sandbox.
 *
 * Long-lived workflows (ledgers, feeds, canaries) serve many tasks over weeks: their runs are not
 * traced, or one run span would stay open for weeks and every later step would hang off whichever
 * task happened to start the entity. Their signals and updates are traced, each in its sender's trace.
 *
 * Deterministic: the switch is a header recorded in history, so a replay traces exactly what the
 * first run traced. Queries and update validators are never traced here, because neither is
 * replayed and span ids draw on the workflow's seeded random stream.
 */
import type * as OtelApi from '@opentelemetry/api';
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type {
  ActivityInput,
  ContinueAsNewInput,
  DisposeInput,
  GetLogAttributesInput,
  Headers,
  LocalActivityInput,
  Next,
  SignalInput,
  SignalWorkflowInput,
  StartChildWorkflowExecutionInput,
  StartNexusOperationInput,
  StartNexusOperationOutput,
  UpdateInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { workflowInfo } from '@temporalio/workflow';

/**
 * The header the interceptors package carries the W3C trace context in (its `TRACE_HEADER`;
 * a test holds the two equal). Named here so an untraced run never loads the package.
 */
export const TRACE_HEADER = '_tracer-data';

/**
 * Workflow types whose runs outlive any one trace (entities, windows): see the module comment.
 * Every other workflow type's run is traced when its start carries a trace context.
 */
export const LONG_LIVED_WORKFLOWS: ReadonlySet<string> = new Set([
  'quotaLedger',
  'trustLedger',
  'reportDigest',
  'killSwitch',
  'policyCanary',
  'agentTokens',
  'policyVersions',
  'channelFeed',
  'standingApprovals',
  'delegations',
  'approverWatch',
]);

/** The package's three workflow interceptors, made on the first traced call of one workflow. */
class LazyTracing {
  private made?: {
    api: typeof OtelApi;
    inbound: OtelWorkflow.OpenTelemetryInboundInterceptor;
    outbound: OtelWorkflow.OpenTelemetryOutboundInterceptor;
    internals: OtelWorkflow.OpenTelemetryInternalsInterceptor;
  };

  /** True once this workflow traced something (then its interceptors exist). */
  get started(): boolean {
    return this.made !== undefined;
  }

  /**
   * Whether the code calling out runs inside a traced run, signal or update (a span is active):
   * only then does the call join a trace, so an untraced run that once took a traced signal
   * starts no stray traces from its main loop.
   */
  inTrace(): boolean {
    const api = this.made?.api;
    return api !== undefined && api.trace.getSpan(api.context.active()) !== undefined;
  }

  get(): NonNullable<LazyTracing['made']> {
    if (this.made === undefined) {
      // Lazy requires of modules webpack put in the bundle: evaluated on the first traced call
      // (deterministically, from history), so untraced runs never evaluate OpenTelemetry.
      /* eslint-disable no-restricted-globals, @typescript-eslint/no-require-imports -- see above */
      const otel = require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow;
      const api = require('@opentelemetry/api') as typeof OtelApi;
      /* eslint-enable no-restricted-globals, @typescript-eslint/no-require-imports */
      this.made = {
        api,
        inbound: new otel.OpenTelemetryInboundInterceptor(),
        outbound: new otel.OpenTelemetryOutboundInterceptor(),
        internals: new otel.OpenTelemetryInternalsInterceptor(),
      };
    }
    return this.made;
  }
}

const traced = (headers: Headers): boolean => TRACE_HEADER in headers;

/** Traces a run (not a long-lived one), a signal or an update when its own headers carry a trace context. */
class TracingInbound implements WorkflowInboundCallsInterceptor {
  constructor(private readonly tracing: LazyTracing) {}

  execute(
    input: WorkflowExecuteInput,
    next: Next<WorkflowInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    return traced(input.headers) && !LONG_LIVED_WORKFLOWS.has(workflowInfo().workflowType)
      ? this.tracing.get().inbound.execute(input, next)
      : next(input);
  }

  handleSignal(
    input: SignalInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>,
  ): Promise<void> {
    return traced(input.headers) ? this.tracing.get().inbound.handleSignal(input, next) : next(input);
  }

  handleUpdate(
    input: UpdateInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>,
  ): Promise<unknown> {
    return traced(input.headers) ? this.tracing.get().inbound.handleUpdate(input, next) : next(input);
  }
}

/** Activities, children, signals and continue-as-new started inside a traced run or handler join its trace. */
class TracingOutbound implements WorkflowOutboundCallsInterceptor {
  constructor(private readonly tracing: LazyTracing) {}

  scheduleActivity(
    input: ActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>,
  ): Promise<unknown> {
    return this.tracing.inTrace() ? this.tracing.get().outbound.scheduleActivity(input, next) : next(input);
  }

  scheduleLocalActivity(
    input: LocalActivityInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>,
  ): Promise<unknown> {
    return this.tracing.inTrace()
      ? this.tracing.get().outbound.scheduleLocalActivity(input, next)
      : next(input);
  }

  startChildWorkflowExecution(
    input: StartChildWorkflowExecutionInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>,
  ): Promise<[Promise<string>, Promise<unknown>]> {
    return this.tracing.inTrace()
      ? this.tracing.get().outbound.startChildWorkflowExecution(input, next)
      : next(input);
  }

  startNexusOperation(
    input: StartNexusOperationInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'startNexusOperation'>,
  ): Promise<StartNexusOperationOutput> {
    return this.tracing.inTrace()
      ? this.tracing.get().outbound.startNexusOperation(input, next)
      : next(input);
  }

  signalWorkflow(
    input: SignalWorkflowInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>,
  ): Promise<void> {
    return this.tracing.inTrace() ? this.tracing.get().outbound.signalWorkflow(input, next) : next(input);
  }

  continueAsNew(
    input: ContinueAsNewInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>,
  ): Promise<never> {
    return this.tracing.inTrace() ? this.tracing.get().outbound.continueAsNew(input, next) : next(input);
  }

  getLogAttributes(
    input: GetLogAttributesInput,
    next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>,
  ): Record<string, unknown> {
    return this.tracing.started ? this.tracing.get().outbound.getLogAttributes(input, next) : next(input);
  }
}

/** Releases the package's context manager with the workflow, if it was ever made. */
class TracingInternals implements WorkflowInternalsInterceptor {
  constructor(private readonly tracing: LazyTracing) {}

  dispose(input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>): void {
    if (this.tracing.started) void this.tracing.get().internals.dispose(input, next);
    else next(input);
  }
}

/**
 * The workflow interceptors the bundler registers (`workflowInterceptorModules`): called once per
 * workflow instance, they share one lazily made set of OpenTelemetry interceptors.
 */
export const interceptors = (): WorkflowInterceptors => {
  const tracing = new LazyTracing();
  return {
    inbound: [new TracingInbound(tracing)],
    outbound: [new TracingOutbound(tracing)],
    internals: [new TracingInternals(tracing)],
  };
};
