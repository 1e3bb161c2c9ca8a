import {
  allHandlersFinished,
  condition,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import { ActivityProfiles, AUTHORITY_REFRESH, AUTHORITY_REFRESH_MS } from './activity-profiles';
import type { Proven } from '../policy/answer-proof';
import { checkAnswerProof, refuseAsFailure } from './answer-check';
import { workflowNowMs } from './clock';
import { refreshAuthoritySignal, type ControlAuthority } from './messages';
import { UsedAnswers, type UsedAnswersCarry } from './used-answers';

const authorities = proxyActivities<LadderActivities>(ActivityProfiles.authority);

/** Changes an entity takes before it continues as new, whatever its history size says. */
const CHANGES_PER_RUN = 500;

/**
 * What an entity workflow answering people's signed updates (kill switch, standing approvals,
 * delegations) shares: the control authority of the last good policy, reloaded every
 * {@link AUTHORITY_REFRESH} and on `refreshAuthoritySignal`, and the point where the run ends
 * for continue-as-new.
 */
export interface AuthorityEntity {
  /** The authority in force, or null before its first load (validators cannot wait for it). */
  authority(): ControlAuthority | null;
  /** Waits for the first load; handlers call it before checking an answer. */
  loaded(): Promise<ControlAuthority>;
  /** Counts one change of state towards the run's limit. */
  changed(): void;
  /**
   * Verifies a signed answer against `a`'s keys (see `checkAnswerProof`) and refuses a signature
   * this entity has taken before. Validators and handlers call it.
   *
   * @throws Error naming what is wrong.
   */
  checkAnswer(a: ControlAuthority, answer: string, args: Proven, person: string): void;
  /**
   * Takes a checked answer in its handler, before anything changes: the same signature is refused
   * from now on. Throws a failed update if a copy was taken in the meantime.
   */
  take(a: ControlAuthority, args: Proven): void;
  /** The taken answers the next run must remember (pass them to continue-as-new). */
  usedAnswers(): UsedAnswersCarry;
  /**
   * Keeps the authority fresh, calling `onWake` after each wait, until the run should continue as
   * new; returns once every handler has finished, with the authority to carry over. `wakeWhen`
   * ends a wait early when it turns true (work the entity does outside its handlers).
   */
  runUntilContinueAsNew(
    onWake?: () => void | Promise<void>,
    wakeWhen?: () => boolean,
  ): Promise<ControlAuthority | undefined>;
}

/**
 * Starts holding the authority of an entity workflow (registers `refreshAuthoritySignal`).
 *
 * @param carried - the authority the previous run held.
 * @param carriedAnswers - the signed answers the previous run took.
 */
export function authorityEntity(
  carried?: ControlAuthority,
  carriedAnswers?: UsedAnswersCarry,
): AuthorityEntity {
  let authority: ControlAuthority | null = carried ?? null;
  const used = new UsedAnswers(carriedAnswers);
  const { workflowId } = workflowInfo();
  let refreshRequested = false;
  // A carried authority counts from this run's start.
  let loadedAtMs = workflowNowMs();
  let changes = 0;
  setHandler(refreshAuthoritySignal, () => {
    refreshRequested = true;
  });
  const ending = (): boolean => changes >= CHANGES_PER_RUN || workflowInfo().continueAsNewSuggested;
  return {
    authority: () => authority,
    async loaded() {
      await condition(() => authority !== null);
      return authority!;
    },
    changed() {
      changes++;
    },
    checkAnswer(a, answer, args, person) {
      checkAnswerProof(a.answerTrust, workflowId, answer, args, person);
      used.refuseTaken(args);
    },
    take(a, args) {
      refuseAsFailure(() => used.take(args, a.answerTrust.ttlMs, workflowNowMs()));
    },
    usedAnswers: () => used.carried(),
    async runUntilContinueAsNew(onWake, wakeWhen) {
      for (;;) {
        if (!authority || refreshRequested) {
          refreshRequested = false;
          authority = await authorities.loadControlAuthority();
          loadedAtMs = workflowNowMs();
        }
        const timedOut = !(await condition(
          () => refreshRequested || ending() || (wakeWhen?.() ?? false),
          AUTHORITY_REFRESH,
        ));
        // On the clock too: wakes more often than the period must not keep the authority stale.
        if (timedOut || workflowNowMs() - loadedAtMs >= AUTHORITY_REFRESH_MS) refreshRequested = true;
        await onWake?.();
        if (ending()) break;
      }
      await condition(allHandlersFinished);
      return authority ?? undefined;
    },
  };
}
