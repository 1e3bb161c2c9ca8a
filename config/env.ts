import { HOST_NAME_PATTERN } from '../activities/actions/host-queue';
import { temporalUiLink } from '../policy/slack-ids';
import { unknownLadderVariables } from './known-env';
import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Thrown when the environment does not describe a usable configuration.
 * `message` is one line per problem, each naming the variable and what was expected,
 * so start-up can print it as is instead of a stack trace.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

// host:port where host is a DNS name, IPv4 or bracketed IPv6 and port is 1-65535.
const HOST_PORT =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const hostPort = z.string().refine(
  (value) => {
    const match = HOST_PORT.exec(value);
    return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65535;
  },
  { message: 'expected host:port (e.g. localhost:7233)' },
);

const port = z
  .string()
  .regex(/^\d+$/, { message: 'expected a port number from 1 to 65535' })
  .transform(Number)
  .refine((n) => n >= 1 && n <= 65535, { message: 'expected a port number from 1 to 65535' });

/** A metrics port, or `off` for no metrics endpoint in that process. */
const metricsPort = z
  .string()
  .regex(/^(\d+|off)$/, { message: 'expected a port number from 1 to 65535, or off' })
  .transform((v) => (v === 'off' ? null : Number(v)))
  .refine((n) => n === null || (n >= 1 && n <= 65535), {
    message: 'expected a port number from 1 to 65535, or off',
  });

/** An interface to bind: an IPv4 or IPv6 address (no brackets) or a host name. */
const bindHost = z.string().refine((v) => isIP(v) !== 0 || HOST_NAME.test(v), {
  message: 'expected an IP address or host name to bind (e.g. 127.0.0.1, or 0.0.0.0 for every interface)',
});

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const nonEmpty = z.string().min(1, { message: 'expected a non-empty value' });

/** Smallest and largest policy size limit accepted: below 1 KiB no real policy fits, above 64 MiB a parse stalls for minutes. */
export const POLICY_MAX_BYTES_RANGE = { min: 1024, max: 64 * 1024 * 1024 } as const;

/**
 * A whole number as an environment variable writes it: decimal digits, a minus sign allowed (so
 * that a negative value gets the range's own message). `Number(" ")` is 0 and `Number("0x10")` 16,
 * so a blank value would silently turn the cache off.
 */
const digits = (message: string) => z.string().regex(/^-?[0-9]+$/, { message });

/** Workflows a worker keeps in memory: 0 turns the cache off, 1 is refused by the SDK. */
const cachedWorkflows = digits('expected a whole number of workflows (0 turns the cache off)')
  .transform(Number)
  .pipe(
    z
      .number()
      .refine((n) => n === 0 || n >= 2, { message: 'expected 0 (no cache) or at least 2' })
      .refine((n) => n <= 1_000_000, { message: 'expected at most 1000000' }),
  );

const THREADS_EXPECTED = { message: 'expected a whole number of threads from 1 to 8' };
const workflowThreads = digits(THREADS_EXPECTED.message)
  .transform(Number)
  .pipe(z.number().min(1, THREADS_EXPECTED).max(8, THREADS_EXPECTED));

/**
 * How long a stopping worker lets its activities in flight finish, in ms, unless configured. The
 * SDK's own default is 0: on SIGTERM every step in flight is cancelled at once and re-runs on
 * another worker. 20 s lets a typical step (heartbeating every 2 s, 5 s heartbeat timeout) finish,
 * and stays under the 30 s the deployment files allow a worker to stop (systemd `TimeoutStopSec`,
 * compose `stop_grace_period`), leaving 10 s to close connections and flush traces before SIGKILL.
 */
export const DEFAULT_WORKER_SHUTDOWN_GRACE_MS = 20_000;

/** The variable that sets {@link Config.workerShutdownGraceMs}. */
export const WORKER_SHUTDOWN_GRACE_VARIABLE = 'LADDER_WORKER_SHUTDOWN_GRACE_MS';

const shutdownGraceMs = digits('expected a whole number of milliseconds (0 cancels steps in flight at once)')
  .transform(Number)
  .pipe(
    z
      .number()
      .min(0, { message: 'expected 0 or more milliseconds' })
      .max(600_000, { message: 'expected at most 600000 ms (10 minutes)' }),
  );

const policyMaxBytes = z
  .string()
  .regex(/^\d+$/, { message: 'expected a whole number of bytes (e.g. 1048576 for 1 MiB)' })
  .transform(Number)
  .refine((n) => n >= POLICY_MAX_BYTES_RANGE.min && n <= POLICY_MAX_BYTES_RANGE.max, {
    message: `expected a number of bytes from ${POLICY_MAX_BYTES_RANGE.min} to ${POLICY_MAX_BYTES_RANGE.max}`,
  });
