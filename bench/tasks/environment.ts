import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { resolveTemporalCli } from '../../scripts/temporal-cli';
import { ROOT } from './stack';

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

/** The machine and versions a bench run measured on, as every bench's JSON records them. */
export interface BenchEnvironment {
  machine: { cpus: number; model: string; ramGiB: number; node: string; kernel: string };
  versions: { temporalCli: string; temporalSdk: string; commit: string; uncommittedFiles: number };
}

/** Reads the machine (CPUs, RAM, Node, kernel) and the versions (Temporal CLI and SDK, git commit). */
export async function benchEnvironment(): Promise<BenchEnvironment> {
  const cli = await resolveTemporalCli({ root: ROOT });
  const cliVersion = (() => {
    try {
      return execFileSync(cli.path, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  })();
  const sdk = (
    JSON.parse(readFileSync(join(ROOT, 'node_modules', '@temporalio', 'worker', 'package.json'), 'utf8')) as {
      version: string;
    }
  ).version;
  return {
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model ?? 'unknown',
      ramGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      node: process.version,
      kernel: release(),
    },
    versions: {
      temporalCli: cliVersion,
      temporalSdk: sdk,
      commit: git(['rev-parse', '--short', 'HEAD']),
      uncommittedFiles: git(['status', '--porcelain']).split('\n').filter(Boolean).length,
    },
  };
}

/** The heading line of a bench's markdown report: what ran, when, on what, at which commit. Pure. */
export function reportHeading(benchmark: string, startedAt: Date, env: BenchEnvironment): string {
  const { machine, versions } = env;
  const dirty = versions.uncommittedFiles ? ` + ${versions.uncommittedFiles} uncommitted files` : '';
  return `## ${benchmark} — ${startedAt.toISOString()} — ${machine.cpus} × ${machine.model}, ${machine.ramGiB} GiB, Node ${machine.node}, Temporal SDK ${versions.temporalSdk}, commit ${versions.commit}${dirty}`;
}
