import type { Client } from '@temporalio/client';
import { listAway } from '../client/delegations';
import { standInsFor, standingInFor, type Away } from '../policy/delegation';
import type { StandingClassRule } from '../policy/standing-approvals';
import type { LoadedPolicy } from '../policy/loader';
import { own } from '../policy/own';
import { reportReadersOf } from '../policy/report-readers';
import type { ControlAuthority } from '../workflows/messages';

/**
 * What the authority activities read: the worker's last good policy and, for a stand-in's answer,
 * the absences in force (the delegations registry on `taskQueue`).
 */
export interface AuthorityDeps {
  policy: () => LoadedPolicy;
  client?: Client;
  taskQueue?: string;
}

/**
 * Who answers a task's approval or draft, for the check of their authority against the policy in
 * force: an approver, a member of a group the request was escalated to, or a stand-in.
 */
export interface ApproverClaim {
  kind?: 'approver';
  /** The person answering. */
  user: string;
  taskClass: string;
  /** The groups the request was escalated to that the person answers as a member of; none for an approver. */
  escalatedTo: string[];
  /** The approver the person stands in for, when they answer as a stand-in. */
  onBehalfOf?: string;
}

/** Who answers whether an effect of unknown outcome ran: the agent's owner or an approver of the class. */
export interface OwnerOrApproverClaim {
  kind: 'owner-or-approver';
  user: string;
  taskClass: string;
  agentId: string;
  /** The groups an approval request of the task was escalated to that the person is a member of. */
  escalatedTo: string[];
}

/** Who marks a report read: one of the class's `report.readers` (the requester is the task's own). */
export interface ReaderClaim {
  kind: 'reader';
  user: string;
  taskClass: string;
  agentId: string;
  requester: string;
}

/** Who answers a task's request, for the check of their authority against the policy in force. */
export type AnswererClaim = ApproverClaim | OwnerOrApproverClaim | ReaderClaim;

/**
 * Why `claim` no longer holds under `policy` and the absences `away` at `nowMs` (ms since the
 * epoch), or null when it does: an approver must still be one of the class (or a member of a group
 * the request was escalated to), and a stand-in must still stand in for an approver who still is
 * one; the answerer of an unknown outcome must still own the agent or approve the class; a reader
 * must still be one of the class's report readers. Pure.
 */
export function answererNoLongerInForce(
  policy: LoadedPolicy,
  claim: AnswererClaim,
  away: readonly Away[],
  nowMs: number,
): string | null {
  const of = `"${claim.taskClass}" in policy ${policy.versionId}`;
  const ownerOf = (agentId: string): string | null => own(policy.agents, agentId)?.owner ?? null;
  if (claim.kind === 'reader') {
    const readers = reportReadersOf(policy, claim, ownerOf(claim.agentId));
    return readers.includes(claim.user) ? null : `${claim.user} is no longer a report reader of ${of}`;
  }
  const approvers = new Set([
    ...(own(policy.approversByClass, claim.taskClass) ?? []),
    ...claim.escalatedTo.flatMap((g) => own(policy.groups, g) ?? []),
  ]);
  if (claim.kind === 'owner-or-approver') {
    return claim.user === ownerOf(claim.agentId) || approvers.has(claim.user)
      ? null
      : `${claim.user} no longer owns ${claim.agentId} nor approves ${of}`;
  }
  if (claim.onBehalfOf === undefined)
    return approvers.has(claim.user) ? null : `${claim.user} is no longer an approver of ${of}`;
  if (!approvers.has(claim.onBehalfOf))
    return `${claim.user} stands in for ${claim.onBehalfOf}, who is no longer an approver of ${of}`;
  const standIns = standInsFor(away, [claim.onBehalfOf], nowMs);
  return standingInFor(standIns, claim.user, nowMs) === claim.onBehalfOf
    ? null
    : `${claim.user} no longer stands in for ${claim.onBehalfOf}: the absence has ended`;
}