/** Smallest and largest retention accepted, in days: whole days as operators speak of it; ten years bounds a typo. */
/**
 * `LADDER_RETENTION_DAYS` bounds. At least 7: a task id becomes free again when Temporal deletes
 * its closed workflow, and the worker's journal reads a step's results as its own for 7 days
 * (`JOURNAL_MAX_AGE_MS`), so a shorter retention could let a new task with the old id find the
 * old task's results and skip its own effects.
 */
export const RETENTION_DAYS_RANGE = { min: 7, max: 3650 } as const;

/** The variable that sets {@link Config.retentionDays}; messages about retention name it. */
export const RETENTION_DAYS_VARIABLE = 'LADDER_RETENTION_DAYS';

/** How long closed workflows are kept unless configured: a month of decision log, metrics history and task pages. */
export const DEFAULT_RETENTION_DAYS = 30;

const retentionDays = z
  .string()
  .regex(/^\d+$/, {
    message: `expected a whole number of days from ${RETENTION_DAYS_RANGE.min} to ${RETENTION_DAYS_RANGE.max} (e.g. 30)`,
  })
  .transform(Number)
  .refine((n) => n >= RETENTION_DAYS_RANGE.min && n <= RETENTION_DAYS_RANGE.max, {
    message: `expected a whole number of days from ${RETENTION_DAYS_RANGE.min} to ${RETENTION_DAYS_RANGE.max} (e.g. 30)`,
  });
/**
 * The local cluster's frontend (gRPC) and UI ports unless `LADDER_CLUSTER_FRONTEND_PORT` /
 * `LADDER_CLUSTER_UI_PORT` move them. scripts/cluster/ports.sh keeps the same defaults for
 * `scripts/cluster.sh`; a test checks that the two agree.
 */
export const LOCAL_CLUSTER_DEFAULT_PORTS = { frontend: 17233, ui: 18233 } as const;

/** `LADDER_TEMPORAL`: which Temporal the run command uses when TEMPORAL_ADDRESS does not name one. */
const temporalMode = z.enum(['dev', 'cluster'], {
  message:
    'expected dev (the Temporal dev server Ladder starts itself) or cluster (the local cluster `bash scripts/cluster.sh up` starts)',
});

/**
 * A worker deployment's name (`LADDER_WORKER_DEPLOYMENT`). Temporal refuses "." and ":" in it (they
 * delimit `name.buildId` version strings) and a leading "__" (reserved), so this accepts neither.
 */
const workerDeploymentName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, {
  message:
    'expected a deployment name of letters, digits, "_" or "-" (no "." or ":"), at most 100 characters',
});
/** A worker build id (`LADDER_WORKER_BUILD_ID`): a release tag or commit, e.g. 1.4.0 or 1d16473. */
const workerBuildId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/, {
  message:
    'expected a build id of letters, digits, ".", "_", "+" or "-" (e.g. 1.4.0 or a commit), at most 100 characters',
});

const httpUrl = z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' });
const identifier = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, { message: 'expected letters, digits, ".", "_" or "-"' });

/**
 * The raw environment variables Ladder reads, with their validation.
 * Empty strings count as unset, so `FOO= npm start` behaves like not setting FOO.
 */
