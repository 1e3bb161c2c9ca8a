import { makeContinueAsNewFunc, setHandler } from '@temporalio/workflow';
import type { Proven } from '../policy/answer-proof';
import { refuseAsFailure } from './answer-check';
import { authorityEntity } from './authority-entity';
import { workflowNowIso } from './clock';
import { publishedState } from './published-state';
import type { UsedAnswersCarry } from './used-answers';
import {
  capClassSignal,
  freezeUpdate,
  isClassCap,
  KILL_SWITCH_MEMO,
  killSwitchQuery,
  uncapClassUpdate,
  unfreezeUpdate,
  type ControlAuthority,
  type KillSwitchState,
  type Receipt,
} from './messages';

/**
 * The run-time kill switch of one deployment (`control/<queue>/kill-switch`). Freezes and
 * unfreezes are updates from admins, proven by their key (or the Slack app's): the validators
 * check the proof and the admin list of the last good policy the worker holds, so a broken policy
 * file never disables the switch and a claimed id alone is refused before it reaches history. The
 * decision activities read the state from its memo, kept equal to it in every workflow task
 * (`killSwitchQuery` answers the same). Long-lived; continues as new before its history grows
 * large, carrying its state and authority.
 */
export async function killSwitch(
  initial?: KillSwitchState,
  carriedAuthority?: ControlAuthority,
  carriedAnswers?: UsedAnswersCarry,
): Promise<void> {
  const state: KillSwitchState = initial ?? { all: null, agents: {}, classes: {} };
  const entity = authorityEntity(carriedAuthority, carriedAnswers);
  const published = publishedState<KillSwitchState>(KILL_SWITCH_MEMO);
  published.publish(state);
  /** Every change is published in the activation that makes it, and counted towards the run. */
  const changed = (): void => {
    published.publish(state);
    entity.changed();
  };

  /** Throws with a person's words unless `by` is an admin who proved it, and `agentId`/`taskClass` exist. */
  const expectAdmin = (
    answer: string,
    args: Proven & { by: string; agentId?: string; taskClass?: string },
    a: ControlAuthority,
  ): void => {
    entity.checkAnswer(a, answer, args, args.by);
    if (!a.admins.includes(args.by)) {
      throw new Error(
        `${args.by} is not an admin in policy ${a.policyVersion} (admins: ${a.admins.join(', ')})`,
      );
    }
    if (args.agentId !== undefined && !a.agents.includes(args.agentId)) {
      throw new Error(`unknown agent "${args.agentId}" (declared: ${a.agents.join(', ')})`);
    }
    if (args.taskClass !== undefined && !a.taskClasses.includes(args.taskClass)) {
      throw new Error(`unknown task class "${args.taskClass}" (declared: ${a.taskClasses.join(', ')})`);
    }
  };
  /**
   * Validators run synchronously; before the first authority load they cannot decide, so the
   * handler waits for it and checks again (such a refusal is then recorded in history).
   */
  const validate =
    <A extends Proven & { by: string; agentId?: string; taskClass?: string }>(answer: string) =>
    (args: A): void => {
      const authority = entity.authority();
      if (authority) expectAdmin(answer, args, authority);
    };
  const handle =
    <A extends Proven & { by: string; agentId?: string; taskClass?: string }>(
      answer: string,
      apply: (args: A, at: string) => void,
    ) =>
    async (args: A): Promise<Receipt> => {
      const authority = await entity.loaded();
      refuseAsFailure(() => expectAdmin(answer, args, authority));
      entity.take(authority, args);
      const at = workflowNowIso();
      apply(args, at);
      changed();
      return { accepted: true, by: args.by, at };
    };

  const expectFreezable = (args: { cap: number; reason: string }): void => {
    if (!Number.isInteger(args.cap) || args.cap < 0 || args.cap > 5)
      throw new Error(`cap must be a whole number from 0 to 5, got ${args.cap}`);
    if (!args.reason?.trim()) throw new Error('a kill switch needs a reason');
  };

  setHandler(killSwitchQuery, () => state);
  setHandler(
    freezeUpdate,
    handle(freezeUpdate.name, (args, at) => {
      refuseAsFailure(() => expectFreezable(args));
      const entry = { agentId: args.agentId, cap: args.cap, by: args.by, reason: args.reason, at };
      if (args.agentId === undefined) state.all = entry;
      else state.agents[args.agentId] = entry;
    }),
    {
      validator: (args) => {
        validate(freezeUpdate.name)(args);
        expectFreezable(args);
      },
    },
  );
  setHandler(
    unfreezeUpdate,
    handle(unfreezeUpdate.name, ({ agentId }) => {
      if (agentId === undefined) state.all = null;
      else delete state.agents[agentId];
    }),
    { validator: validate(unfreezeUpdate.name) },
  );
  setHandler(
    uncapClassUpdate,
    handle(uncapClassUpdate.name, ({ taskClass }) => {
      delete state.classes[taskClass];
    }),
    { validator: validate(uncapClassUpdate.name) },
  );
  // A class rollback trigger (from the worker's ledger judge) reduces a class's scope for every
  // agent; a lower cap wins. It only ever lowers a cap, so it needs no person's proof.
  setHandler(capClassSignal, (cap) => {
    // Unproven, so checked for shape: a cap that is not a rung would compare false with every later
    // trigger's and keep them all from landing; a class name like __proto__ would reach the prototype.
    if (!isClassCap(cap)) return;
    const current = state.classes[cap.taskClass];
    if (!current || cap.cap < current.cap) state.classes[cap.taskClass] = { ...cap, at: workflowNowIso() };
    changed();
  });

  const carry = await entity.runUntilContinueAsNew();
  await makeContinueAsNewFunc<typeof killSwitch>({ memo: published.carried(state) })(
    state,
    carry,
    entity.usedAnswers(),
  );
}
