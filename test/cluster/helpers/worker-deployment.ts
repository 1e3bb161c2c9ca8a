import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The `temporal worker deployment` commands of a rollout (docs/deploy.md), for one deployment. */
export interface WorkerDeploymentCli {
  /** `set-current-version`: new workflows and AUTO_UPGRADE ones go to this build from now on. */
  setCurrentVersion(buildId: string): Promise<void>;
  /**
   * `describe-version`'s drainage status: "draining" while workflows pinned to a version that is no
   * longer current are open, "drained" once none are, "" while the version is current.
   */
  drainageStatus(buildId: string): Promise<string>;
}

/**
 * Runs the Temporal CLI's worker deployment commands against `address`, exactly as an operator
 * types them (plus `--address`, and `--output json` where the test reads the answer).
 *
 * @param cliPath - the `temporal` binary.
 * @param address - the frontend, host:port.
 * @param deploymentName - the worker deployment (`LADDER_WORKER_DEPLOYMENT`).
 */
export function workerDeploymentCli(
  cliPath: string,
  address: string,
  deploymentName: string,
): WorkerDeploymentCli {
  const temporal = async (...args: string[]): Promise<string> => {
    try {
      const { stdout } = await run(cliPath, [...args, '--address', address], { timeout: 30_000 });
      return stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`temporal ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
    }
  };
  return {
    async setCurrentVersion(buildId) {
      await temporal(
        'worker',
        'deployment',
        'set-current-version',
        '--deployment-name',
        deploymentName,
        '--build-id',
        buildId,
        '--yes',
      );
    },
    async drainageStatus(buildId) {
      const out = await temporal(
        'worker',
        'deployment',
        'describe-version',
        '--deployment-name',
        deploymentName,
        '--build-id',
        buildId,
        '--output',
        'json',
      );
      const described = JSON.parse(out) as { drainageInfo?: { drainageStatus?: string } };
      return described.drainageInfo?.drainageStatus ?? '';
    },
  };
}

/**
 * Calls `attempt` until it resolves, at most until `timeoutMs`: a version exists for the server
 * only once its workers' first polls reach it, so the first `set-current-version` may be refused.
 *
 * @throws the last attempt's error once the time is up.
 */
export async function retryUntilDone<T>(attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
