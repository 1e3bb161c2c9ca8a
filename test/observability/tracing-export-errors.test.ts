import { createServer } from 'node:net';
import type { WorkflowClientInterceptor, WorkflowStartInput } from '@temporalio/client';
import { startTracing } from '../../observability/tracing';
import { freePort } from '../helpers/ports';

/** A port nothing listens on: bound once to be sure it was free, then closed. */
async function closedPort(): Promise<number> {
  const port = await freePort();
  const server = createServer();
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  await new Promise((ok) => server.close(ok));
  return port;
}

describe('tracing when the receiver cannot be reached', () => {
  it('tells the process why spans were dropped, and still shuts down', async () => {
    const warnings: string[] = [];
    const port = await closedPort();
    const tracing = startTracing(
      {
        tracesUrl: `http://127.0.0.1:${port}/v1/traces`,
        urlVariable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
        serviceName: 'ladder-cli',
      },
      { warn: (message) => warnings.push(message) },
    );
    // One span, made by the client interceptor around a start call that never leaves the process.
    const [interceptor] = tracing.clientInterceptors.workflow as WorkflowClientInterceptor[];
    const input = {
      workflowType: 'delegatedTask',
      headers: {},
      options: { workflowId: 'w' },
    } as unknown as WorkflowStartInput;
    let sentHeaders: WorkflowStartInput['headers'] = {};
    await interceptor.start!(input, async (sent) => {
      sentHeaders = sent.headers;
      return 'run-1';
    });
    // The trace context travels in the header the workflow side reads.
    expect(Object.keys(sentHeaders)).toEqual(['_tracer-data']);

    await tracing.shutdown();
    expect(warnings.join('\n')).toMatch(/^OpenTelemetry: .*ECONNREFUSED/m);
  });

  it('refuses a second start in one process until the first is shut down', async () => {
    const config = {
      tracesUrl: 'http://127.0.0.1:9/v1/traces',
      urlVariable: 'OTEL_EXPORTER_OTLP_ENDPOINT' as const,
      serviceName: 'ladder-api',
    };
    const first = startTracing(config);
    expect(() => startTracing(config)).toThrow(
      'tracing already started in this process (exporting to http://127.0.0.1:9/v1/traces)',
    );
    await first.shutdown();
    await startTracing(config).shutdown();
  });
});
