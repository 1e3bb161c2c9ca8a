import {
  clusterTable,
  parseClusterBenchOptions,
  summarizeConfiguration,
  CLUSTER_CONFIGURATIONS,
} from '../../bench/cluster';
import type { BatchResult } from '../../bench/tasks/batches';

/** A batch with only what the summary reads. */
const batch = (
  tasksPerSecond: number,
  p50: number,
  cpu: Record<string, number>,
  otherLoadCores: number,
): BatchResult =>
  ({
    tasksPerSecond,
    taskWallMs: { count: 1, p50, p99: p50, max: p50 },
    cpuMsPerTask: cpu,
    otherLoadCores,
  }) as BatchResult;

describe('bench:cluster', () => {
  it('measures the dev server, then the cluster with one worker and with two', () => {
    expect(CLUSTER_CONFIGURATIONS.map((c) => [c.server, c.workers])).toEqual([
      ['dev server', 1],
      ['local cluster', 1],
      ['local cluster', 2],
    ]);
  });

  it('runs three batches of 300 by default, two of 100 with --quick, and refuses a bad size by name', () => {
    expect(parseClusterBenchOptions([])).toMatchObject({
      n: 300,
      rounds: 3,
      quick: false,
      out: 'bench/results/cluster.json',
    });
    expect(parseClusterBenchOptions(['--quick'])).toMatchObject({
      n: 100,
      rounds: 2,
      out: 'bench/results/cluster-quick.json',
    });
    expect(parseClusterBenchOptions(['--quick', '--n', '50'])).toMatchObject({ n: 50, rounds: 2 });
    expect(() => parseClusterBenchOptions(['--n', '5'])).toThrow(
      /--n <tasks>.*expected a whole number ≥ 10, got "5"/,
    );
  });

  it('sums a configuration up: median rate with its range, and CPU per task of all its workers and server services', () => {
    const row = summarizeConfiguration({
      configuration: CLUSTER_CONFIGURATIONS[2],
      batches: [
        batch(
          10,
          800,
          {
            'Ladder worker': 40,
            'Ladder worker 2': 30,
            'temporal history': 20,
            'temporal frontend': 5,
            'Slack emulator': 3,
          },
          0.3,
        ),
        batch(
          14,
          600,
          {
            'Ladder worker': 30,
            'Ladder worker 2': 30,
            'temporal history': 10,
            'temporal frontend': 5,
          },
          0.5,
        ),
      ],
    });
    expect(row).toEqual({
      configuration: 'cluster, 2 workers',
      batches: 2,
      tasksPerSecond: { median: 12, min: 10, max: 14 },
      taskWallP50Ms: 700,
      workerCpuMsPerTask: 65,
      serverCpuMsPerTask: 20,
      otherLoadCores: 0.4,
    });
    const table = clusterTable([
      row,
      {
        ...summarizeConfiguration({ configuration: CLUSTER_CONFIGURATIONS[0], batches: [] }),
        problem: 'stalled',
      },
    ]);
    expect(table).toContain(
      '| cluster, 2 workers | 2 | 12.0 (10.0–14.0) | 700 ms | 65 ms | 20 ms | 0.40 cores |',
    );
    expect(table).toContain(
      '| dev server, 1 worker | 0 | — (—–—) | — ms | — ms | — ms | — cores | stopped: stalled',
    );
  });
});