const envSchema = z
  .object({
    TEMPORAL_ADDRESS: hostPort.optional(),
    TEMPORAL_NAMESPACE: identifier.default('default'),
    TEMPORAL_TLS: bool.optional(),
    TEMPORAL_TLS_CERT_PATH: nonEmpty.optional(),
    TEMPORAL_TLS_KEY_PATH: nonEmpty.optional(),
    TEMPORAL_TLS_CA_PATH: nonEmpty.optional(),
    TEMPORAL_TLS_SERVER_NAME: nonEmpty.optional(),
    TEMPORAL_API_KEY: nonEmpty.optional(),
    TEMPORAL_UI_URL: httpUrl.optional(),
    LADDER_TEMPORAL: temporalMode.default('dev'),
    LADDER_CLUSTER_FRONTEND_PORT: port.default(LOCAL_CLUSTER_DEFAULT_PORTS.frontend),
    LADDER_CLUSTER_UI_PORT: port.default(LOCAL_CLUSTER_DEFAULT_PORTS.ui),
    LADDER_TASK_QUEUE: identifier.default('ladder'),
    LADDER_POLICY_PATH: nonEmpty.default('examples/policy.yaml'),
    // The loader's own default (POLICY_LIMIT_DEFAULTS.maxBytes), spelled out: config loads no policy code.
    LADDER_POLICY_MAX_BYTES: policyMaxBytes.default(1024 * 1024),
    LADDER_DEV_SERVER_PORT: port.default(7233),
    LADDER_DEV_UI_PORT: port.default(8233),
    LADDER_DEV_DB_PATH: nonEmpty.default('.temporal/dev.db'),
    LADDER_RETENTION_DAYS: retentionDays.default(DEFAULT_RETENTION_DAYS),
    LADDER_SLACK_PORT: port.default(3000),
    LADDER_EMULATOR_PORT: port.default(3100),
    LADDER_DEMO_SERVICE_PORT: port.default(4100),
    LADDER_WORKER_METRICS_PORT: metricsPort.default(9464),
    LADDER_SLACK_METRICS_PORT: metricsPort.default(9465),
    LADDER_API_METRICS_PORT: metricsPort.default(9466),
    LADDER_METRICS_HOST: bindHost.default('127.0.0.1'),
    LADDER_WORKFLOW_BUNDLE: nonEmpty.optional(),
    LADDER_WORKSPACE_ROOT: nonEmpty.default('.temporal/workspace'),
    LADDER_SANDBOX_DIR: nonEmpty.default('.temporal/sandbox'),
    LADDER_STATE_DIR: nonEmpty.default('.temporal/state'),
    LADDER_LATE_POST_GRACE_MS: digits('expected a whole number of milliseconds')
      .transform(Number)
      .pipe(
        z
          .number()
          .min(1_000, { message: 'expected at least 1000 ms (longer than a slow Slack post takes to land)' })
          .max(3_600_000, { message: 'expected at most 3600000 ms (1 hour)' }),
      )
      .optional(),
    LADDER_WORKER_CACHED_WORKFLOWS: cachedWorkflows.optional(),
    LADDER_WORKER_WORKFLOW_THREADS: workflowThreads.optional(),
    LADDER_WORKER_SHUTDOWN_GRACE_MS: shutdownGraceMs.default(DEFAULT_WORKER_SHUTDOWN_GRACE_MS),
    LADDER_WORKER_DEPLOYMENT: workerDeploymentName.optional(),
    LADDER_WORKER_HOST: z
      .string()
      .regex(HOST_NAME_PATTERN, {
        message: 'expected a host name of letters, digits, ".", "_" or "-" (at most 63 characters)',
      })
      .optional(),
    LADDER_WORKER_BUILD_ID: workerBuildId.optional(),
    LADDER_KEYS_DIR: nonEmpty.default('.temporal/keys'),
    LADDER_FRONTEND_KEY: nonEmpty.optional(),
    LADDER_OPERATOR_KEY: nonEmpty.optional(),
    SLACK_BOT_TOKEN: z
      .string()
      .startsWith('xoxb-', { message: 'expected a bot token starting with xoxb-' })
      .optional(),
    // Slack issues 32 hexadecimal characters: anything short is a paste of something else (the
    // verification token, a placeholder), and would let requests be forged with little effort.
    SLACK_SIGNING_SECRET: z
      .string()
      .regex(/^\S{32,}$/, {
        message:
          "expected Slack's signing secret (32 characters, Basic Information → App Credentials → Signing Secret)",
      })
      .optional(),
    LADDER_EMULATOR_SIGNING_SECRET: nonEmpty.optional(),
    SLACK_APP_TOKEN: z
      .string()
      .startsWith('xapp-', { message: 'expected an app token starting with xapp-' })
      .optional(),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        message: 'expected one of fatal, error, warn, info, debug, trace, silent',
      })
      .default('info'),
  })
  .superRefine((env, ctx) => {
    if ((env.TEMPORAL_TLS_CERT_PATH === undefined) !== (env.TEMPORAL_TLS_KEY_PATH === undefined)) {
      const missing =
        env.TEMPORAL_TLS_CERT_PATH === undefined ? 'TEMPORAL_TLS_CERT_PATH' : 'TEMPORAL_TLS_KEY_PATH';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message: 'expected TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH to be set together',
      });
    }
    const usesRemoteOnlySettings =
      env.TEMPORAL_TLS_CERT_PATH !== undefined ||
      env.TEMPORAL_API_KEY !== undefined ||
      env.TEMPORAL_TLS === true;
    if (usesRemoteOnlySettings && env.TEMPORAL_ADDRESS === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['TEMPORAL_ADDRESS'],
        message:
          'expected a cluster address when TLS or an API key is configured (the local dev server and the local cluster use neither)',
      });
    }
    if (usesLocalCluster(env) && env.LADDER_CLUSTER_FRONTEND_PORT === env.LADDER_CLUSTER_UI_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['LADDER_CLUSTER_UI_PORT'],
        message: 'expected a port different from LADDER_CLUSTER_FRONTEND_PORT',
      });
    }
    if (
      env.SLACK_BOT_TOKEN !== undefined &&
      env.SLACK_SIGNING_SECRET === undefined &&
      env.SLACK_APP_TOKEN === undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_SIGNING_SECRET'],
        message:
          'expected a signing secret (HTTP mode) or SLACK_APP_TOKEN (Socket Mode) with SLACK_BOT_TOKEN',
      });
    }
    if (
      env.SLACK_BOT_TOKEN === undefined &&
      (env.SLACK_SIGNING_SECRET !== undefined || env.SLACK_APP_TOKEN !== undefined)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_BOT_TOKEN'],
        message: 'expected a bot token (xoxb-…) when other Slack credentials are set',
      });
    }
    for (const clash of metricsPortClashes(env)) ctx.addIssue({ code: 'custom', ...clash });
    // A versioned worker needs both halves of its version; one alone is a half-done rollout.
    if ((env.LADDER_WORKER_DEPLOYMENT === undefined) !== (env.LADDER_WORKER_BUILD_ID === undefined)) {
      const missing =
        env.LADDER_WORKER_DEPLOYMENT === undefined ? 'LADDER_WORKER_DEPLOYMENT' : 'LADDER_WORKER_BUILD_ID';
      ctx.addIssue({
        code: 'custom',
        path: [missing],
        message:
          'expected LADDER_WORKER_DEPLOYMENT and LADDER_WORKER_BUILD_ID to be set together (worker versioning; see docs/deploy.md)',
      });
    }
    if (usesDevServer(env) && env.LADDER_DEV_SERVER_PORT === env.LADDER_DEV_UI_PORT) {
      ctx.addIssue({
        code: 'custom',
        path: ['LADDER_DEV_UI_PORT'],
        message: 'expected a port different from LADDER_DEV_SERVER_PORT',
      });
    }
  });

