import { ConfigError } from '../config/env';
import type { ProcessTracing } from './tracing';

/** The Ladder processes that hold a Temporal client, and the service name each reports by default. */
export const DEFAULT_SERVICE_NAMES = {
  worker: 'ladder-worker',
  slack: 'ladder-slack',
  api: 'ladder-api',
  cli: 'ladder-cli',
} as const;

/** Which Ladder process is asking; picks the default `service.name`. */
export type LadderProcess = keyof typeof DEFAULT_SERVICE_NAMES;

/** Where and as whom one process exports its spans. */
export interface TracingConfig {
  /** The full OTLP/HTTP traces URL spans are POSTed to (e.g. `http://127.0.0.1:4318/v1/traces`). */
  tracesUrl: string;
  /** The variable that named the URL, for log lines and errors. */
  urlVariable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' | 'OTEL_EXPORTER_OTLP_ENDPOINT';
  /** `service.name` on every span this process exports. */
  serviceName: string;
}

const TRACES_PATH = 'v1/traces';

/**
 * Reads the standard OpenTelemetry variables that switch tracing on and say where spans go.
 * Tracing is on only when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is) or
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (`/v1/traces` appended, as the OTLP spec says) is set, and
 * neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none` turns it off. Empty values
 * count as unset. Spans go over OTLP/HTTP as JSON, which every OTLP/HTTP receiver accepts on the
 * same port as protobuf; gRPC is refused because the URL would name the wrong port.
 *
 * @param ladderProcess - which Ladder process this is; its default service name is used when
 *   `OTEL_SERVICE_NAME` is unset.
 * @param env - the environment to read, normally `process.env`.
 * @returns the tracing configuration, or `null` when tracing is off.
 * @throws {ConfigError} listing every wrong variable, e.g.
 *   `OTEL_EXPORTER_OTLP_ENDPOINT: expected an http(s) URL, got "collector:4318"`.
 */
export function loadTracingConfig(
  ladderProcess: LadderProcess,
  env: NodeJS.ProcessEnv = process.env,
): TracingConfig | null {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const problems: string[] = [];
  const disabled = read('OTEL_SDK_DISABLED');
  if (disabled !== undefined && !/^(true|false)$/i.test(disabled))
    problems.push(`OTEL_SDK_DISABLED: expected true or false, got "${disabled}"`);
  const exporter = read('OTEL_TRACES_EXPORTER');
  if (exporter !== undefined && exporter !== 'otlp' && exporter !== 'none')
    problems.push(
      `OTEL_TRACES_EXPORTER: expected otlp or none (Ladder exports traces over OTLP only), got "${exporter}"`,
    );
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    const protocol = read(name);
    if (protocol !== undefined && protocol !== 'http/json' && protocol !== 'http/protobuf')
      problems.push(
        `${name}: expected http/json or http/protobuf (Ladder sends OTLP/HTTP to the receiver's HTTP port, usually 4318), got "${protocol}"`,
      );
  }
  const specific = read('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const general = read('OTEL_EXPORTER_OTLP_ENDPOINT');
  let target: Pick<TracingConfig, 'tracesUrl' | 'urlVariable'> | null = null;
  if (specific !== undefined) {
    const url = httpUrl('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', specific, problems);
    if (url) target = { tracesUrl: url.toString(), urlVariable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' };
  }
  // Checked even when the specific one wins: a typo should not wait for the day it is used.
  if (general !== undefined) {
    const url = httpUrl('OTEL_EXPORTER_OTLP_ENDPOINT', general, problems);
    if (url && target === null)
      target = {
        tracesUrl: `${general.endsWith('/') ? general : `${general}/`}${TRACES_PATH}`,
        urlVariable: 'OTEL_EXPORTER_OTLP_ENDPOINT',
      };
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const off = disabled?.toLowerCase() === 'true' || exporter === 'none';
  if (off || target === null) return null;
  return { ...target, serviceName: read('OTEL_SERVICE_NAME') ?? DEFAULT_SERVICE_NAMES[ladderProcess] };
}

/** Parses `value` as an absolute http or https URL, or records why not. */
function httpUrl(variable: string, value: string, problems: string[]): URL | null {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // Reported below with the same words as a wrong scheme.
  }
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    problems.push(`${variable}: expected an http(s) URL, got "${value}"`);
    return null;
  }
  return url;
}

/**
 * Reads the OpenTelemetry variables ({@link loadTracingConfig}) and, when they name an endpoint,
 * starts tracing (`startTracing` in `./tracing`). The OpenTelemetry SDK is loaded only then: a
 * process that does not trace does not pay its start-up time (about 200 ms).
 *
 * @param options.warn - told when spans cannot be exported.
 * @returns the running tracing, or `null` when tracing is off.
 * @throws {ConfigError} naming the variable that is wrong.
 */
export async function tracingFromEnv(
  ladderProcess: LadderProcess,
  options: { warn?: (message: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessTracing | null> {
  const config = loadTracingConfig(ladderProcess, options.env);
  if (config === null) return null;
  const { startTracing } = await import('./tracing');
  return startTracing(config, options);
}
