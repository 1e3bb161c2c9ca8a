import type { Config } from '../config/env';
import { connectClient } from '../worker/connection';

/** How long the run command waits for an existing Temporal to answer before it gives up, in ms. */
export const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Checks that the Temporal cluster the run command was pointed at answers and holds the namespace,
 * before anything is started against it. A silent cluster otherwise shows up later as a worker
 * that never gets ready, with nothing saying why.
 *
 * @throws Error naming the address, what failed, and what to do (`bash scripts/cluster.sh up` for
 *   the local cluster; the TEMPORAL_* settings for any other).
 */
export async function checkTemporalAnswers(config: Config, timeoutMs = ANSWER_TIMEOUT_MS): Promise<void> {
  if (config.temporal.kind !== 'cluster') return;
  const where = `${config.temporal.address}, namespace ${config.namespace}`;
  const hint = config.temporal.localCluster
    ? 'start the local cluster with `bash scripts/cluster.sh up` (LADDER_TEMPORAL=cluster), or unset LADDER_TEMPORAL to use the dev server'
    : 'check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and the TLS or API key settings';
  let client: Awaited<ReturnType<typeof connectClient>> | undefined;
  try {
    client = await connectClient(config, { connectTimeoutMs: timeoutMs });
    const connected = client;
    await connected.connection.withDeadline(Date.now() + timeoutMs, () =>
      connected.workflowService.describeNamespace({ namespace: config.namespace }),
    );
  } catch (err) {
    const reason = (err as { details?: string }).details || (err as Error).message || String(err);
    throw new Error(`Temporal at ${where} does not answer (${reason}): ${hint}.`, { cause: err });
  } finally {
    await client?.connection.close().catch(() => undefined);
  }
}
