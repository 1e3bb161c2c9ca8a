import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import { checkAway, MAX_AWAY, type Away } from '../policy/delegation';
import { ActivityProfiles, AUTHORITY_REFRESH } from './activity-profiles';
import { checkAnswerProof, refuseAsFailure } from './answer-check';
import { workflowNowIso, workflowNowMs } from './clock';
import {
  awayQuery,
  endAwayUpdate,
  setAwayUpdate,
  type EndAwayArgs,
  type SetAwayArgs,
} from './delegation-messages';
import { refreshAuthoritySignal, type ControlAuthority } from './messages';

const authorities = proxyActivities<LadderActivities>(ActivityProfiles.authority);

/**
 * Who is away and who answers for them (`control/<queue>/delegations`). An approver declares their
 * own absence with a signed answer, naming a stand-in the policy allows for them; it ends at its
 * time, when they are back, or when an admin ends it. Tasks read it when they decide. Ended
 * absences are dropped, so the state holds at most one entry per approver.
 */
export async function delegations(initial?: Away[], carriedAuthority?: ControlAuthority): Promise<void> {
  let absences: Away[] = initial ?? [];
  const { workflowId } = workflowInfo();
  let authority: ControlAuthority | null = carriedAuthority ?? null;
  let refreshRequested = false;
  let changes = 0;
  const inForce = (): Away[] => absences.filter((a) => Date.parse(a.until) > workflowNowMs());

  const expectSet = (args: SetAwayArgs, a: ControlAuthority): void => {
    checkAnswerProof(a.answerTrust, workflowId, setAwayUpdate.name, args, args.by);
    checkAway(
      a.delegation,
      { by: args.by, delegate: args.delegate, untilMs: Date.parse(args.until) },
      workflowNowMs(),
    );
    if (inForce().length >= MAX_AWAY && !absences.some((x) => x.approver === args.by))
      throw new Error(`${MAX_AWAY} absences are declared already`);
  };
  const expectEnd = (args: EndAwayArgs, a: ControlAuthority): void => {
    checkAnswerProof(a.answerTrust, workflowId, endAwayUpdate.name, args, args.by);
    const approver = args.approver ?? args.by;
    if (approver !== args.by && !a.admins.includes(args.by))
      throw new Error(`${args.by} may not end ${approver}'s absence: only they and admins may`);
    if (!inForce().some((x) => x.approver === approver)) throw new Error(`${approver} is not away`);
  };

  setHandler(awayQuery, () => inForce());
  setHandler(refreshAuthoritySignal, () => {
    refreshRequested = true;
  });
  setHandler(
    setAwayUpdate,
    async (args) => {
      // Validators cannot wait; before the first authority load the handler does, then checks again.
      await condition(() => authority !== null);
      refuseAsFailure(() => expectSet(args, authority!));
      const away: Away = {
        approver: args.by,
        delegate: args.delegate,
        since: workflowNowIso(),
        until: new Date(Date.parse(args.until)).toISOString(),
      };
      absences = [...inForce().filter((x) => x.approver !== args.by), away];
      changes++;
      return away;
    },
    { validator: (args) => void (authority && expectSet(args, authority)) },
  );
  setHandler(
    endAwayUpdate,
    async (args) => {
      await condition(() => authority !== null);
      refuseAsFailure(() => expectEnd(args, authority!));
      const approver = args.approver ?? args.by;
      absences = inForce().filter((x) => x.approver !== approver);
      changes++;
      return { accepted: true, by: args.by, at: workflowNowIso() };
    },
    { validator: (args) => void (authority && expectEnd(args, authority)) },
  );

  for (;;) {
    if (!authority || refreshRequested) {
      refreshRequested = false;
      authority = await authorities.loadControlAuthority();
    }
    const timedOut = !(await condition(
      () => refreshRequested || changes >= 500 || workflowInfo().continueAsNewSuggested,
      AUTHORITY_REFRESH,
    ));
    if (timedOut) refreshRequested = true;
    absences = inForce();
    if (changes >= 500 || workflowInfo().continueAsNewSuggested) break;
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof delegations>(inForce(), authority ?? undefined);
}
