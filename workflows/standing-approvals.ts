import { continueAsNew, setHandler, uuid4 } from '@temporalio/workflow';
import {
  checkGrant,
  checkRevoke,
  inForceCount,
  MAX_STANDING_IN_FORCE,
  pruneEnded,
  useStanding,
  type StandingApproval,
} from '../policy/standing-approvals';
import { refuseAsFailure } from './answer-check';
import type { UsedAnswersCarry } from './used-answers';
import { workflowNowIso, workflowNowMs } from './clock';
import { authorityEntity } from './authority-entity';
import type { ControlAuthority } from './messages';
import {
  grantStandingApprovalUpdate,
  revokeStandingApprovalUpdate,
  standingApprovalsQuery,
  useStandingApprovalUpdate,
  type GrantStandingArgs,
  type RevokeStandingArgs,
} from './standing-approval-messages';

/**
 * The standing approvals of one deployment (`control/<queue>/standing-approvals`). People grant and
 * revoke them with signed answers, checked against the approvers, admins and class limits of the
 * last good policy the worker holds; the decision activity uses them one task at a time (handlers
 * run one at a time, so an approval of N uses lets exactly N tasks through). Ended approvals stay
 * listed for a day, then go: the state is bounded by {@link MAX_STANDING_IN_FORCE} and that day.
 */
export async function standingApprovals(
  initial?: StandingApproval[],
  carriedAuthority?: ControlAuthority,
  carriedAnswers?: UsedAnswersCarry,
): Promise<void> {
  let approvals: StandingApproval[] = initial ?? [];
  const entity = authorityEntity(carriedAuthority, carriedAnswers);

  const expectGrant = (args: GrantStandingArgs, a: ControlAuthority): void => {
    entity.checkAnswer(a, grantStandingApprovalUpdate.name, args, args.by);
    checkGrant(a, args);
    if (inForceCount(approvals, workflowNowMs()) >= MAX_STANDING_IN_FORCE)
      throw new Error(
        `${MAX_STANDING_IN_FORCE} standing approvals are in force already: revoke some before granting more`,
      );
  };
  const expectRevoke = (args: RevokeStandingArgs, a: ControlAuthority): void => {
    entity.checkAnswer(a, revokeStandingApprovalUpdate.name, args, args.by);
    checkRevoke(
      a,
      approvals.find((x) => x.id === args.id),
      args.id,
      args.by,
      workflowNowMs(),
    );
  };

  setHandler(standingApprovalsQuery, () => approvals);
  setHandler(
    grantStandingApprovalUpdate,
    async (args) => {
      // Validators cannot wait; before the first authority load the handler does, then checks again.
      const authority = await entity.loaded();
      refuseAsFailure(() => expectGrant(args, authority));
      entity.take(authority, args);
      const nowMs = workflowNowMs();
      const approval: StandingApproval = {
        id: `sa-${uuid4().slice(0, 8)}`,
        agentId: args.agentId,
        taskClass: args.taskClass,
        action: args.action,
        resource: args.resource,
        environment: args.environment,
        targets: [...args.targets],
        grantedBy: args.by,
        grantedAt: new Date(nowMs).toISOString(),
        expiresAt: new Date(nowMs + args.termMs).toISOString(),
        maxUses: args.maxUses,
        usedBy: [],
        revoked: null,
        fromTask: args.fromTask ?? null,
      };
      approvals.push(approval);
      entity.changed();
      return approval;
    },
    { validator: (args) => void (entity.authority() && expectGrant(args, entity.authority()!)) },
  );
  setHandler(
    revokeStandingApprovalUpdate,
    async (args) => {
      const authority = await entity.loaded();
      refuseAsFailure(() => expectRevoke(args, authority));
      entity.take(authority, args);
      const at = workflowNowIso();
      approvals.find((x) => x.id === args.id)!.revoked = { by: args.by, at };
      entity.changed();
      return { accepted: true, by: args.by, at };
    },
    { validator: (args) => void (entity.authority() && expectRevoke(args, entity.authority()!)) },
  );
  // From the worker's decision activity: it can only spend uses, never make or widen an approval.
  setHandler(useStandingApprovalUpdate, (request) => {
    const use = useStanding(approvals, request, workflowNowMs());
    if (use) entity.changed();
    return use;
  });

  const carry = await entity.runUntilContinueAsNew(() => {
    approvals = pruneEnded(approvals, workflowNowMs());
  });
  await continueAsNew<typeof standingApprovals>(
    pruneEnded(approvals, workflowNowMs()),
    carry,
    entity.usedAnswers(),
  );
}
