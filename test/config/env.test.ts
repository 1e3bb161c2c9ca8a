import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigError,
  DEFAULT_CACHED_WORKFLOWS,
  DEFAULT_WORKFLOW_THREADS,
  LOCAL_CLUSTER_DEFAULT_PORTS,
  DEFAULT_RETENTION_DAYS,
  loadConfig,
  loadPolicySizeLimit,
  loadWorkerTuning,
  workflowUiUrl,
} from '../../config/env';
import { problemsFor } from '../helpers/config';

describe('loadConfig', () => {
  it('defaults to the local dev server, the emulator and the example policy', () => {
    const config = loadConfig({});
    expect(config.temporal).toEqual({
      kind: 'dev-server',
      address: '127.0.0.1:7233',
      port: 7233,
      uiPort: 8233,
      dbPath: '.temporal/dev.db',
    });
    expect(config.namespace).toBe('default');
    expect(config.taskQueue).toBe('ladder');
    expect(config.policyPath).toBe('examples/policy.yaml');
    expect(config.temporalUiUrl).toBe('http://localhost:8233');
    expect(config.slack).toEqual({
      kind: 'emulator',
      port: 3000,
      emulatorPort: 3100,
      apiUrl: 'http://127.0.0.1:3100/api/',
      botToken: 'xoxb-ladder-local-emulator',
      signingSecret: undefined,
    });
  });

  it('connects to a cluster with TLS and an API key when TEMPORAL_ADDRESS is set', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'ns.a1b2.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'ns.a1b2',
      TEMPORAL_API_KEY: 'key-123',
      TEMPORAL_UI_URL: 'https://cloud.temporal.io/',
    });
    expect(config.temporal).toEqual({
      kind: 'cluster',
      address: 'ns.a1b2.tmprl.cloud:7233',
      tls: { certPath: undefined, keyPath: undefined, caPath: undefined, serverName: undefined },
      apiKey: 'key-123',
    });
    expect(config.temporalUiUrl).toBe('https://cloud.temporal.io');
    expect(workflowUiUrl(config, 'task/a/1')).toBe(
      'https://cloud.temporal.io/namespaces/ns.a1b2/workflows/task%2Fa%2F1',
    );
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: '', LADDER_TASK_QUEUE: '' }).temporal.kind).toBe('dev-server');
  });

  it.each([
    [
      'TEMPORAL_ADDRESS',
      'not a host:xx',
      'TEMPORAL_ADDRESS: expected host:port (e.g. localhost:7233), got "not a host:xx"',
    ],
    [
      'TEMPORAL_ADDRESS',
      'localhost',
      'TEMPORAL_ADDRESS: expected host:port (e.g. localhost:7233), got "localhost"',
    ],
    [
      'TEMPORAL_ADDRESS',
      'localhost:70000',
      'TEMPORAL_ADDRESS: expected host:port (e.g. localhost:7233), got "localhost:70000"',
    ],
    [
      'LADDER_DEV_SERVER_PORT',
      'seven',
      'LADDER_DEV_SERVER_PORT: expected a port number from 1 to 65535, got "seven"',
    ],
    ['LADDER_DEV_UI_PORT', '0', 'LADDER_DEV_UI_PORT: expected a port number from 1 to 65535, got "0"'],
    ['TEMPORAL_TLS', 'maybe', 'TEMPORAL_TLS: expected true or false, got "maybe"'],
    [
      'LOG_LEVEL',
      'loud',
      'LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [
      'LADDER_TASK_QUEUE',
      'has space',
      'LADDER_TASK_QUEUE: expected letters, digits, ".", "_" or "-", got "has space"',
    ],
    ['TEMPORAL_UI_URL', 'ftp://x', 'TEMPORAL_UI_URL: expected an http(s) URL, got "ftp://x"'],
    [
      'LADDER_POLICY_MAX_BYTES',
      '1MB',
      'LADDER_POLICY_MAX_BYTES: expected a whole number of bytes (e.g. 1048576 for 1 MiB), got "1MB"',
    ],
    [
      'LADDER_POLICY_MAX_BYTES',
      '-5',
      'LADDER_POLICY_MAX_BYTES: expected a whole number of bytes (e.g. 1048576 for 1 MiB), got "-5"',
    ],
    [
      'LADDER_POLICY_MAX_BYTES',
      '100',
      'LADDER_POLICY_MAX_BYTES: expected a number of bytes from 1024 to 67108864, got "100"',
    ],
    [
      'LADDER_POLICY_MAX_BYTES',
      '99999999999',
      'LADDER_POLICY_MAX_BYTES: expected a number of bytes from 1024 to 67108864, got "99999999999"',
    ],
    // A blank or non-decimal number is refused rather than read as 0 or hex: Number(" ") is 0, and a
    // blank cache size would have turned the cache off without a word.
    [
      'LADDER_WORKER_CACHED_WORKFLOWS',
      ' ',
      'LADDER_WORKER_CACHED_WORKFLOWS: expected a whole number of workflows (0 turns the cache off), got " "',
    ],
    [
      'LADDER_WORKER_SHUTDOWN_GRACE_MS',
      '\t',
      'LADDER_WORKER_SHUTDOWN_GRACE_MS: expected a whole number of milliseconds (0 cancels steps in flight at once), got "\\t"',
    ],
    [
      'LADDER_WORKER_WORKFLOW_THREADS',
      '0x2',
      'LADDER_WORKER_WORKFLOW_THREADS: expected a whole number of threads from 1 to 8, got "0x2"',
    ],
    [
      'LADDER_LATE_POST_GRACE_MS',
      '1e4',
      'LADDER_LATE_POST_GRACE_MS: expected a whole number of milliseconds, got "1e4"',
    ],
  ])('rejects %s=%j with a message naming the variable', (name, value, message) => {
    expect(problemsFor({ [name]: value })).toEqual([message]);
  });

  it('reports every wrong variable at once', () => {
    const problems = problemsFor({ TEMPORAL_ADDRESS: 'nope', LADDER_SLACK_PORT: 'x', LOG_LEVEL: 'loud' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'LADDER_SLACK_PORT',
      'LOG_LEVEL',
      'TEMPORAL_ADDRESS',
    ]);
  });

  it('requires the TLS certificate and key together', () => {
    expect(problemsFor({ TEMPORAL_ADDRESS: 'h:1', TEMPORAL_TLS_CERT_PATH: '/c.pem' })).toEqual([
      'TEMPORAL_TLS_KEY_PATH: expected TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH to be set together',
    ]);
  });

  it('refuses TLS or an API key without a cluster address', () => {
    expect(problemsFor({ TEMPORAL_API_KEY: 'k' })[0]).toMatch(
      /^TEMPORAL_ADDRESS: expected a cluster address/,
    );
  });

  it('never echoes a secret back in an error', () => {
    const problems = problemsFor({
      SLACK_BOT_TOKEN: 'xoxp-1234567890-secret',
      SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543',
    });
    expect(problems).toEqual([
      'SLACK_BOT_TOKEN: expected a bot token starting with xoxb-, got "xoxp-…(redacted)"',
    ]);
    expect(problems.join('\n')).not.toContain('1234567890');
  });

  it('chooses Slack HTTP mode, Socket Mode, or asks for the missing credential', () => {
    expect(
      loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543' })
        .slack.kind,
    ).toBe('http');
    expect(problemsFor({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' })).toEqual([
      'SLACK_SIGNING_SECRET: expected Slack\'s signing secret (32 characters, Basic Information → App Credentials → Signing Secret), got "***"',
    ]);
    expect(loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }).slack.kind).toBe('socket');
    expect(problemsFor({ SLACK_BOT_TOKEN: 'xoxb-1' })[0]).toMatch(
      /^SLACK_SIGNING_SECRET: expected a signing secret/,
    );
    expect(problemsFor({ SLACK_SIGNING_SECRET: '8f14e45fceea167a5a36dedd4bea2543' })[0]).toMatch(
      /^SLACK_BOT_TOKEN: expected a bot token/,
    );
  });

  it('limits policy files to 1 MiB unless LADDER_POLICY_MAX_BYTES says otherwise', () => {
    expect(loadConfig({}).policyLimits).toEqual({
      maxBytes: 1048576,
      maxBytesSetting: 'LADDER_POLICY_MAX_BYTES',
    });
    expect(loadConfig({ LADDER_POLICY_MAX_BYTES: '4096' }).policyLimits.maxBytes).toBe(4096);
  });

  it('reads the policy size limit alone, so a command that only loads a policy ignores other variables', () => {
    expect(loadPolicySizeLimit({ LADDER_POLICY_MAX_BYTES: '2048', TEMPORAL_ADDRESS: 'nope' })).toEqual({
      maxBytes: 2048,
      maxBytesSetting: 'LADDER_POLICY_MAX_BYTES',
    });
    expect(loadPolicySizeLimit({ LADDER_POLICY_MAX_BYTES: '' }).maxBytes).toBe(1048576);
    expect(() => loadPolicySizeLimit({ LADDER_POLICY_MAX_BYTES: 'lots' })).toThrow(
      new ConfigError([
        'LADDER_POLICY_MAX_BYTES: expected a whole number of bytes (e.g. 1048576 for 1 MiB), got "lots"',
      ]),
    );
  });

  it('sets the worker cache from LADDER_WORKER_CACHED_WORKFLOWS: 0 turns it off, 1 and fractions are refused', () => {
    expect(loadConfig({}).worker).toEqual({
      maxCachedWorkflows: DEFAULT_CACHED_WORKFLOWS,
      workflowThreads: DEFAULT_WORKFLOW_THREADS,
    });
    expect(loadConfig({ LADDER_WORKER_CACHED_WORKFLOWS: '500' }).worker.maxCachedWorkflows).toBe(500);
    expect(loadWorkerTuning({ LADDER_WORKER_CACHED_WORKFLOWS: '0', TEMPORAL_ADDRESS: 'nope' })).toEqual({
      maxCachedWorkflows: 0,
      workflowThreads: DEFAULT_WORKFLOW_THREADS,
    });
    expect(problemsFor({ LADDER_WORKER_CACHED_WORKFLOWS: '1' })).toEqual([
      'LADDER_WORKER_CACHED_WORKFLOWS: expected 0 (no cache) or at least 2, got "1"',
    ]);
    expect(() => loadWorkerTuning({ LADDER_WORKER_CACHED_WORKFLOWS: '2.5' })).toThrow(
      new ConfigError([
        'LADDER_WORKER_CACHED_WORKFLOWS: expected a whole number of workflows (0 turns the cache off), got "2.5"',
      ]),
    );
  });

  it('sets the workflow threads from LADDER_WORKER_WORKFLOW_THREADS, 1 to 8, refusing anything else by name', () => {
    expect(DEFAULT_WORKFLOW_THREADS).toBe(2);
    expect(loadConfig({ LADDER_WORKER_WORKFLOW_THREADS: '1' }).worker.workflowThreads).toBe(1);
    expect(loadWorkerTuning({ LADDER_WORKER_WORKFLOW_THREADS: '4' })).toEqual({
      maxCachedWorkflows: DEFAULT_CACHED_WORKFLOWS,
      workflowThreads: 4,
    });
    for (const bad of ['0', '9', '1.5', 'two'])
      expect(problemsFor({ LADDER_WORKER_WORKFLOW_THREADS: bad })).toEqual([
        `LADDER_WORKER_WORKFLOW_THREADS: expected a whole number of threads from 1 to 8, got "${bad}"`,
      ]);
    // Both tuning variables wrong: both named, in one error.
    expect(() =>
      loadWorkerTuning({ LADDER_WORKER_CACHED_WORKFLOWS: '1', LADDER_WORKER_WORKFLOW_THREADS: '0' }),
    ).toThrow(
      new ConfigError([
        'LADDER_WORKER_CACHED_WORKFLOWS: expected 0 (no cache) or at least 2, got "1"',
        'LADDER_WORKER_WORKFLOW_THREADS: expected a whole number of threads from 1 to 8, got "0"',
      ]),
    );
  });

  it('takes the worker host from LADDER_WORKER_HOST, unset by default, and refuses a name a queue cannot carry', () => {
    expect(loadConfig({}).workerHost).toBeUndefined();
    expect(loadConfig({ LADDER_WORKER_HOST: 'web-1.eu' }).workerHost).toBe('web-1.eu');
    expect(problemsFor({ LADDER_WORKER_HOST: 'web 1' })).toEqual([
      'LADDER_WORKER_HOST: expected a host name of letters, digits, ".", "_" or "-" (at most 63 characters), got "web 1"',
    ]);
    expect(problemsFor({ LADDER_WORKER_HOST: `h${'x'.repeat(63)}` })).toHaveLength(1);
  });

  it('serves /metrics on 127.0.0.1:9464 (worker), 9465 (Slack app) and 9466 (agent API) unless told otherwise', () => {
    expect(loadConfig({}).metrics).toEqual({ host: '127.0.0.1', worker: 9464, slackApp: 9465, api: 9466 });
    expect(
      loadConfig({
        LADDER_WORKER_METRICS_PORT: '19464',
        LADDER_SLACK_METRICS_PORT: 'off',
        LADDER_API_METRICS_PORT: 'off',
        LADDER_METRICS_HOST: '0.0.0.0',
      }).metrics,
    ).toEqual({ host: '0.0.0.0', worker: 19464, slackApp: null, api: null });
    expect(loadConfig({ LADDER_METRICS_HOST: '::1' }).metrics.host).toBe('::1');
    expect(loadConfig({ LADDER_METRICS_HOST: 'metrics.internal' }).metrics.host).toBe('metrics.internal');
  });

  it.each([
    [
      'LADDER_WORKER_METRICS_PORT',
      'no',
      'LADDER_WORKER_METRICS_PORT: expected a port number from 1 to 65535, or off, got "no"',
    ],
    [
      'LADDER_SLACK_METRICS_PORT',
      '0',
      'LADDER_SLACK_METRICS_PORT: expected a port number from 1 to 65535, or off, got "0"',
    ],
    [
      'LADDER_API_METRICS_PORT',
      '70000',
      'LADDER_API_METRICS_PORT: expected a port number from 1 to 65535, or off, got "70000"',
    ],
    [
      'LADDER_METRICS_HOST',
      'http://0.0.0.0',
      'LADDER_METRICS_HOST: expected an IP address or host name to bind (e.g. 127.0.0.1, or 0.0.0.0 for every interface), got "http://0.0.0.0"',
    ],
  ])('rejects %s=%j with a message naming the variable', (name, value, message) => {
    expect(problemsFor({ [name]: value })).toEqual([message]);
  });

  it('refuses a metrics port another Ladder listener uses, naming both variables', () => {
    expect(problemsFor({ LADDER_SLACK_METRICS_PORT: '9464' })).toEqual([
      'LADDER_SLACK_METRICS_PORT: expected a port different from LADDER_WORKER_METRICS_PORT (9464), or off, got "9464"',
    ]);
    expect(problemsFor({ LADDER_API_METRICS_PORT: '3000' })).toEqual([
      'LADDER_API_METRICS_PORT: expected a port different from LADDER_SLACK_PORT (3000), or off, got "3000"',
    ]);
    expect(problemsFor({ LADDER_WORKER_METRICS_PORT: '7233' })).toEqual([
      'LADDER_WORKER_METRICS_PORT: expected a port different from LADDER_DEV_SERVER_PORT (7233), or off, got "7233"',
    ]);
    // Against a cluster, the dev server's ports are nobody's; off never clashes.
    expect(loadConfig({ TEMPORAL_ADDRESS: 'h:1', LADDER_WORKER_METRICS_PORT: '7233' }).metrics.worker).toBe(
      7233,
    );
    expect(
      loadConfig({ LADDER_WORKER_METRICS_PORT: 'off', LADDER_SLACK_METRICS_PORT: 'off' }).metrics,
    ).toMatchObject({ worker: null, slackApp: null, api: 9466 });
  });

  it('keeps closed workflows 30 days unless LADDER_RETENTION_DAYS says otherwise, on the dev server and a cluster', () => {
    expect(DEFAULT_RETENTION_DAYS).toBe(30);
    expect(loadConfig({}).retentionDays).toBe(30);
    expect(loadConfig({ LADDER_RETENTION_DAYS: '' }).retentionDays).toBe(30);
    expect(loadConfig({ LADDER_RETENTION_DAYS: '7' }).retentionDays).toBe(7);
    expect(loadConfig({ LADDER_RETENTION_DAYS: '3650' }).retentionDays).toBe(3650);
    expect(loadConfig({ TEMPORAL_ADDRESS: 'h:1', LADDER_RETENTION_DAYS: '90' }).retentionDays).toBe(90);
  });

  // Below 7 days a task id could be used again while the worker's journal still holds its results.
  it.each(['0', '1', '6', '3651', '7d', '1.5', '-3', ' 30', 'thirty', '1e2'])(
    'rejects LADDER_RETENTION_DAYS=%j with a message naming the variable and the range',
    (value) => {
      expect(problemsFor({ LADDER_RETENTION_DAYS: value })).toEqual([
        `LADDER_RETENTION_DAYS: expected a whole number of days from 7 to 3650 (e.g. 30), got ${JSON.stringify(value)}`,
      ]);
    },
  );

  it('refuses the same port for the dev server and its UI', () => {
    expect(problemsFor({ LADDER_DEV_SERVER_PORT: '7000', LADDER_DEV_UI_PORT: '7000' })).toEqual([
      'LADDER_DEV_UI_PORT: expected a port different from LADDER_DEV_SERVER_PORT, got "7000"',
    ]);
  });
});

