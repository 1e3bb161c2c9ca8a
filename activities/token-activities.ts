import type { LoadedPolicy } from '../policy/loader';
import type { TokenAuthority } from '../workflows/agent-token-messages';

/** What the token activity reads: the worker's last good policy. */
export interface TokenActivityDeps {
  policy: () => LoadedPolicy;
}

/**
 * Activities of the agent token registry. The worker's policy store keeps the last good version
 * when the file turns invalid, so token management never depends on a valid policy file.
 */
export function createTokenActivities(deps: TokenActivityDeps) {
  return {
    /** Admins, agents and answer keys of the policy in force: who may create and revoke agent tokens. */
    async loadTokenAuthority(): Promise<TokenAuthority> {
      const policy = deps.policy();
      return {
        policyVersion: policy.versionId,
        admins: [...policy.admins],
        agents: Object.keys(policy.agents),
        answerTrust: {
          ...policy.answerTrust,
          keys: policy.answerTrust.keys.map((k) => ({ ...k })),
          revoked: [...policy.answerTrust.revoked],
        },
      };
    },
  };
}
