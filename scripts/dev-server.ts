import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { LADDER_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { dynamicConfigFlags } from './temporal-dynamic-config';
import { applyRetentionDays } from './retention';

/** Options for {@link startDevServer}. */
export interface DevServerOptions {
  /** Path of the `temporal` executable. */
  cliPath: string;
  /** Interface to bind; tests and the run command use 127.0.0.1 only. */
  ip?: string;
  /** gRPC frontend port. */
  port: number;
  /** Web UI port; omit to run headless (tests). */
  uiPort?: number;
  /** SQLite file for persistence; omit for an in-memory server (tests). */
  dbPath?: string;
  namespace?: string;
  /**
   * Whole days the namespace keeps closed workflows, set once the server answers (the dev server's
   * own default is one day); omit to leave the server's default (tests).
   */
  retentionDays?: number;
  /** How long to wait for the server to answer before giving up, in milliseconds. */
  readyTimeoutMs?: number;
  /** Where the server's own output goes; defaults to being discarded except the tail kept for errors. */
  onOutput?: (chunk: string) => void;
  /** Port of the server's Prometheus `/metrics` endpoint (on `ip`); omit for none (the bench reads it). */
  metricsPort?: number;
}

/** A running dev server started by {@link startDevServer}. */
export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  /** The namespace's retention read back after setting it, in ms; absent when none was asked for. */
  retentionMs?: number;
  /** The Prometheus endpoint, e.g. http://127.0.0.1:9090/metrics, when `metricsPort` was given. */
  metricsUrl?: string;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`) and resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `temporal server start-dev` as a child process with Ladder's search attributes registered
 * and SQLite in WAL mode, then waits until its frontend answers a namespace lookup.
 *
 * We do our own start and readiness wait because the SDK harness gives the server 5 s to connect,
 * which a loaded 2-core machine can exceed.
 *
 * @throws Error naming the port and the server's last output when it exits early or never answers.
 */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const ip = options.ip ?? '127.0.0.1';
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', ip, '--port', String(options.port), '--namespace', namespace];
  args.push('--log-level', 'warn');
  if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
  if (options.uiPort !== undefined) {
    args.push('--ui-ip', ip, '--ui-port', String(options.uiPort));
  } else {
    args.push('--headless');
  }
  if (options.dbPath !== undefined) {
    mkdirSync(dirname(options.dbPath), { recursive: true });
    args.push('--db-filename', options.dbPath);
    // WAL lets readers (the UI, visibility queries) proceed while the server writes.
    args.push('--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal');
  }
  for (const key of LADDER_SEARCH_ATTRIBUTES) {
    args.push('--search-attribute', `${key.name}=${searchAttributeTypeName(key.type)}`);
  }
  args.push(...dynamicConfigFlags());

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-4000);
    options.onOutput?.(text);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const exited = new Promise<number | null>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit(code ?? (signal ? -1 : null)));
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  child.once('error', (err) => {
    tail += `\n${err.message}`;
  });

  const address = `${ip}:${options.port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  for (;;) {
    if (hasExited) {
      throw new Error(
        `The Temporal dev server exited during start-up (port ${options.port}${
          options.uiPort ? `, UI port ${options.uiPort}` : ''
        } may be in use). Its last output:\n${tail.trim() || '(none)'}`,
      );
    }
    if (await answers(address, namespace)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `The Temporal dev server on ${address} did not answer within ${(options.readyTimeoutMs ?? 120_000) / 1000}s. Last output:\n${tail.trim()}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }

  const server: DevServer = {
    address,
    namespace,
    uiUrl: options.uiPort !== undefined ? `http://localhost:${options.uiPort}` : undefined,
    ...(options.metricsPort !== undefined
      ? { metricsUrl: `http://${ip}:${options.metricsPort}/metrics` }
      : {}),
    process: child,
    async stop(graceMs = 10_000): Promise<void> {
      if (hasExited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  if (options.retentionDays !== undefined) {
    // Before anything runs on it: a workflow keeps the retention in force when it closes.
    try {
      server.retentionMs = await withConnection(address, (connection) =>
        applyRetentionDays(connection.workflowService, namespace, options.retentionDays!),
      );
    } catch (err) {
      await server.stop();
      throw err;
    }
  }
  return server;
}

async function withConnection<T>(address: string, use: (connection: Connection) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address });
  try {
    return await use(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function answers(address: string, namespace: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1_000 });
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function searchAttributeTypeName(valueType: string): string {
  switch (valueType) {
    case 'KEYWORD':
      return 'Keyword';
    case 'INT':
      return 'Int';
    case 'TEXT':
      return 'Text';
    case 'DOUBLE':
      return 'Double';
    case 'BOOL':
      return 'Bool';
    case 'DATETIME':
      return 'Datetime';
    case 'KEYWORD_LIST':
      return 'KeywordList';
    default:
      throw new Error(`unsupported search attribute type ${valueType}`);
  }
}
