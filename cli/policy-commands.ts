import { loadCanaryPolicy } from '../policy/canary';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ConfigError, loadPolicySizeLimit } from '../config/env';
import type { Command } from 'commander';
import { decide, type Usage } from '../policy/decide';
import { policyJsonSchema } from '../policy/json-schema';
import { formatProblem, parsePolicy, PolicyError, type LoadedPolicy } from '../policy/loader';
import type { TaskRequest } from '../policy/task';
import { validateTaskRequest } from '../policy/validate-task';
import { withStepRequests } from '../policy/request-bounds';
import { createActionRegistry } from '../activities/actions/registry';
import { formatDecision } from './format-decision';
import { registerPolicyGuardCommands, reportPolicySignatures } from './policy-guard-commands';

/** Thrown by command actions for expected failures: printed as is, exit code 1, no stack trace. */
export class CliError extends Error {}

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * A file's text, refused (as a CliError naming the file) unless it is a regular file: a device such
 * as /dev/zero would be read forever, and opening a FIFO for reading waits for a writer that may
 * never come. It is opened without blocking and checked before anything is read.
 */
export function readText(path: string, what: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new CliError(`${path}: cannot read the ${what} (it is a folder)`);
    if (!st.isFile())
      throw new CliError(`${path}: cannot read the ${what} (not a regular file: a device, FIFO or socket)`);
    return readFileSync(fd, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${path}: no such file`);
    throw new CliError(`${path}: cannot read the ${what} (${code ?? String(err)})`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function loadOrFail(file: string, io: Io): LoadedPolicy {
  let limits;
  try {
    limits = loadPolicySizeLimit();
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`Configuration error: ${err.message}`);
    throw err;
  }
  const result = parsePolicy(readText(file, 'policy file'), file, limits);
  for (const w of result.warnings) io.err(`${file}: warning: ${formatProblem(w)}`);
  if (!result.ok) {
    throw new CliError(
      [
        `${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}:`,
        ...result.errors.map((e) => `  ${formatProblem(e)}`),
      ].join('\n'),
    );
  }
  return result.policy;
}

/** Reads a task file and validates it completely (shape, policy references, each step's params). */
function readTask(file: string, policy: LoadedPolicy): TaskRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(readText(file, 'task file'));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const result = validateTaskRequest(raw, policy, createActionRegistry());
  if (!result.ok)
    throw new CliError([`${file}: invalid task request:`, ...result.errors.map((e) => `  ${e}`)].join('\n'));
  return result.task;
}

function nonNegativeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new CliError(`${name}: expected a number ≥ 0, got "${value}"`);
    return n;
  };
}

/** Registers `ladder policy check|explain|schema|sign|history` on the program. */
export function registerPolicyCommands(program: Command, io: Io): void {
  const policy = program.command('policy').description('validate, explain and describe policy files');

  policy
    .command('check')
    .argument('<file>', 'policy YAML file')
    .description(
      'validate a policy file and its signatures; exit 0 when it loads (warnings are printed), 1 with every error otherwise',
    )
    .action((file: string) => {
      const loaded = loadOrFail(file, io);
      reportPolicySignatures(file, readText(file, 'policy file'), loaded, io);
      // A canary's next version must be as good as the policy that names it.
      if (loaded.canary) {
        try {
          const next = loadCanaryPolicy(loaded, file);
          io.out(
            `${file}: canary of policy ${next!.versionId} for ${loaded.canary.agents?.join(', ') ?? `a ${loaded.canary.share} share of agents`}`,
          );
        } catch (err) {
          if (err instanceof PolicyError) throw new CliError(`${file}: canary: ${err.message}`);
          throw err;
        }
      }
      io.out(
        `${file}: OK, policy ${loaded.versionId}: ${Object.keys(loaded.taskClasses).length} task classes, ${Object.keys(loaded.agents).length} agents`,
      );
    });

  policy
    .command('explain')
    .argument('<file>', 'policy YAML file')
    .argument('<task>', 'task request JSON file')
    .option(
      '--count-today <n>',
      "the agent's autonomous tasks today in this class",
      nonNegativeNumber('--count-today'),
      0,
    )
    .option(
      '--cost-today <usd>',
      "the agent's autonomous spend today in this class",
      nonNegativeNumber('--cost-today'),
      0,
    )
    .option('--json', 'print the decision as JSON')
    .description(
      "print the decision for a task under the policy (the agent's rungs as declared) and every reason",
    )
    .action(
      (
        file: string,
        taskFile: string,
        options: { countToday: number; costToday: number; json?: boolean },
      ) => {
        const loaded = loadOrFail(file, io);
        const task = readTask(taskFile, loaded);
        const usage: Usage = { countToday: options.countToday, costTodayUsd: options.costToday };
        // The requests the steps send, as the worker names them for a class with bounds.requests.
        const decision = decide(loaded, null, withStepRequests(createActionRegistry(), task), usage);
        io.out(options.json ? JSON.stringify(decision, null, 2) : formatDecision(decision, task.taskId));
      },
    );

  policy
    .command('schema')
    .description('print the JSON Schema of the policy file (for editor completion)')
    .action(() => {
      io.out(JSON.stringify(policyJsonSchema(), null, 2));
    });

  registerPolicyGuardCommands(policy, io, loadOrFail);
}
