import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { ClientInterceptors, TLSConfig } from '@temporalio/client';
import type { Config } from '../config/env';

/**
 * TLS settings for the configured cluster, reading certificate files once.
 * `undefined` means plaintext (the local dev server); `true` means system roots, no client cert.
 *
 * @throws Error naming the variable whose file cannot be read.
 */
export function temporalTls(config: Config): TLSConfig | boolean | undefined {
  if (config.temporal.kind !== 'cluster' || config.temporal.tls === undefined) return undefined;
  const { certPath, keyPath, caPath, serverName } = config.temporal.tls;
  if (!certPath && !caPath && !serverName) return true;
  return {
    serverNameOverride: serverName,
    serverRootCACertificate: caPath ? readConfigFile('TEMPORAL_TLS_CA_PATH', caPath) : undefined,
    clientCertPair:
      certPath && keyPath
        ? {
            crt: readConfigFile('TEMPORAL_TLS_CERT_PATH', certPath),
            key: readConfigFile('TEMPORAL_TLS_KEY_PATH', keyPath),
          }
        : undefined,
  };
}

function readConfigFile(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(
      `${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      {
        cause: err,
      },
    );
  }
}

function apiKeyOf(config: Config): string | undefined {
  return config.temporal.kind === 'cluster' ? config.temporal.apiKey : undefined;
}

/**
 * Opens a client connection (for starting workflows, queries, updates) to the configured Temporal.
 *
 * @param options.interceptors - e.g. the tracing interceptors of a process that traces.
 * @param options.connectTimeoutMs - how long to try to connect before giving up (SDK default: 10 s).
 */
export async function connectClient(
  config: Config,
  options: { interceptors?: ClientInterceptors; connectTimeoutMs?: number } = {},
): Promise<Client> {
  const connection = await Connection.connect({
    address: config.temporal.address,
    tls: temporalTls(config),
    apiKey: apiKeyOf(config),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeout: options.connectTimeoutMs } : {}),
  });
  return new Client({
    connection,
    namespace: config.namespace,
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
  });
}

/** Opens the native connection a worker polls on. */
export async function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect({
    address: config.temporal.address,
    tls: temporalTls(config),
    apiKey: apiKeyOf(config),
  });
}