type Env = z.infer<typeof envSchema>;

/** True when Ladder starts the dev server itself: no cluster address and not the local cluster. */
function usesDevServer(env: Pick<Env, 'TEMPORAL_ADDRESS' | 'LADDER_TEMPORAL'>): boolean {
  return env.TEMPORAL_ADDRESS === undefined && env.LADDER_TEMPORAL === 'dev';
}

/** True when Ladder talks to the local cluster at its default address (`LADDER_TEMPORAL=cluster`). */
function usesLocalCluster(env: Pick<Env, 'TEMPORAL_ADDRESS' | 'LADDER_TEMPORAL'>): boolean {
  return env.TEMPORAL_ADDRESS === undefined && env.LADDER_TEMPORAL === 'cluster';
}

/** The metrics port variables, in the order their clashes are reported. */
const METRICS_PORT_VARIABLES = [
  'LADDER_WORKER_METRICS_PORT',
  'LADDER_SLACK_METRICS_PORT',
  'LADDER_API_METRICS_PORT',
] as const;

/**
 * Metrics ports that another Ladder listener (or another process's metrics) already uses on this
 * machine: each named by its variable, with the variable it clashes with. The dev server's ports
 * count only when Ladder starts the dev server.
 */
function metricsPortClashes(
  env: Pick<
    Env,
    | (typeof METRICS_PORT_VARIABLES)[number]
    | 'LADDER_SLACK_PORT'
    | 'LADDER_EMULATOR_PORT'
    | 'LADDER_DEMO_SERVICE_PORT'
    | 'LADDER_DEV_SERVER_PORT'
    | 'LADDER_DEV_UI_PORT'
    | 'LADDER_CLUSTER_FRONTEND_PORT'
    | 'LADDER_CLUSTER_UI_PORT'
    | 'LADDER_TEMPORAL'
    | 'TEMPORAL_ADDRESS'
  >,
): { path: string[]; message: string }[] {
  const taken: [string, number][] = [
    ['LADDER_SLACK_PORT', env.LADDER_SLACK_PORT],
    ['LADDER_EMULATOR_PORT', env.LADDER_EMULATOR_PORT],
    ['LADDER_DEMO_SERVICE_PORT', env.LADDER_DEMO_SERVICE_PORT],
    ...(usesDevServer(env)
      ? ([
          ['LADDER_DEV_SERVER_PORT', env.LADDER_DEV_SERVER_PORT],
          ['LADDER_DEV_UI_PORT', env.LADDER_DEV_UI_PORT],
        ] as [string, number][])
      : []),
    ...(usesLocalCluster(env)
      ? ([
          ['LADDER_CLUSTER_FRONTEND_PORT', env.LADDER_CLUSTER_FRONTEND_PORT],
          ['LADDER_CLUSTER_UI_PORT', env.LADDER_CLUSTER_UI_PORT],
        ] as [string, number][])
      : []),
  ];
  const clashes: { path: string[]; message: string }[] = [];
  for (const variable of METRICS_PORT_VARIABLES) {
    const port = env[variable];
    if (port === null) continue;
    const other = taken.find(([, p]) => p === port);
    if (other)
      clashes.push({
        path: [variable],
        message: `expected a port different from ${other[0]} (${port}), or off`,
      });
    else taken.push([variable, port]);
  }
  return clashes;
}

