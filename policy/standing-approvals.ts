// Standing approvals: "allow this agent this action on these targets for a while, at most N times".
// Pure rules shared by the registry workflow (grant, revoke, use), the decision activity (which tasks
// may be covered at all) and the people-facing listings.
import type { Decision } from './decide';

/**
 * What one standing approval covers: one agent, one class, one action, one environment, and what the
 * steps act on. `resource` is the agent's own label for the task: shown and matched, but never
 * enough, since the agent chooses it. `targets` are what the granting task's steps act on (see
 * `ActionHandler.targets`: files, keys, URLs, commands), so a task is covered only when every
 * target of its steps is one of them.
 */
export interface StandingScope {
  agentId: string;
  taskClass: string;
  action: string;
  resource: string;
  environment: string;
  /** Sorted, without repeats; 1 to {@link MAX_TARGETS}. */
  targets: string[];
}

/** A standing approval as the registry keeps it. */
export interface StandingApproval extends StandingScope {
  /** `sa-` and 8 hex characters, unique in the registry. */
  id: string;
  grantedBy: string;
  /** ISO-8601 times of workflow clock. */
  grantedAt: string;
  expiresAt: string;
  maxUses: number;
  /** The tasks it let through, in order (at most `maxUses`); a task asking again gets its same use. */
  usedBy: string[];
  revoked: { by: string; at: string } | null;
  /** The task whose approval message it was created from. */
  fromTask: string | null;
}

/** What a covered task records: which standing approval let it through, and which use it was. */
export interface StandingUse {
  id: string;
  grantedBy: string;
  grantedAt: string;
  expiresAt: string;
  /** 1-based: this task was the `use`-th of `maxUses`. */
  use: number;
  maxUses: number;
}

/** The decision activity asks whether a rung-2 task is covered; each task counts once. */
export interface StandingUseRequest {
  workflowId: string;
  agentId: string;
  taskClass: string;
  /** Every step's action; a standing approval covers the task only when all are its action. */
  actions: string[];
  resource: string;
  environment: string;
  /** What every step acts on (the worker's action handlers name them), in any order. */
  targets: string[];
}

/** What the policy in force says about standing approvals of one class. */
export interface StandingClassRule {
  maxTermMs: number;
  maxUses: number;
  actions: string[];
  /** Why nothing in this class can ever be covered (two-person rule or typed confirmation not covered), or null. */
  neverCovers: string | null;
}

/** The authority a grant or revoke is checked with (a subset of the entity workflows' control authority). */
export interface StandingAuthority {
  policyVersion: string;
  admins: string[];
  agents: string[];
  approversByClass: Record<string, string[]>;
  /** Classes that allow standing approvals; absent in authority carried from before they existed. */
  standingByClass?: Record<string, StandingClassRule>;
}

/** Most standing approvals in force at once per deployment; more are refused with this number named. */
export const MAX_STANDING_IN_FORCE = 500;
/** How long an ended standing approval stays listed (ms): long enough to see why a task was asked again. */
export const ENDED_KEPT_MS = 24 * 60 * 60 * 1000;
const MAX_NAME = 200;
/** Most targets one standing approval names, and the longest target (characters). */
export const MAX_TARGETS = 50;
export const MAX_TARGET_LENGTH = 2_000;

/** `targets` sorted and without repeats: the form a grant keeps. Pure. */
export function canonicalTargets(targets: readonly string[]): string[] {
  return [...new Set(targets)].sort();
}

/** What names one step's targets: the action registry (`ActionRegistry.targets`). */
export interface StepTargets {
  targets(type: string, params: unknown): string[];
}

/**
 * What a task's steps act on, in the form a grant keeps ({@link canonicalTargets}).
 *
 * @throws Error naming the action when a step's params do not validate.
 */
export function taskTargets(
  actions: StepTargets,
  steps: readonly { action: string; params: unknown }[],
): string[] {
  return canonicalTargets(steps.flatMap((s) => actions.targets(s.action, s.params)));
}

/**
 * Throws with a person's words unless `grant` may be made by `by` under `authority`: `by` approves
 * the class or is an admin, the class allows standing approvals and can be covered by one, the agent
 * and action exist, and the term (ms) and uses are within the class's limits.
 */