describe('loadConfig with LADDER_TEMPORAL (dev server or the local cluster)', () => {
  it('uses the local cluster from scripts/cluster.sh with LADDER_TEMPORAL=cluster: its frontend and its UI', () => {
    const config = loadConfig({ LADDER_TEMPORAL: 'cluster' });
    expect(config.temporal).toEqual({
      kind: 'cluster',
      address: '127.0.0.1:17233',
      localCluster: { frontendPort: 17233, uiPort: 18233 },
      tls: undefined,
      apiKey: undefined,
    });
    expect(config.temporalUiUrl).toBe('http://localhost:18233');
    expect(workflowUiUrl(config, 'task/a/1')).toBe(
      'http://localhost:18233/namespaces/default/workflows/task%2Fa%2F1',
    );
  });

  it('moves the local cluster with LADDER_CLUSTER_FRONTEND_PORT and LADDER_CLUSTER_UI_PORT', () => {
    const config = loadConfig({
      LADDER_TEMPORAL: 'cluster',
      LADDER_CLUSTER_FRONTEND_PORT: '27233',
      LADDER_CLUSTER_UI_PORT: '28233',
    });
    expect(config.temporal).toMatchObject({
      address: '127.0.0.1:27233',
      localCluster: { frontendPort: 27233, uiPort: 28233 },
    });
    expect(config.temporalUiUrl).toBe('http://localhost:28233');
    expect(
      loadConfig({ LADDER_TEMPORAL: 'cluster', TEMPORAL_UI_URL: 'http://ui.example:80/' }).temporalUiUrl,
    ).toBe('http://ui.example:80');
  });

  it('stays on the dev server by default and with LADDER_TEMPORAL=dev, whatever the cluster ports say', () => {
    for (const env of [
      {},
      { LADDER_TEMPORAL: 'dev' },
      { LADDER_TEMPORAL: '', LADDER_CLUSTER_FRONTEND_PORT: '27233' },
    ]) {
      const config = loadConfig(env);
      expect(config.temporal).toMatchObject({ kind: 'dev-server', address: '127.0.0.1:7233' });
      expect(config.temporalUiUrl).toBe('http://localhost:8233');
    }
  });

  it('lets TEMPORAL_ADDRESS name another cluster even with LADDER_TEMPORAL=cluster', () => {
    const config = loadConfig({ LADDER_TEMPORAL: 'cluster', TEMPORAL_ADDRESS: 'temporal.internal:7233' });
    expect(config.temporal).toEqual({
      kind: 'cluster',
      address: 'temporal.internal:7233',
      tls: undefined,
      apiKey: undefined,
    });
  });

  it('names the variable and both choices when LADDER_TEMPORAL is neither dev nor cluster', () => {
    expect(problemsFor({ LADDER_TEMPORAL: 'cloud' })).toEqual([
      'LADDER_TEMPORAL: expected dev (the Temporal dev server Ladder starts itself) or cluster (the local cluster `bash scripts/cluster.sh up` starts), got "cloud"',
    ]);
  });

  it('refuses bad or clashing local cluster ports, and only when the local cluster is used', () => {
    expect(problemsFor({ LADDER_TEMPORAL: 'cluster', LADDER_CLUSTER_UI_PORT: 'ui' })).toEqual([
      'LADDER_CLUSTER_UI_PORT: expected a port number from 1 to 65535, got "ui"',
    ]);
    expect(
      problemsFor({
        LADDER_TEMPORAL: 'cluster',
        LADDER_CLUSTER_FRONTEND_PORT: '27000',
        LADDER_CLUSTER_UI_PORT: '27000',
      }),
    ).toEqual([
      'LADDER_CLUSTER_UI_PORT: expected a port different from LADDER_CLUSTER_FRONTEND_PORT, got "27000"',
    ]);
    expect(problemsFor({ LADDER_TEMPORAL: 'cluster', LADDER_WORKER_METRICS_PORT: '17233' })).toEqual([
      'LADDER_WORKER_METRICS_PORT: expected a port different from LADDER_CLUSTER_FRONTEND_PORT (17233), or off, got "17233"',
    ]);
    // The dev server's ports are free for other uses while the cluster is in use, and the reverse.
    expect(
      loadConfig({ LADDER_TEMPORAL: 'cluster', LADDER_WORKER_METRICS_PORT: '7233' }).metrics.worker,
    ).toBe(7233);
    expect(loadConfig({ LADDER_WORKER_METRICS_PORT: '17233' }).metrics.worker).toBe(17233);
    expect(
      loadConfig({ LADDER_TEMPORAL: 'cluster', LADDER_DEV_SERVER_PORT: '7000', LADDER_DEV_UI_PORT: '7000' })
        .temporal.kind,
    ).toBe('cluster');
  });

  it('has the same default frontend and UI ports as scripts/cluster.sh', () => {
    const portsSh = readFileSync(join(__dirname, '..', '..', 'scripts', 'cluster', 'ports.sh'), 'utf8');
    const defaultOf = (variable: string): number => {
      const match = new RegExp(`\\$\\{${variable}:=(\\d+)\\}`).exec(portsSh);
      if (!match) throw new Error(`scripts/cluster/ports.sh sets no default for ${variable}`);
      return Number(match[1]);
    };
    expect(defaultOf('LADDER_CLUSTER_FRONTEND_PORT')).toBe(LOCAL_CLUSTER_DEFAULT_PORTS.frontend);
    expect(defaultOf('LADDER_CLUSTER_UI_PORT')).toBe(LOCAL_CLUSTER_DEFAULT_PORTS.ui);
  });
});
