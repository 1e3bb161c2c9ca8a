import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigError } from '../../config/env';
import { loadTracingConfig, tracingFromEnv } from '../../observability/tracing-config';

const BUILT_CONFIG = resolve(__dirname, '..', '..', 'dist', 'observability', 'tracing-config.js');

/** The problems a ConfigError lists, or a failure naming what was returned instead. */
function problemsOf(run: () => unknown): string[] {
  try {
    const result = run();
    throw new Error(`expected a ConfigError, got ${JSON.stringify(result)}`);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
}

describe('tracing configuration (standard OpenTelemetry variables)', () => {
  it('is off when no OTLP endpoint is set, or when one is set but empty', () => {
    expect(loadTracingConfig('worker', {})).toBeNull();
    expect(loadTracingConfig('worker', { OTEL_SERVICE_NAME: 'x' })).toBeNull();
    expect(
      loadTracingConfig('worker', {
        OTEL_EXPORTER_OTLP_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: ' ',
      }),
    ).toBeNull();
  });

  it('appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT, with or without a trailing slash or a base path', () => {
    expect(loadTracingConfig('worker', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({
      tracesUrl: 'http://127.0.0.1:4318/v1/traces',
      urlVariable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      serviceName: 'ladder-worker',
    });
    expect(
      loadTracingConfig('api', { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com/ingest/' })
        ?.tracesUrl,
    ).toBe('https://otel.example.com/ingest/v1/traces');
  });

  it('uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, and prefers it to the general endpoint', () => {
    expect(
      loadTracingConfig('slack', {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/custom/traces',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318',
      }),
    ).toEqual({
      tracesUrl: 'http://collector:4318/custom/traces',
      urlVariable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
      serviceName: 'ladder-slack',
    });
  });

  it('names each process by default and takes OTEL_SERVICE_NAME when set', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(
      (['worker', 'slack', 'api', 'cli'] as const).map((p) => loadTracingConfig(p, endpoint)?.serviceName),
    ).toEqual(['ladder-worker', 'ladder-slack', 'ladder-api', 'ladder-cli']);
    expect(loadTracingConfig('cli', { ...endpoint, OTEL_SERVICE_NAME: ' ops-ladder ' })?.serviceName).toBe(
      'ops-ladder',
    );
  });

  it('is off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none, even with an endpoint', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(loadTracingConfig('worker', { ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBeNull();
    expect(loadTracingConfig('worker', { ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(loadTracingConfig('worker', { ...endpoint, OTEL_SDK_DISABLED: 'false' })).not.toBeNull();
    expect(loadTracingConfig('worker', { ...endpoint, OTEL_TRACES_EXPORTER: 'otlp' })).not.toBeNull();
  });

  it('refuses an endpoint that is not an http(s) URL, naming the variable and the value', () => {
    expect(
      problemsOf(() => loadTracingConfig('worker', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })),
    ).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "collector:4318"']);
    expect(
      problemsOf(() => loadTracingConfig('worker', { OTEL_EXPORTER_OTLP_ENDPOINT: '127.0.0.1:4318' })),
    ).toEqual(['OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "127.0.0.1:4318"']);
    expect(
      problemsOf(() =>
        loadTracingConfig('worker', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://collector:4317' }),
      ),
    ).toEqual(['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: expected an http(s) URL, got "grpc://collector:4317"']);
    expect(problemsOf(() => loadTracingConfig('worker', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://' }))).toEqual(
      ['OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "http://"'],
    );
  });

  it('checks the general endpoint even when the traces endpoint wins, and lists every problem at once', () => {
    expect(
      problemsOf(() =>
        loadTracingConfig('worker', {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
          OTEL_TRACES_EXPORTER: 'zipkin',
          OTEL_SDK_DISABLED: 'yes',
        }),
      ),
    ).toEqual([
      'OTEL_SDK_DISABLED: expected true or false, got "yes"',
      'OTEL_TRACES_EXPORTER: expected otlp or none (Ladder exports traces over OTLP only), got "zipkin"',
      'OTEL_EXPORTER_OTLP_PROTOCOL: expected http/json or http/protobuf (Ladder sends OTLP/HTTP to the receiver\'s HTTP port, usually 4318), got "grpc"',
      'OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "localhost"',
    ]);
  });

  it('accepts either OTLP/HTTP protocol name, since receivers take JSON and protobuf on one port', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    for (const protocol of ['http/json', 'http/protobuf'])
      expect(
        loadTracingConfig('worker', { ...endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol }),
      ).not.toBeNull();
  });

  it('loads no OpenTelemetry SDK when tracing is off, and loads it when it is on (built code, fresh process)', () => {
    // A fresh Node process, because jest's module registry hides what a real process loads.
    const loaded = (env: Record<string, string>): { on: boolean; sdkModules: number } =>
      JSON.parse(
        execFileSync(
          process.execPath,
          [
            '-e',
            `require(${JSON.stringify(BUILT_CONFIG)})
              .tracingFromEnv('cli', { env: ${JSON.stringify(env)} })
              .then(async (tracing) => {
                const sdkModules = Object.keys(require.cache).filter((p) => p.includes('@opentelemetry/sdk-trace-base')).length;
                await tracing?.shutdown();
                process.stdout.write(JSON.stringify({ on: tracing !== null, sdkModules }));
              });`,
          ],
          { encoding: 'utf8' },
        ),
      );
    expect(loaded({})).toEqual({ on: false, sdkModules: 0 });
    const on = loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(on.on).toBe(true);
    expect(on.sdkModules).toBeGreaterThan(0);
  });

  it('reports a bad variable from tracingFromEnv as a ConfigError before anything starts', async () => {
    await expect(tracingFromEnv('api', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' } })).rejects.toThrow(
      new ConfigError(['OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "ftp://x"']),
    );
  });
});