export function checkGrant(
  authority: StandingAuthority,
  grant: StandingScope & { by: string; termMs: number; maxUses: number },
): void {
  const rule = authority.standingByClass?.[grant.taskClass];
  if (!authority.approversByClass[grant.taskClass])
    throw new Error(`unknown task class "${grant.taskClass}"`);
  if (!rule)
    throw new Error(
      `task class "${grant.taskClass}" does not allow standing approvals in policy ${authority.policyVersion}`,
    );
  if (rule.neverCovers) throw new Error(`a standing approval could never cover a task: ${rule.neverCovers}`);
  const approvers = authority.approversByClass[grant.taskClass];
  if (!approvers.includes(grant.by) && !authority.admins.includes(grant.by))
    throw new Error(
      `${grant.by} may not grant standing approvals in ${grant.taskClass}: only its approvers (${approvers.join(', ')}) and admins may`,
    );
  if (!authority.agents.includes(grant.agentId))
    throw new Error(`unknown agent "${grant.agentId}" (declared: ${authority.agents.join(', ')})`);
  if (!rule.actions.includes(grant.action))
    throw new Error(
      `action "${grant.action}" is not one of ${grant.taskClass}'s actions (${rule.actions.join(', ')})`,
    );
  for (const [field, value] of [
    ['resource', grant.resource],
    ['environment', grant.environment],
  ] as const) {
    if (typeof value !== 'string' || !value.trim() || value.length > MAX_NAME)
      throw new Error(`${field}: expected a name of 1 to ${MAX_NAME} characters`);
  }
  checkTargets(grant.targets);
  if (!Number.isInteger(grant.termMs) || grant.termMs <= 0 || grant.termMs > rule.maxTermMs)
    throw new Error(
      `term: expected more than 0 and at most ${formatHours(rule.maxTermMs)} (the class's maxTerm), got ${formatHours(grant.termMs)}`,
    );
  if (!Number.isInteger(grant.maxUses) || grant.maxUses < 1 || grant.maxUses > rule.maxUses)
    throw new Error(
      `uses: expected a whole number from 1 to ${rule.maxUses} (the class's maxUses), got ${grant.maxUses}`,
    );
}

/** Throws unless `targets` are 1 to {@link MAX_TARGETS} non-empty strings, sorted and without repeats. */
function checkTargets(targets: unknown): void {
  if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_TARGETS)
    throw new Error(
      `targets: expected 1 to ${MAX_TARGETS} things the steps act on, got ${Array.isArray(targets) ? targets.length : typeof targets}`,
    );
  targets.forEach((t, i) => {
    if (typeof t !== 'string' || !t.trim() || t.length > MAX_TARGET_LENGTH)
      throw new Error(`targets[${i}]: expected text of 1 to ${MAX_TARGET_LENGTH} characters`);
  });
  const canonical = canonicalTargets(targets as string[]);
  if (canonical.length !== targets.length || canonical.some((t, i) => t !== targets[i]))
    throw new Error('targets: expected them sorted and without repeats');
}

/**
 * Throws unless `by` may revoke `approval`: its grantor, an approver of its class, or an admin.
 * Revoking an ended one is refused with why it ended.
 */
export function checkRevoke(
  authority: StandingAuthority,
  approval: StandingApproval | undefined,
  id: string,
  by: string,
  nowMs: number,
): asserts approval is StandingApproval {
  if (!approval) throw new Error(`no standing approval ${id}`);
  const ended = endedBecause(approval, nowMs);
  if (ended) throw new Error(`standing approval ${id} has ended already: ${ended}`);
  const approvers = authority.approversByClass[approval.taskClass] ?? [];
  if (by !== approval.grantedBy && !approvers.includes(by) && !authority.admins.includes(by))
    throw new Error(
      `${by} may not revoke ${id}: only ${approval.grantedBy} (who granted it), ${approval.taskClass}'s approvers and admins may`,
    );
}

/** Why `approval` no longer lets tasks through (revoked, expired, used up), or null while in force. */
export function endedBecause(approval: StandingApproval, nowMs: number): string | null {
  if (approval.revoked) return `revoked by ${approval.revoked.by} at ${approval.revoked.at}`;
  if (Date.parse(approval.expiresAt) <= nowMs) return `expired at ${approval.expiresAt}`;
  if (approval.usedBy.length >= approval.maxUses)
    return `used ${approval.maxUses} of ${approval.maxUses} times`;
  return null;
}

