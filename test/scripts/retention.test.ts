import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from '../../scripts/dev-server';
import {
  applyRetentionDays,
  DAY_MS,
  formatRetention,
  readRetentionMs,
  retentionSummary,
} from '../../scripts/retention';
import { freePort } from '../helpers/ports';
import { childPids, isAlive, spawnNode, type Spawned } from '../helpers/processes';
import { testServerAddress } from '../helpers/temporal';
import { waitUntil } from '../helpers/wait';
import { isolatedDirs } from '../helpers/start-env';
import { TEST_ENV } from '../setup/shared-state';

// Retention: the run command sets it on the dev server it starts (LADDER_RETENTION_DAYS, default
// 30), and on a cluster reads it and warns when it is shorter. Read back with describeNamespace.

const START = resolve(__dirname, '..', '..', 'dist', 'scripts', 'start.js');

describe('retention of closed workflows', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: testServerAddress() });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('sets the retention of a namespace and reads it back, leaving its search attributes alone', async () => {
    const service = connection.workflowService;
    // Retention applies to workflows as they close, so changing the shared server's namespace is harmless.
    await expect(applyRetentionDays(service, 'default', 30)).resolves.toBe(30 * DAY_MS);
    const described = await service.describeNamespace({ namespace: 'default' });
    expect(Number(described.config!.workflowExecutionRetentionTtl!.seconds)).toBe(30 * 86_400);
    await expect(applyRetentionDays(service, 'default', 7)).resolves.toBe(7 * DAY_MS);
    await expect(readRetentionMs(service, 'default')).resolves.toBe(7 * DAY_MS);
    // Only the retention field is sent: Ladder's search attributes stay registered.
    const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(attributes.customAttributes)).toEqual(
      expect.arrayContaining(['AgentId', 'TaskClass', 'Rung', 'Outcome', 'ApprovedBy']),
    );
  });

  it('names the namespace and the days when the server refuses, and refuses a non-whole number itself', async () => {
    const service = connection.workflowService;
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    await expect(applyRetentionDays(service, missing, 3)).rejects.toThrow(
      new RegExp(`^could not set the retention of namespace ${missing} to 3 day\\(s\\): .*${missing}`),
    );
    await expect(applyRetentionDays(service, 'default', 0.5)).rejects.toThrow(
      'retention for namespace default: expected a whole number of days ≥ 1, got 0.5',
    );
  });

  describe('a dev server started with retentionDays (as the run command starts it)', () => {
    let server: DevServer | undefined;
    afterAll(async () => {
      await server?.stop();
    });

    it('ends up with that retention on its namespace', async () => {
      server = await startDevServer({
        cliPath: process.env[TEST_ENV.cliPath]!,
        port: await freePort(),
        namespace: 'ladder-retention',
        retentionDays: 45,
        readyTimeoutMs: 180_000,
      });
      expect(server.retentionMs).toBe(45 * DAY_MS);
      const own = await Connection.connect({ address: server.address });
      try {
        const described = await own.workflowService.describeNamespace({ namespace: 'ladder-retention' });
        expect(Number(described.config!.workflowExecutionRetentionTtl!.seconds)).toBe(45 * 86_400);
      } finally {
        await own.close();
      }
    }, 240_000);
  });

  describe('the start summary', () => {
    it('says what was set on the dev server', () => {
      expect(retentionSummary({ kind: 'set', namespace: 'default', retentionMs: 30 * DAY_MS })).toEqual([
        'Retention:    30 days for closed workflows (namespace default, set from LADDER_RETENTION_DAYS)',
      ]);
    });

    it("prints a cluster's retention, with a warning only when it is shorter than LADDER_RETENTION_DAYS", () => {
      const longEnough = retentionSummary({
        kind: 'read',
        namespace: 'prod',
        retentionMs: 90 * DAY_MS,
        wantedDays: 30,
      });
      expect(longEnough).toEqual([
        "Retention:    90 days for closed workflows (namespace prod, the cluster's setting; Ladder does not change it)",
      ]);
      expect(
        retentionSummary({ kind: 'read', namespace: 'prod', retentionMs: null, wantedDays: 30 }),
      ).toHaveLength(1);
      const short = retentionSummary({
        kind: 'read',
        namespace: 'prod',
        retentionMs: DAY_MS,
        wantedDays: 30,
      });
      expect(short[0]).toBe(
        "Retention:    1 day for closed workflows (namespace prod, the cluster's setting; Ladder does not change it)",
      );
      expect(short[1]).toMatch(
        /^warning: namespace prod keeps closed workflows 1 day, less than LADDER_RETENTION_DAYS=30: .*--retention 30d.*ladder audit export --since/,
      );
      const unreadable = retentionSummary({
        kind: 'unreadable',
        namespace: 'prod',
        wantedDays: 30,
        error: 'permission denied',
      });
      expect(unreadable[0]).toBe('Retention:    unknown (namespace prod: permission denied)');
      expect(unreadable[1]).toMatch(/^warning: could not read .* LADDER_RETENTION_DAYS=30 cannot be checked/);
    });

    it('formats retentions as days, hours, or unlimited', () => {
      expect(formatRetention(DAY_MS)).toBe('1 day');
      expect(formatRetention(3 * DAY_MS)).toBe('3 days');
      expect(formatRetention(12 * 3_600_000)).toBe('12 hours');
      expect(formatRetention(3_600_000)).toBe('1 hour');
      expect(formatRetention(null)).toBe('unlimited');
    });
  });

  describe('the run command against a cluster (dist/scripts/start.js)', () => {
    let run: Spawned | undefined;
    afterEach(async () => {
      if (!run || run.child.exitCode !== null || run.child.signalCode !== null) return;
      for (const pid of childPids(run.child.pid!)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
      run.child.kill('SIGKILL');
      await run.exited;
    });

    it('prints the namespace retention and warns when it is shorter, without changing it', async () => {
      if (!existsSync(START)) throw new Error(`${START} is missing: run \`npm run build\` first`);
      // The cluster's operators chose one day; Ladder wants 30 and must only say so.
      await applyRetentionDays(connection.workflowService, 'default', 1);
      run = spawnNode(START, {
        TEMPORAL_ADDRESS: testServerAddress(),
        LADDER_RETENTION_DAYS: '30',
        LADDER_TASK_QUEUE: `retention-${randomUUID().slice(0, 8)}`,
        ...(await isolatedDirs()),
      });
      await run.waitForOutput(/Press Ctrl-C/, 180_000);
      const lines = run.stdout().split('\n');
      const at = lines.findIndex((l) => l.startsWith('  Retention:'));
      expect(lines[at]).toBe(
        "  Retention:    1 day for closed workflows (namespace default, the cluster's setting; Ladder does not change it)",
      );
      expect(lines[at + 1]).toMatch(
        /^ {2}warning: namespace default keeps closed workflows 1 day, less than LADDER_RETENTION_DAYS=30: /,
      );
      await expect(readRetentionMs(connection.workflowService, 'default')).resolves.toBe(DAY_MS);
      const children = childPids(run.child.pid!);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      await waitUntil(() => children.every((pid) => !isAlive(pid)));
    }, 240_000);
  });
});
