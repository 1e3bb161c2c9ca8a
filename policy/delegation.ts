// Out-of-office delegation: while an approver is away, one stand-in the policy names answers in
// their place. Pure rules shared by the registry workflow, the decision activity and the task
// workflow's validators.

/** One approver's declared absence and who answers for them meanwhile. */
export interface Away {
  approver: string;
  delegate: string;
  /** ISO-8601 times of workflow clock: when it was declared, and when it ends. */
  since: string;
  until: string;
}

/** What the policy in force says about delegation (absent in authority carried from before it existed). */
export interface DelegationRule {
  standIns: Record<string, string[]>;
  maxAwayMs: number;
}

/** A delegation a task may use: `delegate` answers for `approver` until `until` (ISO). */
export type StandIn = Pick<Away, 'approver' | 'delegate' | 'until'>;

/** Most absences kept per deployment; more are refused with this number named. */
export const MAX_AWAY = 1000;

/**
 * Throws with a person's words unless `by` may declare an absence until `untilMs` with `delegate`
 * standing in: the policy lets `delegate` stand in for `by`, the absence ends in the future and
 * within `maxAway`.
 */
export function checkAway(
  rule: DelegationRule | undefined,
  away: { by: string; delegate: string; untilMs: number },
  nowMs: number,
): void {
  if (!rule) throw new Error('the policy in force declares no delegation: nobody may stand in for anyone');
  const allowed = rule.standIns[away.by];
  if (!allowed) throw new Error(`the policy names nobody who may stand in for ${away.by}`);
  if (!allowed.includes(away.delegate))
    throw new Error(
      `${away.delegate} may not stand in for ${away.by} (the policy allows: ${allowed.join(', ')})`,
    );
  if (!Number.isFinite(away.untilMs) || away.untilMs <= nowMs)
    throw new Error('until: expected a time in the future');
  if (away.untilMs > nowMs + rule.maxAwayMs)
    throw new Error(
      `until: at most ${Math.round(rule.maxAwayMs / 86_400_000)} days ahead (the policy's maxAway)`,
    );
}

/** The absences in force at `nowMs` of people in `approvers`: whom each task may take answers from. */
export function standInsFor(
  absences: readonly Away[],
  approvers: readonly string[],
  nowMs: number,
): StandIn[] {
  return absences
    .filter((a) => approvers.includes(a.approver) && Date.parse(a.until) > nowMs)
    .map(({ approver, delegate, until }) => ({ approver, delegate, until }));
}

/**
 * The approver `user` answers for under `standIns` at `nowMs`, or undefined. Only a direct
 * delegation counts: a stand-in who is away passes nothing on.
 */
export function standingInFor(
  standIns: readonly StandIn[] | undefined,
  user: string,
  nowMs: number,
): string | undefined {
  return standIns?.find((s) => s.delegate === user && Date.parse(s.until) > nowMs)?.approver;
}