/** When `approval` ended (ms), or null while in force. */
function endedAtMs(approval: StandingApproval, nowMs: number): number | null {
  if (approval.revoked) return Date.parse(approval.revoked.at);
  if (Date.parse(approval.expiresAt) <= nowMs) return Date.parse(approval.expiresAt);
  return null; // used up: kept until it expires, so its uses stay listed for its whole term
}

/**
 * The standing approval that covers `request`, using one of its uses (the one expiring first of
 * those in force), or the same use again when this task was counted before. Mutates `approvals`.
 *
 * @returns the use, or null when none covers the task.
 */
export function useStanding(
  approvals: StandingApproval[],
  request: StandingUseRequest,
  nowMs: number,
): StandingUse | null {
  const already = approvals.find((a) => a.usedBy.includes(request.workflowId));
  if (already) return useOf(already, already.usedBy.indexOf(request.workflowId) + 1);
  if (request.actions.length === 0) return null;
  const covering = approvals
    .filter(
      (a) =>
        endedBecause(a, nowMs) === null &&
        a.agentId === request.agentId &&
        a.taskClass === request.taskClass &&
        a.resource === request.resource &&
        a.environment === request.environment &&
        request.actions.every((action) => action === a.action) &&
        coversTargets(a, request.targets),
    )
    .sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt))[0];
  if (!covering) return null;
  covering.usedBy.push(request.workflowId);
  return useOf(covering, covering.usedBy.length);
}

/**
 * Whether every one of `targets` is among `approval`'s. An approval kept from before targets
 * existed, or a request naming none, is never covered.
 */
function coversTargets(approval: StandingApproval, targets: readonly string[]): boolean {
  if (!Array.isArray(approval.targets) || approval.targets.length === 0) return false;
  if (!Array.isArray(targets) || targets.length === 0) return false;
  const granted = new Set(approval.targets);
  return targets.every((t) => granted.has(t));
}

function useOf(a: StandingApproval, use: number): StandingUse {
  return {
    id: a.id,
    grantedBy: a.grantedBy,
    grantedAt: a.grantedAt,
    expiresAt: a.expiresAt,
    use,
    maxUses: a.maxUses,
  };
}

/** Drops approvals that ended more than {@link ENDED_KEPT_MS} ago; the registry's state stays bounded. */
export function pruneEnded(approvals: StandingApproval[], nowMs: number): StandingApproval[] {
  return approvals.filter((a) => {
    const ended = endedAtMs(a, nowMs);
    return ended === null || nowMs - ended < ENDED_KEPT_MS;
  });
}

/** How many of `approvals` are in force at `nowMs`. */
export function inForceCount(approvals: readonly StandingApproval[], nowMs: number): number {
  return approvals.filter((a) => endedBecause(a, nowMs) === null).length;
}

/**
 * Whether a decided task may be covered by a standing approval at all: only a rung-2 request in a
 * class that allows them, never one the kill switch, a rollback trigger or the agent itself sent to
 * a person, and a pinned (`pins`: the ids of the pins matching the task), two-person-rule or
 * typed-confirmation task only where the class says so.
 *
 * @returns null when it may be, else why not (for the task's story).
 */
export function whyNotCoverable(
  decision: Pick<Decision, 'effectiveRung' | 'refused' | 'reasons' | 'twoPersonRule' | 'typedConfirmation'>,
  cover: { pinned: boolean; twoPersonRule: boolean; typedConfirmation: boolean } | undefined,
  pins: readonly string[],
): string | null {
  if (decision.refused || decision.effectiveRung !== 2) return 'not a rung-2 request';
  if (!cover) return 'the class does not allow standing approvals';
  for (const r of decision.reasons) {
    if (r.rule === 'kill-switch' || r.rule === 'kill-switch-runtime') return 'a kill switch is engaged';
    if (r.rule === 'class-rollback') return 'a rollback trigger reduced the class';
    if (r.rule === 'requested-lower') return 'the agent asked for confirmation';
  }
  // A pin at or above the earned rung lowers nothing and leaves no reason: every matching pin counts.
  if (pins.length > 0 && !cover.pinned) return `pinned (${pins.join(', ')})`;
  if (decision.twoPersonRule && !cover.twoPersonRule) return 'the two-person rule applies';
  if (decision.typedConfirmation.required && !cover.typedConfirmation)
    return 'a typed confirmation is required';
  return null;
}

/** `24 h`, `90 min`, `30 s`: a term in the largest whole unit. */
export function formatHours(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Math.round(ms / 1000)} s`;
}
