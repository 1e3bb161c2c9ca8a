import type { StandingApproval } from '../../policy/standing-approvals';

/**
 * A standing approval of `a2` for `shell.exec` on `web` in staging, granted by U0APPR001 at
 * `grantedAtMs` for one hour, 2 uses, none used; `over` replaces any field.
 */
export function standingApproval(
  grantedAtMs: number,
  over: Partial<StandingApproval> = {},
): StandingApproval {
  return {
    id: 'sa-0000000a',
    agentId: 'a2',
    taskClass: 'standing',
    action: 'shell.exec',
    resource: 'web',
    environment: 'staging',
    targets: ['run systemctl restart web (in .)'],
    grantedBy: 'U0APPR001',
    grantedAt: new Date(grantedAtMs).toISOString(),
    expiresAt: new Date(grantedAtMs + 3_600_000).toISOString(),
    maxUses: 2,
    usedBy: [],
    revoked: null,
    fromTask: null,
    ...over,
  };
}
