import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { LADDER_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import { freePort } from '../helpers/ports';
import { testServerAddress } from '../helpers/temporal';

// scripts/cluster.sh itself: idempotent `up`, `status`, `down` keeping data, `down --wipe` removing
// it, and a cluster started from nothing in its own folder on its own ports.
const ROOT = resolve(__dirname, '..', '..');
const CLUSTER_SH = join(ROOT, 'scripts', 'cluster.sh');
const PROCESSES = ['postgres', 'history', 'matching', 'frontend', 'worker', 'ui'];

function cluster(args: string[], env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync('bash', [CLUSTER_SH, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** `status` output as process → { pid, state }. */
function statusTable(stdout: string): Record<string, { pid: string; state: string }> {
  const table: Record<string, { pid: string; state: string }> = {};
  for (const line of stdout.split('\n').slice(1)) {
    const [name, pid, , ...state] = line.trim().split(/\s+/);
    if (name) table[name] = { pid, state: state.join(' ') };
  }
  return table;
}

describe('scripts/cluster.sh', () => {
  it('reports every process running, and `up` on a running cluster restarts none of them', () => {
    const before = cluster(['status']);
    expect(before.status).toBe(0);
    const table = statusTable(before.stdout);
    expect(Object.keys(table)).toEqual(PROCESSES);
    for (const name of PROCESSES)
      expect(table[name]).toEqual({ pid: expect.stringMatching(/^\d+$/), state: 'running' });

    const up = cluster(['up']);
    expect(up.status).toBe(0);
    for (const name of PROCESSES) expect(up.stderr).toContain(`${name} already running`);
    expect(statusTable(cluster(['status']).stdout)).toEqual(table);
  });

  it("registers exactly Ladder's search attributes, each with its type, on SQL visibility", async () => {
    const connection = await Connection.connect({ address: testServerAddress() });
    try {
      const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      const expected = Object.fromEntries(
        LADDER_SEARCH_ATTRIBUTES.map((key) => [key.name, encodeSearchAttributeIndexedValueType(key.type)]),
      );
      expect(listed.customAttributes).toEqual(expected);
      // Guards the check above against an encoding that maps every type to one value.
      expect(
        new Set(Object.values(SearchAttributeType).map(encodeSearchAttributeIndexedValueType)).size,
      ).toBe(7);
    } finally {
      await connection.close();
    }
  });

  it('keeps the data across `down` and `up`: a workflow started before is still running after', async () => {
    let connection = await Connection.connect({ address: testServerAddress() });
    const workflowId = `cluster-persistence-${Date.now()}`;
    // No worker polls this queue: the workflow just stays open, in PostgreSQL.
    await new Client({ connection }).workflow.start('NoSuchWorkflow', {
      workflowId,
      taskQueue: 'cluster-persistence-no-worker',
      workflowExecutionTimeout: '10 minutes',
    });
    await connection.close();

    const down = cluster(['down']);
    expect(down.status).toBe(0);
    expect(cluster(['status']).status).toBe(3);
    const up = cluster(['up']);
    expect(up.status).toBe(0);

    connection = await Connection.connect({ address: testServerAddress() });
    try {
      const handle = new Client({ connection }).workflow.getHandle(workflowId);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      await handle.terminate('persistence test done');
    } finally {
      await connection.close();
    }
  });

  it('starts a second cluster from nothing in its own folder on its own ports, and `down --wipe` removes its data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ladder-cluster-fresh-'));
    // As root, PostgreSQL runs as `postgres`, which must be able to enter the folder.
    chmodSync(dir, 0o755);
    const env: NodeJS.ProcessEnv = {
      LADDER_CLUSTER_DIR: dir,
      LADDER_CLUSTER_BIN_DIR: process.env.LADDER_CLUSTER_BIN_DIR ?? join(ROOT, '.temporal', 'cluster', 'bin'),
    };
    for (const variable of [
      'LADDER_CLUSTER_PG_PORT',
      'LADDER_CLUSTER_FRONTEND_PORT',
      'LADDER_CLUSTER_FRONTEND_HTTP_PORT',
      'LADDER_CLUSTER_HISTORY_PORT',
      'LADDER_CLUSTER_MATCHING_PORT',
      'LADDER_CLUSTER_WORKER_PORT',
      'LADDER_CLUSTER_FRONTEND_MEMBERSHIP_PORT',
      'LADDER_CLUSTER_HISTORY_MEMBERSHIP_PORT',
      'LADDER_CLUSTER_MATCHING_MEMBERSHIP_PORT',
      'LADDER_CLUSTER_WORKER_MEMBERSHIP_PORT',
      'LADDER_CLUSTER_UI_PORT',
    ])
      env[variable] = String(await freePort());
    try {
      const up = cluster(['up'], env);
      if (up.status !== 0)
        throw new Error(`up exited ${up.status}:\n${up.stdout}\n${up.stderr.slice(-3000)}`);
      expect(up.stderr).toContain('creating the PostgreSQL data folder');
      expect(up.stdout).toContain('created namespace default');
      expect(up.stdout).toContain(`frontend 127.0.0.1:${env.LADDER_CLUSTER_FRONTEND_PORT}`);
      const status = cluster(['status'], env);
      expect(status.status).toBe(0);
      expect(status.stdout).toContain(`${env.LADDER_CLUSTER_UI_PORT}`);

      const down = cluster(['down', '--wipe'], env);
      expect(down.status).toBe(0);
      expect(cluster(['status'], env).status).toBe(3);
      expect(existsSync(join(dir, 'pg'))).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(['.lock', 'config']);
    } finally {
      cluster(['down', '--wipe'], env);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
