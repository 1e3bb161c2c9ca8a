import type { StandingClassRule } from '../policy/standing-approvals';
import type { LoadedPolicy } from '../policy/loader';
import type { ControlAuthority } from '../workflows/messages';

/** What the authority activity reads: the worker's last good policy. */
export interface AuthorityDeps {
  policy: () => LoadedPolicy;
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
     * Whether an answer key is still in force in the policy the worker holds now: a task checks
     * the key of an accepted answer here, so a key revoked after the task was decided is refused.
     */
    async answerKeyInForce(args: { keyId: string }): Promise<{ inForce: boolean; reason: string | null }> {
      const trust = deps.policy().answerTrust;
      if (trust.revoked.includes(args.keyId))
        return {
          inForce: false,
          reason: `answer signed with key "${args.keyId}", revoked since this task was decided`,
        };
      if (!trust.keys.some((k) => k.id === args.keyId))
        return { inForce: false, reason: `answer key "${args.keyId}" is no longer in the policy` };
      return { inForce: true, reason: null };
    },
  };
}