/** The part of a policy that says who may answer entity workflows, and with which keys. */
export function controlAuthorityOf(policy: LoadedPolicy): ControlAuthority {
  return {
    policyVersion: policy.versionId,
    admins: [...policy.admins],
    agents: Object.keys(policy.agents),
    taskClasses: Object.keys(policy.taskClasses),
    approversByClass: Object.fromEntries(
      Object.entries(policy.approversByClass).map(([c, a]) => [c, [...a]]),
    ),
    owners: Object.fromEntries(Object.entries(policy.agents).map(([id, a]) => [id, a.owner])),
    standingByClass: standingRulesOf(policy),
    ...(policy.approverWatch ? { approverWatch: { ...policy.approverWatch } } : {}),
    classOwners: Object.fromEntries(
      Object.entries(policy.taskClasses).flatMap(([c, cls]) => (cls.owners ? [[c, [...cls.owners]]] : [])),
    ),
    ...(policy.delegation
      ? {
          delegation: {
            standIns: Object.fromEntries(
              Object.entries(policy.delegation.standIns).map(([a, s]) => [a, [...s]]),
            ),
            maxAwayMs: policy.delegation.maxAway,
          },
        }
      : {}),
    answerTrust: {
      ...policy.answerTrust,
      keys: policy.answerTrust.keys.map((k) => ({ ...k })),
      revoked: [...policy.answerTrust.revoked],
    },
  };
}

/** The classes of `policy` that allow standing approvals, with their limits. */
export function standingRulesOf(policy: LoadedPolicy): Record<string, StandingClassRule> {
  const rules: Record<string, StandingClassRule> = {};
  for (const [name, c] of Object.entries(policy.taskClasses)) {
    const standing = c.standingApprovals;
    if (!standing) continue;
    const never =
      c.twoPersonRule && !standing.cover.twoPersonRule
        ? 'the class is under the two-person rule and its policy does not let standing approvals cover it'
        : c.typedConfirmation && !standing.cover.typedConfirmation
          ? 'the class asks for a typed confirmation and its policy does not let standing approvals cover it'
          : null;
    rules[name] = {
      maxTermMs: standing.maxTerm,
      maxUses: standing.maxUses,
      actions: [...c.actions],
      neverCovers: never,
    };
  }
  return rules;
}

/**
 * Activities that hand entity workflows (kill switch, trust ledger) the authority of the policy in
 * force. The worker's policy store keeps the last good version when the file turns invalid, so the
 * kill switch never depends on a valid policy file.
 */
export function createAuthorityActivities(deps: AuthorityDeps) {
  return {
    /** Admins, agents, classes, approvers, owners and answer keys of the last good policy. */
    async loadControlAuthority(): Promise<ControlAuthority> {
      return controlAuthorityOf(deps.policy());
    },

    /**
     * Whether an answer key is still in force in the policy the worker holds now, and whether the
     * person who answered (`answerer`) still may give it (see
     * {@link answererNoLongerInForce}): a task checks an accepted answer here, so a key revoked,
     * an approver removed or an absence ended after the task was decided is refused.
     */
    async answerKeyInForce(args: {
      keyId: string;
      answerer?: AnswererClaim;
    }): Promise<{ inForce: boolean; reason: string | null }> {
      const policy = deps.policy();
      const trust = policy.answerTrust;
      if (trust.revoked.includes(args.keyId))
        return {
          inForce: false,
          reason: `answer signed with key "${args.keyId}", revoked since this task was decided`,
        };
      if (!trust.keys.some((k) => k.id === args.keyId))
        return { inForce: false, reason: `answer key "${args.keyId}" is no longer in the policy` };
      if (args.answerer) {
        // The registry is asked only for a stand-in's answer: an approver's costs no remote call.
        const away =
          (args.answerer.kind ?? 'approver') === 'approver' &&
          (args.answerer as ApproverClaim).onBehalfOf !== undefined &&
          deps.client &&
          deps.taskQueue
            ? await listAway(deps.client, deps.taskQueue)
            : [];
        const reason = answererNoLongerInForce(policy, args.answerer, away, Date.now());
        if (reason) return { inForce: false, reason };
      }
      return { inForce: true, reason: null };
    },
  };
}
