/** The variables that decide which Temporal, namespace and task queue a `ladder` command reaches. */
const TARGET_VARIABLES = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'LADDER_TASK_QUEUE'] as const;

/**
 * What to put before a `ladder` command typed in another shell so that it reaches the Temporal
 * this run uses, as `VAR=value ` pairs (empty on the default dev server). The CLI reads the same
 * variables as the run command, and a shell without them reaches the dev server's default address:
 * on the local cluster that command failed with "cannot reach Temporal at 127.0.0.1:7233". Pure.
 *
 * @param env - the run command's environment (its own `process.env`).
 */
export function cliEnvPrefix(env: NodeJS.ProcessEnv): string {
  const pairs: string[] = [];
  if (env.TEMPORAL_ADDRESS === undefined && env.LADDER_TEMPORAL === 'cluster')
    pairs.push('LADDER_TEMPORAL=cluster');
  for (const variable of TARGET_VARIABLES) {
    const value = env[variable];
    if (value !== undefined && value !== '')
      pairs.push(`${variable}=${/^[\w.:/@-]+$/.test(value) ? value : `'${value}'`}`);
  }
  return pairs.length > 0 ? `${pairs.join(' ')} ` : '';
}