/** How to reach Temporal: the local dev server Ladder starts itself, or an existing cluster. */
export type TemporalTarget =
  | { kind: 'dev-server'; address: string; port: number; uiPort: number; dbPath: string }
  | {
      kind: 'cluster';
      address: string;
      /**
       * Set when the address is the local cluster's (`LADDER_TEMPORAL=cluster` without
       * TEMPORAL_ADDRESS): the run command can then say to start it with `bash scripts/cluster.sh up`.
       */
      localCluster?: { frontendPort: number; uiPort: number };
      tls?: { certPath?: string; keyPath?: string; caPath?: string; serverName?: string };
      apiKey?: string;
    };

/** Slack mode: real Slack over HTTP or Socket Mode, or the local emulator when no credentials are set. */
export type SlackTarget =
  | { kind: 'http'; botToken: string; signingSecret: string; port: number }
  | { kind: 'socket'; botToken: string; appToken: string; signingSecret?: string }
  | {
      kind: 'emulator';
      port: number;
      emulatorPort: number;
      /** The emulator's Web API, e.g. http://127.0.0.1:3100/api/. */
      apiUrl: string;
      /** The emulator accepts any `xoxb-` token; this one says where it came from. */
      botToken: string;
      /** Shared by the emulator and the app; the run command picks a fresh one per run. */
      signingSecret?: string;
    };

/** The variable that sets the policy size limit; refusals name it so an operator knows what to change. */
export const POLICY_MAX_BYTES_VARIABLE = 'LADDER_POLICY_MAX_BYTES';

/**
 * The policy size limit in the shape `parsePolicy` and `PolicyStore` take, so it can be spread into
 * their options: `maxBytes` in bytes (UTF-8), `maxBytesSetting` the variable named in a refusal.
 */
export interface PolicySizeLimit {
  maxBytes: number;
  maxBytesSetting: string;
}

/** Worker settings measured by the benchmarks (`npm run bench:waiting`). */
export interface WorkerTuning {
  /**
   * Workflows kept in the worker's cache (`LADDER_WORKER_CACHED_WORKFLOWS`); one evicted replays
   * its history when it next has work. Unset, {@link DEFAULT_CACHED_WORKFLOWS}.
   */
  maxCachedWorkflows: number;
  /**
   * Threads that run workflow code (`LADDER_WORKER_WORKFLOW_THREADS`, the SDK's
   * `workflowThreadPoolSize`), each with its own sandbox. Unset, {@link DEFAULT_WORKFLOW_THREADS}.
   */
  workflowThreads: number;
}

/** The variable that sets {@link WorkerTuning.workflowThreads}. */
export const WORKFLOW_THREADS_VARIABLE = 'LADDER_WORKER_WORKFLOW_THREADS';

/**
 * Workflow threads unless configured (the SDK's default is 1). Every human answer is checked in
 * its workflow (an ed25519 signature verified in JavaScript); with one thread, answers that arrive
 * together wait for each other's checks. Measured with `npm run bench:tasks` (100 signed answers
 * at 20 concurrent, both sides on the same setting): see the README's figures.
 */
export const DEFAULT_WORKFLOW_THREADS = 2;

/** The variable that sets {@link WorkerTuning.maxCachedWorkflows}. */
export const CACHED_WORKFLOWS_VARIABLE = 'LADDER_WORKER_CACHED_WORKFLOWS';

/**
 * The worker's cache size unless configured. The SDK's own default grows with the heap limit
 * (about 2,300 workflows on a machine with 4 GiB of heap). Measured with 10,000 rung-2 tasks
 * waiting on one worker (`npm run bench:waiting`): 500 halves the worker's peak memory against
 * 2,000 (738 vs 1,400 MiB waiting, 1,053 vs 1,965 MiB resolving) at the same rates, since a
 * waiting task is touched about twice and a replay of its short history is cheap.
 */
export const DEFAULT_CACHED_WORKFLOWS = 500;

/**
 * Where each process serves `GET /metrics` (Prometheus text format): a port per process, or null
 * when that process serves none (`off`), all on `host`.
 */
export interface MetricsEndpoints {
  /** Interface the endpoints bind (`LADDER_METRICS_HOST`, default 127.0.0.1). */
  host: string;
  /** The worker's, with the Temporal runtime's own metrics (`LADDER_WORKER_METRICS_PORT`, default 9464). */
  worker: number | null;
  /** The Slack app's (`LADDER_SLACK_METRICS_PORT`, default 9465). */
  slackApp: number | null;
  /** The agent API's (`LADDER_API_METRICS_PORT`, default 9466). */
  api: number | null;
}

/**
 * The worker deployment version a versioned worker polls as (`LADDER_WORKER_DEPLOYMENT` +
 * `LADDER_WORKER_BUILD_ID`): Temporal's worker deployment versioning, for rolling upgrades.
 */
export interface WorkerDeploymentConfig {
  deploymentName: string;
  buildId: string;
}

