import { continueAsNew, setHandler } from '@temporalio/workflow';
import { checkAway, MAX_AWAY, type Away } from '../policy/delegation';
import { refuseAsFailure } from './answer-check';
import type { UsedAnswersCarry } from './used-answers';
import { workflowNowIso, workflowNowMs } from './clock';
import {
  awayQuery,
  endAwayUpdate,
  setAwayUpdate,
  type EndAwayArgs,
  type SetAwayArgs,
} from './delegation-messages';
import { authorityEntity } from './authority-entity';
import type { ControlAuthority } from './messages';

/**
 * Who is away and who answers for them (`control/<queue>/delegations`). An approver declares their
 * own absence with a signed answer, naming a stand-in the policy allows for them; it ends at its
 * time, when they are back, or when an admin ends it. Tasks read it when they decide. Ended
 * absences are dropped, so the state holds at most one entry per approver.
 */
export async function delegations(
  initial?: Away[],
  carriedAuthority?: ControlAuthority,
  carriedAnswers?: UsedAnswersCarry,
): Promise<void> {
  let absences: Away[] = initial ?? [];
  const entity = authorityEntity(carriedAuthority, carriedAnswers);
  const inForce = (): Away[] => absences.filter((a) => Date.parse(a.until) > workflowNowMs());

  const expectSet = (args: SetAwayArgs, a: ControlAuthority): void => {
    entity.checkAnswer(a, setAwayUpdate.name, args, args.by);
    checkAway(
      a.delegation,
      { by: args.by, delegate: args.delegate, untilMs: Date.parse(args.until) },
      workflowNowMs(),
    );
    if (inForce().length >= MAX_AWAY && !absences.some((x) => x.approver === args.by))
      throw new Error(`${MAX_AWAY} absences are declared already`);
  };
  const expectEnd = (args: EndAwayArgs, a: ControlAuthority): void => {
    entity.checkAnswer(a, endAwayUpdate.name, args, args.by);
    const approver = args.approver ?? args.by;
    if (approver !== args.by && !a.admins.includes(args.by))
      throw new Error(`${args.by} may not end ${approver}'s absence: only they and admins may`);
    if (!inForce().some((x) => x.approver === approver)) throw new Error(`${approver} is not away`);
  };

  setHandler(awayQuery, () => inForce());
  setHandler(
    setAwayUpdate,
    async (args) => {
      // Validators cannot wait; before the first authority load the handler does, then checks again.
      const authority = await entity.loaded();
      refuseAsFailure(() => expectSet(args, authority));
      entity.take(authority, args);
      const away: Away = {
        approver: args.by,
        delegate: args.delegate,
        since: workflowNowIso(),
        until: new Date(Date.parse(args.until)).toISOString(),
      };
      absences = [...inForce().filter((x) => x.approver !== args.by), away];
      entity.changed();
      return away;
    },
    { validator: (args) => void (entity.authority() && expectSet(args, entity.authority()!)) },
  );
  setHandler(
    endAwayUpdate,
    async (args) => {
      const authority = await entity.loaded();
      refuseAsFailure(() => expectEnd(args, authority));
      entity.take(authority, args);
      const approver = args.approver ?? args.by;
      absences = inForce().filter((x) => x.approver !== approver);
      entity.changed();
      return { accepted: true, by: args.by, at: workflowNowIso() };
    },
    { validator: (args) => void (entity.authority() && expectEnd(args, entity.authority()!)) },
  );

  const carry = await entity.runUntilContinueAsNew(() => {
    absences = inForce();
  });
  await continueAsNew<typeof delegations>(inForce(), carry, entity.usedAnswers());
}
