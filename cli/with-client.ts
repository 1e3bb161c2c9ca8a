import type { Client } from '@temporalio/client';
import { ConfigError, loadConfig, type Config } from '../config/env';
import { tracingFromEnv } from '../observability/tracing-config';
import type { ProcessTracing } from '../observability/tracing';
import { connectClient } from '../worker/connection';
import { CliError } from './policy-commands';

/**
 * Runs one command with a Temporal client and the configuration, turning a bad environment and
 * an unreachable Temporal into CLI errors that say what to do; always closes the connection.
 */
export async function withClient<T>(run: (client: Client, config: Config) => Promise<T>): Promise<T> {
  let config: Config;
  let tracing: ProcessTracing | null;
  try {
    config = loadConfig();
    // With an OTLP endpoint configured, the command's calls start traces that follow into the worker.
    tracing = await tracingFromEnv('cli', {
      warn: (message) => process.stderr.write(`ladder: ${message}\n`),
    });
  } catch (err) {
    if (err instanceof ConfigError)
      throw new CliError(err.problems.map((p) => `Configuration error: ${p}`).join('\n'));
    throw err;
  }
  let client: Client;
  try {
    client = await connectClient(config, { interceptors: tracing?.clientInterceptors });
  } catch (err) {
    await tracing?.shutdown();
    throw new CliError(
      `cannot reach Temporal at ${config.temporal.address}: ${(err as Error).message}. Is Ladder running (scripts/start.sh)?`,
    );
  }
  try {
    return await run(client, config);
  } finally {
    // A close that fails must not replace what the command returned or threw (its exit code).
    await client.connection.close().catch(() => undefined);
    await tracing?.shutdown();
  }
}