/** The validated configuration every Ladder process (worker, start script, CLI, Slack app) reads. */
export interface Config {
  temporal: TemporalTarget;
  namespace: string;
  /** Base URL of the Temporal Web UI, used for links (no trailing slash). */
  temporalUiUrl: string;
  taskQueue: string;
  policyPath: string;
  /** How large a policy file may be: pass it wherever a policy is loaded or watched. */
  policyLimits: PolicySizeLimit;
  /** Path to a pre-built workflow bundle; when unset the worker bundles `workflows/` itself. */
  workflowBundlePath?: string;
  slack: SlackTarget;
  logLevel: Env['LOG_LEVEL'];
  /** Where actions may act: file.write and config.set inside `workspaceRoot`, shell.exec in `sandboxDir`. */
  actions: { workspaceRoot: string; sandboxDir: string; stateDir: string };
  /**
   * How long after a Slack post that needed a retry a task sweeps for a late copy, in ms; unset,
   * the worker's default (2 minutes). Shorter only where posts are known to land sooner.
   */
  latePostGraceMs: number | undefined;
  /** Port of the demo service the run command starts for the example tasks (127.0.0.1 only). */
  demoServicePort: number;
  /** How the worker uses memory; see {@link WorkerTuning}. */
  worker: WorkerTuning;
  /**
   * How long a stopping worker lets activities in flight finish before cancelling them, in ms
   * (`LADDER_WORKER_SHUTDOWN_GRACE_MS`, the SDK's `shutdownGraceTime`); default
   * {@link DEFAULT_WORKER_SHUTDOWN_GRACE_MS}. Keep it under the supervisor's stop timeout.
   */
  workerShutdownGraceMs: number;
  /**
   * The host this worker acts on (`LADDER_WORKER_HOST`): when set, the worker also polls
   * `<taskQueue>@<host>` for the host-bound steps of tasks it decided (file.write, config.set,
   * shell.exec; activities/actions/host-queue.ts). Unset, every step runs on the shared queue, which
   * is right only while all workers share one host's files.
   */
  workerHost?: string;
  /**
   * The deployment version the worker polls as, when worker versioning is on; unset (the default),
   * the worker is unversioned and every worker on the task queue takes every task.
   */
  workerDeployment?: WorkerDeploymentConfig;
  /**
   * Answer keys: the frontend's private key (Slack app, signs what Slack proved), an operator's own
   * key (CLI; default `<keysDir>/operators/<person>.key.json`), and the local stack's keys folder.
   */
  keys: { dir: string; frontendKey: string; operatorKey?: string };
  /** The `/metrics` endpoints of the worker, Slack app and agent API. */
  metrics: MetricsEndpoints;
  /**
   * How long the namespace keeps closed workflows, in whole days (`LADDER_RETENTION_DAYS`, 1–3650,
   * default {@link DEFAULT_RETENTION_DAYS}). The run command sets it on the dev server; on a cluster it
   * only compares the namespace's own retention with it and warns when that is shorter.
   */
  retentionDays: number;
  /**
   * `LADDER_*` variables set in the environment that no part of Ladder reads and that are not a
   * near miss of one that does (config/known-env.ts): ignored, but worth one warning each at start
   * ({@link unknownVariableWarning}), since another tool may share the prefix. Absent when none.
   */
  unknownVariables?: string[];
}

/**
 * Reads and validates Ladder's configuration from environment variables.
 *
 * A `LADDER_*` variable that nothing in Ladder reads is refused when it is a near miss of one that
 * is read (config/known-env.ts), since it would be silently ignored; any other is returned in
 * {@link Config.unknownVariables} for the caller to warn about. Values of such variables are never
 * shown: they can be secrets.
 *
 * @param env - the environment to read, normally `process.env`; empty values count as unset.
 * @returns the typed configuration.
 * @throws {ConfigError} listing every wrong variable with what was expected, e.g.
 *   `TEMPORAL_ADDRESS: expected host:port (e.g. localhost:7233), got "not a host:xx"`, or
 *   `<name> is not a Ladder variable (did you mean <known name>?); it would be ignored`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = Object.keys(envSchema.shape);
  const raw: Record<string, string> = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const unknown = unknownLadderVariables(
    env,
    known.filter((key) => !key.startsWith('LADDER_')),
  );
  const misspelt = unknown.flatMap(({ name, nearest }) =>
    nearest === undefined
      ? []
      : [`${name} is not a Ladder variable (did you mean ${nearest}?); it would be ignored`],
  );
  const parsed = envSchema.safeParse(raw);
  const problems = [
    ...misspelt,
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => describeIssue(issue, raw))),
  ];
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const ignored = unknown.filter(({ nearest }) => nearest === undefined).map(({ name }) => name);
  return { ...toConfig(parsed.data), ...(ignored.length > 0 ? { unknownVariables: ignored } : {}) };
}

/**
 * The one warning line for a variable in {@link Config.unknownVariables}, for a process's start-up
 * log. Names the variable only, never its value.
 */
