import { own } from '../policy/own';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { createActionRegistry } from '../activities/actions/registry';
import type { DrillStepResult } from '../activities/drill-activities';
import { classInfrastructure } from '../activities/ledger-activities';
import { readKillSwitch } from '../client/kill-switch';
import { createLedgerLink } from '../client/ledger-link';
import {
  decideProposal,
  declareIncident,
  EvidenceError,
  reportDefect,
  runRollbackDrill,
} from '../client/evidence';
import { formatAgentStatus, formatCanary, formatHistory, formatKillSwitch } from './format-ledger';
import { operatorSigner } from './operator-key';
import { createCanaryLink } from '../client/canary-link';
import { loadCanaryPolicy } from '../policy/canary';
import { CliError } from './policy-commands';
import type { CliContext } from './task-commands';

/** Registers `ladder history|defect|incident|promote` (agent status lives under `ladder status`). */
export function registerLedgerCommands(program: Command, cli: CliContext): void {
  const { io, withClient, policyOf } = cli;
  const refusals = async (run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      if (err instanceof EvidenceError) throw new CliError(`Refused: ${err.message}`);
      throw err;
    }
  };

  program
    .command('history')
    .argument('<agent>')
    .description("an agent's rung changes: when, from and to, why, who, and the evidence at the time")
    .action(async (agent: string) => {
      await withClient(async (client, config) => {
        const policy = policyOf(config);
        if (!own(policy.agents, agent))
          throw new CliError(`unknown agent "${agent}" (declared: ${Object.keys(policy.agents).join(', ')})`);
        const ledger = await createLedgerLink({ client, taskQueue: config.taskQueue }).read(agent);
        io.out(formatHistory(agent, ledger));
      });
    });

  program
    .command('defect')
    .argument('<workflowId>', 'the task that went wrong, task/<agent>/<taskId>')
    .argument('<what>', 'what went wrong')
    .requiredOption('--as <userId>', 'Slack user id of the reporter (admins, class approvers, agent owner)')
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description(
      'report a defect in an approved or autonomous task: the agent goes back to the incident rung',
    )
    .action(async (workflowId: string, what: string, options: { as: string; key?: string }) => {
      await withClient(async (client, config) =>
        refusals(async () => {
          const caller = {
            taskQueue: config.taskQueue,
            signer: operatorSigner(config, options.as, options.key),
          };
          const { agentId, taskClass } = await reportDefect(client, caller, policyOf(config), {
            workflowId,
            by: options.as,
            text: what,
          });
          io.out(`Defect recorded against ${agentId} in ${taskClass}; see \`ladder history ${agentId}\`.`);
        }),
      );
    });

  program
    .command('incident')
    .argument('<agent>')
    .argument('<taskClass>')
    .requiredOption(
      '--as <userId>',
      'Slack user id of whoever declares it (admins, class approvers, agent owner)',
    )
    .option('--reason <text>', 'what happened', '')
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description('declare an incident: the agent goes back to the incident rung in that class at once')
    .action(
      async (agent: string, taskClass: string, options: { as: string; reason: string; key?: string }) => {
        await withClient(async (client, config) =>
          refusals(async () => {
            const policy = policyOf(config);
            await declareIncident(
              client,
              { taskQueue: config.taskQueue, signer: operatorSigner(config, options.as, options.key) },
              policy,
              {
                id: randomUUID(),
                agentId: agent,
                taskClass,
                by: options.as,
                text: options.reason,
              },
            );
            io.out(
              `Incident recorded: ${agent} goes back to rung ${policy.demotion.incidentRung} in ${taskClass}.`,
            );
          }),
        );
      },
    );

  program
    .command('drill')
    .argument('<agent>')
    .argument('<taskClass>')
    .requiredOption(
      '--as <userId>',
      'Slack user id of whoever runs it (admins, class approvers, agent owner)',
    )
    .description(
      'rollback drill: execute and then deliberately compensate every action type of the class in a safe scope; rung 4 needs a passed one',
    )
    .action(async (agent: string, taskClass: string, options: { as: string }) => {
      await withClient(async (client, config) =>
        refusals(async () => {
          const result = await runRollbackDrill(
            client,
            { taskQueue: config.taskQueue, policy: policyOf(config) },
            { agentId: agent, taskClass, by: options.as, id: randomUUID().slice(0, 8) },
          );
          io.out(
            [
              `Rollback drill for ${agent} in ${taskClass}: ${result.passed ? 'PASSED' : 'FAILED'}`,
              ...result.steps.map(
                (s: DrillStepResult) => `  ${s.passed ? '✓' : '✗'} ${s.action}: ${s.detail}`,
              ),
            ].join('\n'),
          );
          if (!result.passed) process.exitCode = 1;
        }),
      );
    });

  program
    .command('promote')
    .argument('<agent>')
    .argument('<proposalId>', 'as shown by `ladder status <agent>`, e.g. p1')
    .argument('<answer>', 'approve | decline')
    .requiredOption('--as <userId>', 'Slack user id of the approver (admins and class approvers)')
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description('approve or decline a promotion proposal (the same as the buttons in Slack)')
    .action(
      async (agent: string, proposalId: string, answer: string, options: { as: string; key?: string }) => {
        if (answer !== 'approve' && answer !== 'decline')
          throw new CliError(`unknown answer "${answer}": expected approve or decline`);
        await withClient(async (client, config) => {
          const signer = operatorSigner(config, options.as, options.key);
          const result = await decideProposal(
            client,
            { taskQueue: config.taskQueue, signer },
            {
              agentId: agent,
              proposalId,
              by: options.as,
              approve: answer === 'approve',
            },
          );
          if (!result.ok) throw new CliError(`Refused: ${result.reason}`);
          io.out(
            `Promotion ${proposalId} ${answer === 'approve' ? 'approved' : 'declined'} by ${options.as} at ${result.at}.`,
          );
        });
      },
    );
}

/** `ladder status [agent]` without a workflow id: every agent's (or one agent's) standing. */
export async function printAgentStatus(cli: CliContext, agent: string | undefined): Promise<void> {
  await cli.withClient(async (client, config) => {
    const policy = cli.policyOf(config);
    if (agent !== undefined && !own(policy.agents, agent))
      throw new CliError(`unknown agent "${agent}" (declared: ${Object.keys(policy.agents).join(', ')})`);
    const link = createLedgerLink({ client, taskQueue: config.taskQueue });
    const registry = createActionRegistry();
    const blocks: string[] = [];
    const killSwitch = await readKillSwitch(client, config.taskQueue);
    blocks.push(formatKillSwitch(killSwitch, policy));
    if (agent === undefined) {
      try {
        const next = loadCanaryPolicy(policy, config.policyPath);
        const canary = createCanaryLink({
          client,
          taskQueue: config.taskQueue,
          current: () => policy,
          next: () => next,
        });
        blocks.push(formatCanary(await canary.state()));
      } catch (err) {
        blocks.push(`Canary: refused: ${(err as Error).message}`);
      }
    }
    for (const id of agent ? [agent] : Object.keys(policy.agents)) {
      blocks.push(
        formatAgentStatus(
          policy,
          id,
          await link.read(id),
          (c) => classInfrastructure(policy, registry, c),
          Date.now(),
          killSwitch,
        ),
      );
    }
    cli.io.out(blocks.join('\n\n'));
  });
}
