import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** The Go module tag we build when nothing else provides a CLI; later tags carry a replace directive. */
export const TEMPORAL_CLI_GO_MODULE = 'github.com/temporalio/cli/cmd/temporal';
export const TEMPORAL_CLI_GO_TAGS = ['v1.5.1', 'v1.5.0', 'v1.4.1'] as const;

/** Where the Temporal CLI came from, in the order they are tried. */
export type TemporalCliSource = 'TEMPORAL_CLI' | 'PATH' | 'cache' | 'sdk-download' | 'go-install';

export interface ResolvedTemporalCli {
  /** Absolute path of an executable `temporal` binary. */
  path: string;
  source: TemporalCliSource;
  /** One human line saying which source was used, for start-up output. */
  description: string;
}

export interface ResolveOptions {
  /** Project root; `.temporal/bin` is resolved against it. */
  root: string;
  env?: NodeJS.ProcessEnv;
  /** Progress lines (downloads and builds take minutes). */
  log?: (line: string) => void;
  /** Skip the SDK download attempt (tests of the resolution order). */
  skipSdkDownload?: boolean;
  /** Skip the Go build (tests of the resolution order). */
  skipGoInstall?: boolean;
}

/** Raised when no source yields a CLI; the message says what to install. */
export class TemporalCliNotFoundError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      [
        'No Temporal CLI could be found or built. Tried:',
        ...attempts.map((a) => `  - ${a}`),
        'Install one of: the Temporal CLI (set TEMPORAL_CLI=/path/to/temporal or put `temporal` on PATH),',
        `or Go >= 1.23 so Ladder can run \`go install ${TEMPORAL_CLI_GO_MODULE}@${TEMPORAL_CLI_GO_TAGS[0]}\`.`,
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

/**
 * Finds a Temporal CLI, trying in order: `TEMPORAL_CLI`, `temporal` on PATH, the cached copy in
 * `.temporal/bin`, the SDK's own download (needs internet), and a build from source with Go into
 * `.temporal/bin` (minutes the first time, cached afterwards).
 *
 * @throws {TemporalCliNotFoundError} naming every attempt and what to install.
 */
export async function resolveTemporalCli(options: ResolveOptions): Promise<ResolvedTemporalCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const binDir = resolve(options.root, '.temporal', 'bin');
  const attempts: string[] = [];

  const fromEnv = env.TEMPORAL_CLI;
  if (fromEnv) {
    if (isExecutable(fromEnv)) return found(resolve(fromEnv), 'TEMPORAL_CLI', `TEMPORAL_CLI=${fromEnv}`);
    // An explicit setting that is wrong is an error, not something to silently route around.
    throw new TemporalCliNotFoundError([`TEMPORAL_CLI=${fromEnv}: not an executable file`]);
  }
  attempts.push('TEMPORAL_CLI: not set');

  const onPath = findOnPath('temporal', env.PATH ?? '');
  if (onPath) return found(onPath, 'PATH', `temporal on PATH (${onPath})`);
  attempts.push('`temporal` on PATH: not found');

  const cached = join(binDir, 'temporal');
  if (isExecutable(cached)) return found(cached, 'cache', `cached build ${cached}`);
  attempts.push(`${cached}: not there`);

  if (!options.skipSdkDownload) {
    log('Trying the Temporal SDK download of the CLI…');
    const downloaded = await trySdkDownload(resolve(options.root, '.temporal', 'download'));
    if (downloaded.path) return found(downloaded.path, 'sdk-download', `SDK download (${downloaded.path})`);
    attempts.push(`SDK download: ${downloaded.error}`);
  }

  if (!options.skipGoInstall) {
    const go =
      findOnPath('go', env.PATH ?? '') ??
      (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
    if (!go) {
      attempts.push('go install: Go is not installed');
    } else {
      mkdirSync(binDir, { recursive: true });
      for (const tag of TEMPORAL_CLI_GO_TAGS) {
        log(
          `Building the Temporal CLI from source (go install ${TEMPORAL_CLI_GO_MODULE}@${tag}); the first build takes minutes…`,
        );
        const result = spawnSync(go, ['install', `${TEMPORAL_CLI_GO_MODULE}@${tag}`], {
          env: { ...env, GOBIN: binDir, GOFLAGS: env.GOFLAGS ?? '-buildvcs=false' },
          stdio: ['ignore', 'inherit', 'pipe'],
          encoding: 'utf8',
        });
        if (result.status === 0 && isExecutable(cached)) {
          return found(cached, 'go-install', `built from source with go install @${tag} into ${cached}`);
        }
        const why = (result.stderr ?? '').trim().split('\n').slice(-2).join(' ') || `exit ${result.status}`;
        attempts.push(`go install @${tag}: ${why}`);
      }
    }
  }
  throw new TemporalCliNotFoundError(attempts);
}

function found(path: string, source: TemporalCliSource, what: string): ResolvedTemporalCli {
  return { path, source, description: `Temporal CLI: ${what}` };
}

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Uses the SDK's cached-download of the dev server, which fetches the CLI into `downloadDir`.
 * The SDK only downloads as part of starting a server, so we start one, stop it, and keep the binary.
 */
async function trySdkDownload(downloadDir: string): Promise<{ path?: string; error?: string }> {
  mkdirSync(downloadDir, { recursive: true });
  let error = 'failed';
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const env = await withTimeout(
      TestWorkflowEnvironment.createLocal({
        server: { executable: { type: 'cached-download', downloadDir } },
      }),
      120_000,
    );
    await env.teardown();
  } catch (err) {
    error = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  const binary = existsSync(downloadDir)
    ? readdirSync(downloadDir)
        .filter((f) => f.startsWith('temporal'))
        .map((f) => join(downloadDir, f))
        .find(isExecutable)
    : undefined;
  return binary ? { path: binary } : { error };
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000}s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `node dist/scripts/temporal-cli.js`: resolve (building if needed) and print the CLI path. */
async function main(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  try {
    const cli = await resolveTemporalCli({ root, log: (l) => process.stderr.write(`${l}\n`) });
    process.stderr.write(`${cli.description}\n`);
    process.stdout.write(`${cli.path}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) void main();
