import type { Command } from 'commander';
import { applySetArguments, parseSetArgument, SetSyntaxError, SetValueError } from './respond-edit';
import { own } from '../policy/own';
import type { Client } from '@temporalio/client';
import { createActionRegistry } from '../activities/actions/registry';
import { AnswerOutcomeUnknownError, answerTask, type TaskAnswer } from '../client/answer-task';
import {
  engageKillSwitch,
  KillSwitchError,
  readKillSwitch,
  releaseClassCap,
  releaseKillSwitch,
} from '../client/kill-switch';
import { submitTask, TaskValidationError } from '../client/submit-task';
import { workflowUiUrl, type Config } from '../config/env';
import { loadPolicyFile, PolicyError, type LoadedPolicy } from '../policy/loader';
import { printAgentStatus, registerLedgerCommands } from './ledger-commands';
import { registerStateCommands } from './state-commands';
import { registerApprovalCommands } from './approval-commands';
import { registerAwayCommands } from './away-commands';
import { registerApproverCommands } from './approver-commands';
import { statusQuery, taskRequestQuery, type TaskStatus } from '../workflows/messages';
import { formatDecision } from './format-decision';
import { killSwitchLines } from './format-ledger';
import { operatorSigner } from './operator-key';
import { awaitTaskEnd, formatOutcomeQuestion } from './await-task';
import { CliExit, EXIT } from './exit-codes';

const WAIT_HELP =
  'wait for the task to finish and print its outcome; exit 0 only if it did what was asked (3 rolled back, 4 rejected/expired/cancelled, 5 refused, 6 failed, 7 outcome unknown: a person must say whether a step ran)';
import { CliError, readText } from './policy-commands';
import { withClient } from './with-client';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** How long `ladder submit` waits for the rung decision before saying no worker may be running. */
const DECISION_WAIT_MS = 60_000;

