import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createAnswerSigner,
  generateAnswerKey,
  publicAnswerKey,
  writeAnswerKeyFile,
  type AnswerSigner,
} from '../../../client/answer-signer';
import type { WorkflowHandle } from '@temporalio/client';
import { freePort } from '../../helpers/ports';
import { spawnNode, type Spawned } from '../../helpers/processes';
import { testServerAddress } from '../../helpers/temporal';
import { TEST_ENV } from '../../setup/shared-state';

const ROOT = resolve(__dirname, '..', '..', '..');
const DIST = {
  worker: join(ROOT, 'dist', 'worker', 'main.js'),
  slack: join(ROOT, 'dist', 'slack', 'main.js'),
  api: join(ROOT, 'dist', 'api', 'main.js'),
};
const POLICY_FIXTURE = resolve(__dirname, '..', 'fixtures', 'policies', 'scale-out.yaml');

/** Ids of the keys one deployment's run uses: one per frontend process, and the admin's own. */
export const FRONTEND_KEY_IDS = ['frontend-a', 'frontend-b'] as const;
export const ADMIN = 'U0ADMIN01';

/** One deployment of Ladder on the cluster: its folders, policy, keys and shared environment. */
export interface Deployment {
  base: string;
  policyPath: string;
  /** Private key file of each frontend, by key id. */
  frontendKeyPaths: Record<(typeof FRONTEND_KEY_IDS)[number], string>;
  /** The admin U0ADMIN01's operator key (kill switch, agent tokens). */
  adminSigner: AnswerSigner;
  /** What every process of the deployment is started with. */
  env: Record<string, string>;
  /** Lines of a file in the sandbox every worker runs shell steps in. */
  sandboxLines(file: string): string[];
}

/**
 * Makes a fresh deployment folder: workspace, sandbox, state, a copy of the scale-out policy and
 * the keys.json it names, listing both frontends' public keys and the admin's.
 *
 * @param emulatorPort - the Slack emulator's port (workers post there, frontends answer through it).
 */
export function newDeployment(name: string, emulatorPort: number): Deployment {
  const base = mkdtempSync(join(tmpdir(), `ladder-cluster-${name}-`));
  for (const d of ['workspace', 'sandbox', 'state', 'keys']) mkdirSync(join(base, d));
  const policyPath = join(base, 'policy.yaml');
  copyFileSync(POLICY_FIXTURE, policyPath);
  const frontendKeyPaths = {} as Deployment['frontendKeyPaths'];
  const files = FRONTEND_KEY_IDS.map((id) => {
    const file = generateAnswerKey(id, 'frontend');
    frontendKeyPaths[id] = join(base, 'keys', `${id}.key.json`);
    writeAnswerKeyFile(frontendKeyPaths[id], file);
    return file;
  });
  const admin = generateAnswerKey(`operator-${ADMIN}`, 'operator', ADMIN);
  writeFileSync(
    join(base, 'keys.json'),
    `${JSON.stringify({ keys: [...files, admin].map(publicAnswerKey) }, null, 2)}\n`,
  );
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: testServerAddress(),
    LADDER_TASK_QUEUE: `cluster-${name}-${randomUUID().slice(0, 8)}`,
    LADDER_POLICY_PATH: policyPath,
    LADDER_WORKSPACE_ROOT: join(base, 'workspace'),
    LADDER_SANDBOX_DIR: join(base, 'sandbox'),
    LADDER_STATE_DIR: join(base, 'state'),
    LADDER_KEYS_DIR: join(base, 'keys'),
    LADDER_WORKFLOW_BUNDLE: process.env[TEST_ENV.bundlePath]!,
    LADDER_EMULATOR_PORT: String(emulatorPort),
    LOG_LEVEL: 'info',
  };
  return {
    base,
    policyPath,
    frontendKeyPaths,
    adminSigner: createAnswerSigner(admin),
    env,
    sandboxLines(file) {
      const path = join(base, 'sandbox', file);
      return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
    },
  };
}

