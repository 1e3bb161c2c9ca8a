import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TEST_ENV } from '../setup/shared-state';
import { spawnNode, type Spawned } from './processes';

// Real worker processes (dist/worker/main.js, as `npm run worker` runs it) for the tests that kill
// one, run two on one queue, or stand in for two hosts.

/** The worker's entry point, built by `npm run build`. */
export const WORKER_MAIN = resolve(__dirname, '..', '..', 'dist', 'worker', 'main.js');

/** A fresh temporary folder holding the `workspace`, `sandbox` and `state` a worker acts in. */
export function makeWorkerDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ladder-${name}-`));
  for (const d of ['workspace', 'sandbox', 'state']) mkdirSync(join(dir, d));
  return dir;
}

/**
 * The environment a spawned worker needs: the server, its task queue and policy, the folders of
 * `dir` (from {@link makeWorkerDir}), the run's workflow bundle, and the Slack emulator at
 * `slackApiUrl` (without Slack credentials the worker posts there). `extra` adds or overrides.
 */
export function workerProcessEnv(options: {
  address: string;
  taskQueue: string;
  policyPath: string;
  dir: string;
  slackApiUrl: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  const { dir } = options;
  return {
    TEMPORAL_ADDRESS: options.address,
    LADDER_TASK_QUEUE: options.taskQueue,
    LADDER_POLICY_PATH: options.policyPath,
    LADDER_WORKSPACE_ROOT: join(dir, 'workspace'),
    LADDER_SANDBOX_DIR: join(dir, 'sandbox'),
    LADDER_STATE_DIR: join(dir, 'state'),
    LADDER_WORKFLOW_BUNDLE: process.env[TEST_ENV.bundlePath]!,
    LOG_LEVEL: 'info',
    LADDER_EMULATOR_PORT: new URL(options.slackApiUrl).port,
    ...options.extra,
  };
}

/** Spawns a worker with `env`, adds it to `spawned` (for the SIGKILL in afterAll), and resolves once it polls. */
export async function startWorkerProcess(env: Record<string, string>, spawned: Spawned[]): Promise<Spawned> {
  const worker = spawnNode(WORKER_MAIN, env);
  spawned.push(worker);
  await worker.waitForOutput(/worker polling/);
  return worker;
}

/** The non-empty lines of `file` in `dir`'s sandbox; none while it does not exist. */
export function sandboxLines(dir: string, file: string): string[] {
  const path = join(dir, 'sandbox', file);
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}
