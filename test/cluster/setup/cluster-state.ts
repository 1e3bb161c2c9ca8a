import { LOCAL_CLUSTER_DEFAULT_PORTS } from '../../../config/env';

/**
 * The local cluster the suite runs against: the frontend `scripts/cluster.sh` starts, at
 * LADDER_CLUSTER_FRONTEND_PORT when set (as for the script), else its default port.
 */
export function clusterFrontendAddress(env: NodeJS.ProcessEnv = process.env): string {
  const port = env.LADDER_CLUSTER_FRONTEND_PORT || String(LOCAL_CLUSTER_DEFAULT_PORTS.frontend);
  return `127.0.0.1:${port}`;
}

/** Set by global setup when it started the cluster itself, so teardown stops only what it started. */
export const STARTED_BY_SUITE_VARIABLE = 'LADDER_CLUSTER_STARTED_BY_TESTS';