/** Polls `status` until the workflow has decided its rung (or finished). */
async function decided(client: Client, workflowId: string, timeoutMs = 60_000): Promise<TaskStatus> {
  const handle = client.workflow.getHandle(workflowId);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    if (status.decision || status.phase === 'done') return status;
    if (Date.now() > deadline)
      throw new CliError(`${workflowId} has not decided within ${timeoutMs / 1000}s; is a worker running?`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function formatStatus(status: TaskStatus): string {
  return [
    `${status.workflowId}: ${status.phase}${status.outcome ? ` (${status.outcome})` : ''}, rung ${status.rung ?? '-'}`,
    `  step ${Math.min(status.currentStep + 1, status.stepsTotal)} of ${status.stepsTotal}${status.waitingOn ? `; waiting on ${status.waitingOn}` : ''}`,
    ...(status.approvedBy ? [`  approved by ${status.approvedBy}`] : []),
    ...(status.outcomeUnknown ? formatOutcomeQuestion(status.workflowId, status.outcomeUnknown) : []),
    ...status.events.map((e) => `  - ${e}`),
    ...(status.refusals ?? []).map(
      (r) => `  refused: ${r.answer} claimed by ${r.by} at ${r.at}: ${r.reason}`,
    ),
  ].join('\n');
}

/** What the command groups share: output, a Temporal client for one command, the policy file. */
export interface CliContext {
  io: Io;
  withClient: typeof withClient;
  policyOf: (config: Config) => LoadedPolicy;
}

/** Registers `ladder submit|status|cancel|respond|freeze|unfreeze|kill-switch`, then the ledger's and `state` commands. */
export function registerTaskCommands(program: Command, io: Io): void {
  const policyOf = (config: Config) => {
    try {
      return loadPolicyFile(config.policyPath, config.policyLimits).policy;
    } catch (err) {
      if (err instanceof PolicyError) throw new CliError(err.message);
      throw err;
    }
  };
  program
    .command('submit')
    .argument('<task>', 'task request JSON file')
    .option('--wait', WAIT_HELP)
    .description(
      'validate a task request and start its workflow; prints the workflow id, the decision and a Temporal UI link',
    )
    .action(async (file: string, options: { wait?: boolean }) => {
      // A folder, device or FIFO is refused before reading (`/dev/zero` would never end).
      const text = readText(file, 'task request');
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (err) {
        throw new CliError(`${file}: not valid JSON (${(err as Error).message})`);
      }
      await withClient(async (client, config) => {
        const policy = policyOf(config);
        let submission;
        try {
          submission = await submitTask(client, raw, {
            taskQueue: config.taskQueue,
            policy,
            actions: createActionRegistry(),
            uiBaseUrl: config.temporalUiUrl,
            // The decision comes back with the start: no status polling.
            awaitDecisionMs: DECISION_WAIT_MS,
          });
        } catch (err) {
          if (err instanceof TaskValidationError) throw new CliError(`${file}: ${err.message}`);
          throw err;
        }
        const { workflowId, existing } = submission;
        io.out(`${existing ? 'Already submitted' : 'Submitted'}: ${workflowId}`);
        io.out(`Temporal UI: ${workflowUiUrl(config, workflowId)}`);
        // Null when it did not decide in time (no worker?) or had already ended: ask it directly.
        const status = submission.decided ?? (await decided(client, workflowId, 5_000));
        if (status.decision) io.out(formatDecision(status.decision, submission.task.taskId));
        if (options.wait) {
          io.out('Waiting for the task to finish…');
          const code = await awaitTaskEnd(client, workflowId, (line) => io.out(line));
          if (code !== 0) throw new CliExit(code);
        } else if (status.waitingOn) {
          io.out(
            `Waiting on ${status.waitingOn}. Answer with: ladder respond ${workflowId} <answer> --as <Slack user id>`,
          );
        }
      });
    });

  const cli: CliContext = { io, withClient, policyOf };
  registerLedgerCommands(program, cli);
  registerStateCommands(program, cli);
  registerApprovalCommands(program, cli);
  registerAwayCommands(program, cli);
  registerApproverCommands(program, cli);

  program
    .command('status')
    .argument('[target]', 'a task (task/<agent>/<taskId>) or an agent; omit for every agent')
    .option('--wait', `for a task: ${WAIT_HELP}`)
    .description(
      "a task's rung, step and who it waits on; or an agent's rung per task class, its evidence against the next rung's thresholds, and what is missing",
    )
    .action(async (target: string | undefined, options: { wait?: boolean }) => {
      if (target === undefined || !/^(task|digest)\//.test(target)) {
        if (options.wait) throw new CliError('--wait needs a task id (task/<agent>/<taskId>)');
        await printAgentStatus(cli, target);
        return;
      }
      const workflowId = target;
      await withClient(async (client) => {
        const status = await client.workflow
          .getHandle(workflowId)
          .query(statusQuery)
          .catch((err: Error) => {
            throw new CliError(`${workflowId}: ${err.message}`);
          });
        io.out(formatStatus(status));
        if (options.wait) {
          const code = await awaitTaskEnd(client, workflowId, (line) => io.out(line));
          if (code !== 0) throw new CliExit(code);
        }
      });
    });

  program
    .command('cancel')
    .argument('<workflowId>')
    .description('cancel a task; steps that already ran are unwound at rung 4 and above')
    .action(async (workflowId: string) => {
      await withClient(async (client) => {
        await client.workflow
          .getHandle(workflowId)
          .cancel()
          .catch((err: Error) => {
            throw new CliError(`${workflowId}: ${err.message}`);
          });
        io.out(`Cancellation requested for ${workflowId}.`);
      });
    });

  const asCliError = async (run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      if (err instanceof KillSwitchError) throw new CliError(`Refused: ${err.message}`);
      throw err;
    }
  };

  program
    .command('freeze')
    .argument('[agent]', 'one agent; omit to freeze every agent')
    .requiredOption(
      '--as <userId>',
      'Slack user id of the admin engaging it (checked against the policy admins)',
    )
    .requiredOption('--reason <text>', 'why (shown to everyone the freeze affects)')
    .option('--cap <rung>', 'the highest rung allowed while frozen', '0')
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description(
      'kill switch: cap every agent (or one) at a rung at once; unexecuted autonomous steps fall back to confirmation',
    )
    .action(
      async (
        agent: string | undefined,
        options: { as: string; reason: string; cap: string; key?: string },
      ) => {
        if (!/^[0-5]$/.test(options.cap))
          throw new CliError(`--cap: expected a rung from 0 to 5, got "${options.cap}"`);
        const cap = Number(options.cap);
        await withClient(async (client, config) =>
          asCliError(async () => {
            // No policy file is read: the kill switch checks the proof against the last good policy
            // the worker holds, so it works while the live file is broken.
            await engageKillSwitch(
              client,
              { taskQueue: config.taskQueue, signer: operatorSigner(config, options.as, options.key) },
              { agentId: agent, cap, by: options.as, reason: options.reason },
            );
            io.out(`Kill switch engaged: ${agent ? `agent ${agent}` : 'every agent'} capped at rung ${cap}.`);
          }),
        );
      },
    );

  program
    .command('unfreeze')
    .argument('[agent]', 'one agent; omit to release the freeze on every agent')
    .requiredOption('--as <userId>', 'Slack user id of the admin releasing it')
    .option('--class <taskClass>', 'release a task class whose scope a rollback trigger reduced, instead')
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description('release the kill switch (or a task class scope reduction)')
    .action(async (agent: string | undefined, options: { as: string; class?: string; key?: string }) => {
      await withClient(async (client, config) =>
        asCliError(async () => {
          if (options.class !== undefined) {
            await releaseClassCap(
              client,
              { taskQueue: config.taskQueue, signer: operatorSigner(config, options.as, options.key) },
              { taskClass: options.class, by: options.as },
            );
            io.out(`Scope reduction released for task class ${options.class}.`);
            return;
          }
          await releaseKillSwitch(
            client,
            { taskQueue: config.taskQueue, signer: operatorSigner(config, options.as, options.key) },
            { agentId: agent, by: options.as },
          );
          io.out(`Kill switch released for ${agent ? `agent ${agent}` : 'every agent'}.`);
        }),
      );
    });

  program
    .command('kill-switch')
    .description('show what the run-time kill switch caps now')
    .action(async () => {
      await withClient(async (client, config) => {
        const state = await readKillSwitch(client, config.taskQueue);
        const lines = killSwitchLines(state);
        if (!state.all) lines.unshift('every agent: not frozen');
        io.out(lines.join('\n'));
      });
    });

  program
    .command('respond')
    .argument('<workflowId>')
    .argument(
      '<answer>',
      'approve | edit | reject | done | dismiss | accept | decline | read | ran | run-again | undo (the last three after an unknown outcome)',
    )
    .requiredOption(
      '--as <userId>',
      'Slack user id of the person answering (checked against the policy by the workflow)',
    )
    .option('--reason <text>', 'reason (reject, decline)')
    .option(
      '--set <path=value>',
      "edit: narrow one param before approving, e.g. --set timeoutMs=30000 or --set 1.cwd=jobs/nightly (step 0-based; repeatable; only what the class's `edits` allow)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--typed <name>', 'typed confirmation: the resource name, when the policy asks for it')
    .option(
      '--question <id>',
      'ran, run-again, undo: the id of the question answered, as `ladder status` shows it',
    )
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description(
      "answer a waiting task as an operator, signed with the operator's own key (--as must be the key's person); Slack users answer with buttons.",
    )
    .action(
      async (
        workflowId: string,
        answer: string,
        options: {
          as: string;
          reason?: string;
          typed?: string;
          key?: string;
          question?: string;
          set?: string[];
        },
        command: Command,
      ) => {
        if (answer === 'edit') {
          // A --set that cannot be read is a usage error, found before anything is sent.
          try {
            (options.set ?? []).forEach(parseSetArgument);
            if (!options.set?.length) applySetArguments([], undefined, []);
          } catch (err) {
            if (err instanceof SetSyntaxError)
              command.error(`error: ${err.message}`, { exitCode: EXIT.usage, code: 'ladder.respond.set' });
            throw err;
          }
        } else if (options.set?.length) {
          command.error(`error: --set is for \`respond <workflowId> edit\`, not ${answer}`, {
            exitCode: EXIT.usage,
            code: 'ladder.respond.set',
          });
        }
        type Connected = { client: Client; policy: () => LoadedPolicy };
        const answers: Record<
          string,
          (status: () => Promise<TaskStatus>, connected: Connected) => Promise<TaskAnswer>
        > = {
          // The operator approves the steps the workflow is running, as shown by `ladder status`.
          approve: async (status) => ({
            kind: 'approve',
            stepsHash: (await status()).stepsHash,
            typedConfirmation: options.typed,
          }),
          reject: async () => ({ kind: 'reject', reason: options.reason ?? '' }),
          done: async () => ({ kind: 'done' }),
          dismiss: async () => ({ kind: 'dismiss' }),
          accept: async () => ({ kind: 'accept' }),
          decline: async () => ({ kind: 'decline', reason: options.reason }),
          read: async () => ({ kind: 'read' }),
          // The steps as the task runs them now, with each --set applied and checked as the workflow will.
          edit: async (status, { client, policy }) => {
            const { stepsHash } = await status();
            const task = await client.workflow.getHandle(workflowId).query(taskRequestQuery);
            const rules = own(policy().taskClasses, task.taskClass)?.edits;
            try {
              return {
                kind: 'edit',
                stepsHash,
                steps: applySetArguments(task.steps, rules, options.set ?? []),
              };
            } catch (err) {
              if (err instanceof SetValueError) throw new CliError(`Refused before sending: ${err.message}`);
              throw err;
            }
          },
          // About the question the task asks now, as `ladder status` shows it.
          ...Object.fromEntries(
            (['ran', 'run-again', 'undo'] as const).map((kind) => [
              kind,
              async (status: () => Promise<TaskStatus>): Promise<TaskAnswer> => {
                // The question the operator checked, never whichever is open now: the workflow
                // refuses an answer about another question.
                if (!options.question) {
                  const open = (await status()).outcomeUnknown;
                  throw new CliError(
                    `${answer} needs --question <id>: the question you checked${open ? ` (the task asks ${open.id} now: ladder status ${workflowId})` : ''}`,
                  );
                }
                return { kind, question: options.question };
              },
            ]),
          ),
        };
        // Own keys only: an answer such as `constructor` must not find Object's members.
        const build = Object.hasOwn(answers, answer) ? answers[answer] : undefined;
        if (!build) {
          throw new CliError(
            `unknown answer "${answer}": expected approve, edit, reject, done, dismiss, accept, decline, read, ran, run-again or undo`,
          );
        }
        await withClient(async (client, config) => {
          const signer = operatorSigner(config, options.as, options.key);
          const handle = client.workflow.getHandle(workflowId);
          const result = await answerTask(
            client,
            workflowId,
            options.as,
            await build(() => handle.query(statusQuery), { client, policy: () => policyOf(config) }),
            signer,
          ).catch((err: unknown) => {
            // Not a refusal and not a receipt: say so, and where to look, not a stack trace.
            if (err instanceof AnswerOutcomeUnknownError) throw new CliError(`Unknown: ${err.message}`);
            throw err;
          });
          if (!result.ok) throw new CliError(`Refused: ${result.reason}`);
          io.out(`Accepted: ${answer} by ${result.receipt.by} at ${result.receipt.at}.`);
        });
      },
    );
}
