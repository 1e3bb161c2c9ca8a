import { z } from 'zod';
import type { LoadedPolicy } from '../policy/loader';
import { STATE_FORMAT, type TrustStateExport } from '../client/state-transfer';
import { TOKEN_HASH_PATTERN, TOKEN_ID_PATTERN } from '../workflows/agent-token-messages';

// What `ladder state import` accepts: the file `ladder state export` wrote, checked field by field
// before anything starts, so a hand-edited or truncated file is refused with where it is wrong.

const rung = z.number().int().min(0).max(5);
const iso = z.iso.datetime({ offset: true });
const counts = z.record(z.string(), z.number());

const classLedger = z.looseObject({
  rung,
  evidence: counts,
  lifetime: counts,
});

const ledgerState = z.looseObject({
  agentId: z.string().min(1),
  model: z.string().nullable(),
  promptVersion: z.string().nullable(),
  classes: z.record(z.string(), classLedger),
  history: z.array(
    z.looseObject({ at: iso, taskClass: z.string(), from: rung, to: rung, cause: z.string() }),
  ),
  proposals: z.array(z.looseObject({ id: z.string(), taskClass: z.string(), from: rung, to: rung })),
  seen: z.array(z.tuple([z.number(), z.number()])),
  nextProposal: z.number().int().nonnegative(),
});

const freeze = z.looseObject({ cap: rung, by: z.string(), reason: z.string(), at: iso });

const tokenRecord = z.strictObject({
  tokenId: z.string().regex(TOKEN_ID_PATTERN, 'expected 16 lowercase hex characters'),
  agentId: z.string().min(1),
  hash: z.string().regex(TOKEN_HASH_PATTERN, 'expected a SHA-256 in lowercase hex'),
  createdAt: iso,
  createdBy: z.string(),
  revokedAt: iso.optional(),
  revokedBy: z.string().optional(),
});

const stateFile = z.strictObject({
  format: z.literal(STATE_FORMAT, {
    message: `expected "${STATE_FORMAT}" (a file written by ladder state export)`,
  }),
  exportedAt: iso,
  from: z.strictObject({ namespace: z.string(), taskQueue: z.string() }),
  ledgers: z.array(
    z.strictObject({
      agentId: z.string().min(1),
      state: ledgerState,
      series: z.record(z.string(), z.array(z.unknown())),
    }),
  ),
  killSwitch: z.strictObject({
    all: freeze.nullable(),
    agents: z.record(z.string(), freeze),
    classes: z.record(z.string(), freeze.extend({ taskClass: z.string() })),
  }),
  agentTokens: z.array(tokenRecord),
  standingApprovals: z
    .array(
      z.strictObject({
        id: z.string().regex(/^sa-[0-9a-f]{8}$/, { message: 'expected sa- and 8 hex characters' }),
        agentId: z.string().min(1),
        taskClass: z.string().min(1),
        action: z.string().min(1),
        resource: z.string().min(1),
        environment: z.string().min(1),
        targets: z.array(z.string().min(1)).min(1),
        grantedBy: z.string().min(1),
        grantedAt: iso,
        expiresAt: iso,
        maxUses: z.int().min(1),
        usedBy: z.array(z.string()),
        revoked: z.strictObject({ by: z.string(), at: iso }).nullable(),
        fromTask: z.string().nullable(),
      }),
    )
    .optional(),
});

/**
 * Parses an exported trust state and checks it against the target's policy: every agent and task
 * class it names must exist there (state for an agent the target does not know would never be
 * read, and a rung in an unknown class means the policies differ). Pure.
 *
 * @returns the state, or every problem as `path: what is wrong`.
 */
export function parseTrustState(
  raw: unknown,
  policy: LoadedPolicy,
): { ok: true; state: TrustStateExport } | { ok: false; errors: string[] } {
  const parsed = stateFile.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`),
    };
  const state = parsed.data as unknown as TrustStateExport;
  const errors: string[] = [];
  const agents = Object.keys(policy.agents);
  const classes = Object.keys(policy.taskClasses);
  const knownAgent = (id: string, where: string): void => {
    if (!agents.includes(id))
      errors.push(
        `${where}: agent "${id}" is not in the target's policy ${policy.versionId} (declared: ${agents.join(', ')})`,
      );
  };
  state.ledgers.forEach((l, i) => {
    knownAgent(l.agentId, `ledgers.${i}.agentId`);
    if (l.state.agentId !== l.agentId)
      errors.push(
        `ledgers.${i}.state.agentId: "${l.state.agentId}" does not match the ledger's agent "${l.agentId}"`,
      );
    for (const c of Object.keys(l.state.classes))
      if (!classes.includes(c))
        errors.push(
          `ledgers.${i}.state.classes.${c}: task class "${c}" is not in the target's policy (declared: ${classes.join(', ')})`,
        );
  });
  const seen = new Set<string>();
  state.ledgers.forEach((l, i) => {
    if (seen.has(l.agentId)) errors.push(`ledgers.${i}.agentId: "${l.agentId}" appears twice`);
    seen.add(l.agentId);
  });
  for (const id of Object.keys(state.killSwitch.agents)) knownAgent(id, `killSwitch.agents.${id}`);
  state.agentTokens.forEach((t, i) => knownAgent(t.agentId, `agentTokens.${i}.agentId`));
  (state.standingApprovals ?? []).forEach((a, i) => {
    knownAgent(a.agentId, `standingApprovals.${i}.agentId`);
    if (!classes.includes(a.taskClass))
      errors.push(
        `standingApprovals.${i}.taskClass: task class "${a.taskClass}" is not in the target's policy (declared: ${classes.join(', ')})`,
      );
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, state };
}