/** Starts one worker process (dist/worker/main.js) of the deployment; resolves once it polls. */
export async function startWorkerProcess(deployment: Deployment): Promise<Spawned> {
  const worker = spawnNode(DIST.worker, deployment.env);
  await worker.waitForOutput(/worker polling/);
  return worker;
}

/** A Slack frontend process (dist/slack/main.js) and the request URL it listens on. */
export interface Frontend {
  keyId: (typeof FRONTEND_KEY_IDS)[number];
  process: Spawned;
  requestUrl: string;
  /**
   * Its structured log lines that name `workflowId` (answers recorded or refused), as
   * `{msg, workflowId}` objects.
   */
  answersFor(workflowId: string): { msg: string; workflowId: string }[];
  /** Every answer it logged as recorded or refused, in order. */
  answers(): { msg: string; workflowId: string }[];
}

/**
 * Starts a Slack frontend of the deployment with its own answer key; every frontend verifies the
 * same emulator signing secret.
 */
export async function startFrontend(
  deployment: Deployment,
  keyId: Frontend['keyId'],
  signingSecret: string,
): Promise<Frontend> {
  const port = await freePort();
  mkdirSync(join(deployment.base, `state-${keyId}`), { recursive: true });
  const proc = spawnNode(DIST.slack, {
    ...deployment.env,
    LADDER_SLACK_PORT: String(port),
    LADDER_EMULATOR_SIGNING_SECRET: signingSecret,
    LADDER_FRONTEND_KEY: deployment.frontendKeyPaths[keyId],
    // Its own policy memory: two frontends must not share a last-good copy.
    LADDER_STATE_DIR: join(deployment.base, `state-${keyId}`),
  });
  await proc.waitForOutput(/"msg":"slack app listening"/);
  const listening = JSON.parse(
    proc
      .stdout()
      .split('\n')
      .find((l) => l.includes('"msg":"slack app listening"'))!,
  ) as { url: string };
  const answers = () =>
    proc
      .stdout()
      .split('\n')
      .filter((l) => /"msg":"(task answered from Slack|slack answer refused)"/.test(l))
      .map((l) => JSON.parse(l) as { msg: string; workflowId: string });
  return {
    keyId,
    process: proc,
    requestUrl: listening.url,
    answers,
    answersFor: (workflowId) => answers().filter((a) => a.workflowId === workflowId),
  };
}

/** An agent API process (dist/api/main.js) of the deployment and its base URL. */
export interface ApiProcess {
  process: Spawned;
  url: string;
}

/** Starts an agent API process of the deployment on a free port. */
export async function startApiProcess(deployment: Deployment, name: string): Promise<ApiProcess> {
  const port = await freePort();
  mkdirSync(join(deployment.base, `state-${name}`), { recursive: true });
  const proc = spawnNode(DIST.api, {
    ...deployment.env,
    LADDER_API_PORT: String(port),
    LADDER_STATE_DIR: join(deployment.base, `state-${name}`),
  });
  await proc.waitForOutput(/Ladder agent API on/);
  return { process: proc, url: `http://127.0.0.1:${port}` };
}

/** A fresh emulator signing secret: the one every frontend of the app verifies. */
export function newSigningSecret(): string {
  return randomBytes(16).toString('hex');
}

/** Ends every process still running, with SIGKILL (they hold no state a test reads afterwards). */
export async function killAll(processes: Spawned[]): Promise<void> {
  for (const p of processes)
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(processes.map((p) => p.exited));
}

/** Pids of the worker processes that started any activity of the task (from its history's identities). */
export async function activityWorkerPids(handle: WorkflowHandle): Promise<Set<number>> {
  const pids = new Set<number>();
  for (const event of (await handle.fetchHistory()).events ?? []) {
    // Ladder's worker identity is `ladder-worker@<host>/<pid>` (worker/create-worker.ts).
    const pid = /\/(\d+)$/.exec(event.activityTaskStartedEventAttributes?.identity ?? '')?.[1];
    if (pid) pids.add(Number(pid));
  }
  return pids;
}
