import type { Decision, Usage } from '../policy/decide';
import type { QuotaReply } from '../workflows/messages';

/** Usage that bites no daily bound: what a decision is first made with. */
const NO_USAGE: Usage = Object.freeze({ countToday: 0, costTodayUsd: 0 });

/** A decision and, for a task that may run on its own within daily bounds, its quota reservation. */
export interface DecisionWithReservation {
  decision: Decision;
  /** The quota ledger's answer (granted, or refused with its reason); null when none was asked. */
  reservation: QuotaReply | null;
}

/**
 * Decides a task, reading the day's usage only where it can change the decision.
 *
 * Why: usage decides nothing below rung 3, where bounds do not apply, and at rung 3 and above the
 * reservation the task needs anyway is the authoritative check and reports the usage it saw. So
 * most tasks decide without the usage query: a rung-0–2 task never reads it, and an in-bounds
 * autonomous task learns it from its reservation.
 *
 * Invariant: the decision is the one `decideWith` gives with the usage the quota ledger held when
 * it answered (or, without a reservation, with `readUsage()`), as if the usage had been read first:
 * - not refused and bounds not applied: usage plays no part; no read, no reservation;
 * - out of bounds for another reason (below rung 3 with bounds applied): usage is read, so the
 *   decision names every bound the task breaks, the daily ones included;
 * - granted: within the daily bounds, so the usage changes nothing;
 * - refused: decided again with the usage the ledger reported, which puts it at confirmation with
 *   the daily bound named; should that still allow rung 3, the refused reservation is returned and
 *   the task falls back to confirmation with the ledger's reason, as a race with another task would.
 *
 * @param decideWith - `decide()` with everything but the usage bound in.
 * @param readUsage - the day's usage (a query of the quota ledger).
 * @param reserve - asks the quota ledger for this task's reservation; null when the class sets no daily limits.
 */
export async function decideWithUsage(
  decideWith: (usage: Usage) => Decision,
  readUsage: () => Promise<Usage>,
  reserve: (() => Promise<QuotaReply>) | null,
): Promise<DecisionWithReservation> {
  const first = decideWith(NO_USAGE);
  if (first.refused || !first.bounds.applied) return { decision: first, reservation: null };
  if (first.effectiveRung < 3) return { decision: decideWith(await readUsage()), reservation: null };
  if (!reserve) return { decision: first, reservation: null };
  const reservation = await reserve();
  if (reservation.granted) return { decision: first, reservation };
  const again = decideWith({ countToday: reservation.countUsed, costTodayUsd: reservation.costUsedUsd });
  return again.effectiveRung < 3 ? { decision: again, reservation: null } : { decision: first, reservation };
}
