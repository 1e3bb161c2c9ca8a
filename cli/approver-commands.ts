import type { Command } from 'commander';
import { ApproverReviewError, listWatchedApprovers, reviewApprover } from '../client/approver-watch';
import { formatDuration } from '../policy/duration';
import { pct } from '../policy/trust-rules';
import type { WatchedApproverView } from '../workflows/approver-watch-messages';
import { operatorSigner } from './operator-key';
import { CliError } from './policy-commands';
import type { CliContext } from './task-commands';

/** One approver's line in `ladder approvers`. Pure. */
export function formatWatchedApprover(a: WatchedApproverView): string {
  const speed = a.medianApproveMs === null ? 'unknown' : formatDuration(a.medianApproveMs);
  const head = `${a.approver} in ${a.taskClass}: ${a.answers} answers, ${pct(a.approvalRate)} approved, median time to approve ${speed}, ${a.defects} approved task(s) found defective`;
  if (a.flag)
    return `${head}\n  UNDER REVIEW since ${new Date(a.flag.atMs).toISOString()}: their approvals do not count towards promotion (${a.flag.why})`;
  return a.reviewed
    ? `${head}\n  reviewed by ${a.reviewed.by} at ${new Date(a.reviewed.atMs).toISOString()}`
    : head;
}

/**
 * Registers `ladder approvers [--class] [--json]` (the rubber-stamp watch's numbers per approver and
 * class) and `ladder approvers review <approver> --class <c> --as <you>` (an owner clears a flag).
 */
export function registerApproverCommands(program: Command, cli: CliContext): void {
  const approvers = program
    .command('approvers')
    .option('--class <taskClass>', 'one task class only')
    .option('--json', 'print them as JSON')
    .description(
      "the rubber-stamp watch: each approver's answers, approval rate, speed and defects, and who is under review",
    )
    .action(async (options: { class?: string; json?: boolean }) => {
      await cli.withClient(async (client, config) => {
        const policy = cli.policyOf(config);
        const classes = Object.keys(policy.taskClasses);
        if (options.class && !classes.includes(options.class))
          throw new CliError(
            `--class: unknown task class "${options.class}" (declared: ${classes.join(', ')})`,
          );
        const watched = await listWatchedApprovers(
          client,
          config.taskQueue,
          options.class ? [options.class] : classes,
        );
        if (options.json) return cli.io.out(JSON.stringify(watched, null, 2));
        if (!policy.approverWatch)
          cli.io.out('The policy sets no approverWatch: nobody is watched, and every approval counts.');
        if (watched.length === 0) return cli.io.out('No answers recorded yet.');
        for (const a of watched) cli.io.out(formatWatchedApprover(a));
      });
    });

  approvers
    .command('review <approver>')
    // Commander hands --class to `approvers` wherever it stands: read from there too.
    .option('--class <taskClass>', 'the task class they are under review in (required)')
    .requiredOption(
      '--as <userId>',
      'your Slack user id (an owner of the class, or an admin where it names none)',
    )
    .option('--note <text>', 'what the review found, kept with it')
    .option(
      '--key <file>',
      "the operator's own answer key (default: LADDER_OPERATOR_KEY, or the local stack's key for --as)",
    )
    .description('you reviewed an approver under review: their approvals count again, judged afresh')
    .action(
      async (approver: string, options: { class?: string; as: string; note?: string; key?: string }) => {
        const taskClass = options.class ?? approvers.opts<{ class?: string }>().class;
        if (!taskClass) throw new CliError('--class: name the task class they are under review in');
        await cli.withClient(async (client, config) => {
          const classes = Object.keys(cli.policyOf(config).taskClasses);
          if (!classes.includes(taskClass))
            throw new CliError(
              `--class: unknown task class "${taskClass}" (declared: ${classes.join(', ')})`,
            );
          try {
            const receipt = await reviewApprover(
              client,
              { taskQueue: config.taskQueue, signer: operatorSigner(config, options.as, options.key) },
              {
                taskClass,
                approver,
                by: options.as,
                ...(options.note ? { note: options.note } : {}),
              },
            );
            cli.io.out(
              `Reviewed ${approver} in ${taskClass} (recorded at ${receipt.at}): their approvals count again.`,
            );
          } catch (err) {
            if (err instanceof ApproverReviewError) throw new CliError(`Refused: ${err.message}`);
            throw err;
          }
        });
      },
    );
}