export function unknownVariableWarning(name: string): string {
  return `${name} is not a Ladder variable; it is ignored`;
}

/**
 * Reads only `LADDER_POLICY_MAX_BYTES`, for commands that load a policy file without needing the
 * rest of the configuration (`ladder policy check`): another variable's mistake does not stop them.
 *
 * @param env - the environment to read, normally `process.env`; an empty value counts as unset.
 * @returns the limit in bytes (default 1 MiB) and the variable's name, as {@link Config.policyLimits}.
 * @throws {ConfigError} with one line naming the variable, e.g.
 *   `LADDER_POLICY_MAX_BYTES: expected a whole number of bytes (e.g. 1048576 for 1 MiB), got "1MB"`.
 */
export function loadPolicySizeLimit(env: NodeJS.ProcessEnv = process.env): PolicySizeLimit {
  const raw: Record<string, string> = {};
  const value = env[POLICY_MAX_BYTES_VARIABLE];
  if (value !== undefined && value !== '') raw[POLICY_MAX_BYTES_VARIABLE] = value;
  const parsed = envSchema.shape.LADDER_POLICY_MAX_BYTES.safeParse(raw[POLICY_MAX_BYTES_VARIABLE]);
  if (!parsed.success)
    throw new ConfigError(
      parsed.error.issues.map((issue) =>
        describeIssue({ ...issue, path: [POLICY_MAX_BYTES_VARIABLE, ...issue.path] }, raw),
      ),
    );
  return { maxBytes: parsed.data, maxBytesSetting: POLICY_MAX_BYTES_VARIABLE };
}

/**
 * Reads only `LADDER_WORKER_CACHED_WORKFLOWS` and `LADDER_WORKER_WORKFLOW_THREADS`, for workers
 * that need nothing else of Ladder's configuration (the bench's baseline worker gets the same
 * tuning as Ladder's).
 *
 * @throws {ConfigError} with one line per wrong variable, naming it, e.g.
 *   `LADDER_WORKER_CACHED_WORKFLOWS: expected 0 (no cache) or at least 2, got "1"`.
 */
export function loadWorkerTuning(env: NodeJS.ProcessEnv = process.env): WorkerTuning {
  const raw: Record<string, string> = {};
  for (const variable of [CACHED_WORKFLOWS_VARIABLE, WORKFLOW_THREADS_VARIABLE]) {
    const value = env[variable];
    if (value !== undefined && value !== '') raw[variable] = value;
  }
  const problems: string[] = [];
  const read = <T>(variable: string, schema: z.ZodType<T>): T | undefined => {
    const parsed = schema.safeParse(raw[variable]);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      problems.push(describeIssue({ ...issue, path: [variable, ...issue.path] }, raw));
    return undefined;
  };
  const cached = read(CACHED_WORKFLOWS_VARIABLE, envSchema.shape.LADDER_WORKER_CACHED_WORKFLOWS);
  const threads = read(WORKFLOW_THREADS_VARIABLE, envSchema.shape.LADDER_WORKER_WORKFLOW_THREADS);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    maxCachedWorkflows: cached ?? DEFAULT_CACHED_WORKFLOWS,
    workflowThreads: threads ?? DEFAULT_WORKFLOW_THREADS,
  };
}

/** One problem as `VARIABLE: what was expected, got "value"` (secrets redacted). */
function describeIssue(issue: z.core.$ZodIssue, raw: Record<string, string>): string {
  const name = String(issue.path[0] ?? 'environment');
  const got = raw[name];
  const shown = got === undefined ? '' : `, got ${JSON.stringify(isSecret(name) ? redact(got) : got)}`;
  return `${name}: ${issue.message}${shown}`;
}

function toConfig(e: Env): Config {
  const temporal: TemporalTarget = usesDevServer(e)
    ? {
        kind: 'dev-server',
        address: `127.0.0.1:${e.LADDER_DEV_SERVER_PORT}`,
        port: e.LADDER_DEV_SERVER_PORT,
        uiPort: e.LADDER_DEV_UI_PORT,
        dbPath: e.LADDER_DEV_DB_PATH,
      }
    : {
        kind: 'cluster',
        address: e.TEMPORAL_ADDRESS ?? `127.0.0.1:${e.LADDER_CLUSTER_FRONTEND_PORT}`,
        ...(usesLocalCluster(e)
          ? {
              localCluster: {
                frontendPort: e.LADDER_CLUSTER_FRONTEND_PORT,
                uiPort: e.LADDER_CLUSTER_UI_PORT,
              },
            }
          : {}),
        tls:
          e.TEMPORAL_TLS === true ||
          e.TEMPORAL_TLS_CERT_PATH !== undefined ||
          e.TEMPORAL_API_KEY !== undefined ||
          e.TEMPORAL_TLS_CA_PATH !== undefined
            ? {
                certPath: e.TEMPORAL_TLS_CERT_PATH,
                keyPath: e.TEMPORAL_TLS_KEY_PATH,
                caPath: e.TEMPORAL_TLS_CA_PATH,
                serverName: e.TEMPORAL_TLS_SERVER_NAME,
              }
            : undefined,
        apiKey: e.TEMPORAL_API_KEY,
      };
  const slack: SlackTarget =
    e.SLACK_BOT_TOKEN === undefined
      ? {
          kind: 'emulator',
          port: e.LADDER_SLACK_PORT,
          emulatorPort: e.LADDER_EMULATOR_PORT,
          apiUrl: `http://127.0.0.1:${e.LADDER_EMULATOR_PORT}/api/`,
          botToken: 'xoxb-ladder-local-emulator',
          signingSecret: e.LADDER_EMULATOR_SIGNING_SECRET,
        }
      : e.SLACK_APP_TOKEN !== undefined
        ? {
            kind: 'socket',
            botToken: e.SLACK_BOT_TOKEN,
            appToken: e.SLACK_APP_TOKEN,
            signingSecret: e.SLACK_SIGNING_SECRET,
          }
        : {
            kind: 'http',
            botToken: e.SLACK_BOT_TOKEN,
            signingSecret: e.SLACK_SIGNING_SECRET!,
            port: e.LADDER_SLACK_PORT,
          };
  const defaultUi =
    temporal.kind === 'dev-server'
      ? `http://localhost:${temporal.uiPort}`
      : temporal.localCluster !== undefined
        ? `http://localhost:${temporal.localCluster.uiPort}`
        : e.TEMPORAL_API_KEY !== undefined
          ? 'https://cloud.temporal.io'
          : 'http://localhost:8233';
  return {
    temporal,
    namespace: e.TEMPORAL_NAMESPACE,
    temporalUiUrl: (e.TEMPORAL_UI_URL ?? defaultUi).replace(/\/+$/, ''),
    taskQueue: e.LADDER_TASK_QUEUE,
    policyPath: e.LADDER_POLICY_PATH,
    policyLimits: { maxBytes: e.LADDER_POLICY_MAX_BYTES, maxBytesSetting: POLICY_MAX_BYTES_VARIABLE },
    workflowBundlePath: e.LADDER_WORKFLOW_BUNDLE,
    slack,
    logLevel: e.LOG_LEVEL,
    actions: {
      workspaceRoot: e.LADDER_WORKSPACE_ROOT,
      sandboxDir: e.LADDER_SANDBOX_DIR,
      stateDir: e.LADDER_STATE_DIR,
    },
    latePostGraceMs: e.LADDER_LATE_POST_GRACE_MS,
    demoServicePort: e.LADDER_DEMO_SERVICE_PORT,
    worker: {
      maxCachedWorkflows: e.LADDER_WORKER_CACHED_WORKFLOWS ?? DEFAULT_CACHED_WORKFLOWS,
      workflowThreads: e.LADDER_WORKER_WORKFLOW_THREADS ?? DEFAULT_WORKFLOW_THREADS,
    },
    workerShutdownGraceMs: e.LADDER_WORKER_SHUTDOWN_GRACE_MS,
    ...(e.LADDER_WORKER_HOST !== undefined ? { workerHost: e.LADDER_WORKER_HOST } : {}),
    ...(e.LADDER_WORKER_DEPLOYMENT !== undefined && e.LADDER_WORKER_BUILD_ID !== undefined
      ? {
          workerDeployment: { deploymentName: e.LADDER_WORKER_DEPLOYMENT, buildId: e.LADDER_WORKER_BUILD_ID },
        }
      : {}),
    keys: {
      dir: e.LADDER_KEYS_DIR,
      frontendKey: e.LADDER_FRONTEND_KEY ?? `${e.LADDER_KEYS_DIR}/frontend.key.json`,
      operatorKey: e.LADDER_OPERATOR_KEY,
    },
    metrics: {
      host: e.LADDER_METRICS_HOST,
      worker: e.LADDER_WORKER_METRICS_PORT,
      slackApp: e.LADDER_SLACK_METRICS_PORT,
      api: e.LADDER_API_METRICS_PORT,
    },
    retentionDays: e.LADDER_RETENTION_DAYS,
  };
}

function isSecret(name: string): boolean {
  return /TOKEN|SECRET|API_KEY/.test(name);
}

function redact(value: string): string {
  return value.length <= 8 ? '***' : `${value.slice(0, 5)}…(redacted)`;
}

/**
 * Link to one workflow's page in the Temporal Web UI.
 *
 * @param config - supplies the UI base URL and namespace.
 * @param workflowId - the workflow ID, URL-encoded here.
 */
export function workflowUiUrl(
  config: Pick<Config, 'temporalUiUrl' | 'namespace'>,
  workflowId: string,
): string {
  return temporalUiLink(config.temporalUiUrl, config.namespace, workflowId);
}
