import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LadderActivities } from '../activities';
import { ActivityProfiles, AUTHORITY_REFRESH } from './activity-profiles';
import { checkAnswerProof, refuseAsFailure } from './answer-check';
import {
  exportTokensQuery,
  listTokensQuery,
  lookupTokenQuery,
  TOKEN_HASH_PATTERN,
  TOKEN_ID_PATTERN,
  TOKEN_LIMITS,
  tokenCreateUpdate,
  tokenRevokeUpdate,
  type TokenAuthority,
  type TokenCreateArgs,
  type TokenReceipt,
  type TokenRecord,
  type TokenRevokeArgs,
} from './agent-token-messages';
import { workflowNowIso, workflowNowMs } from './clock';
import { refreshAuthoritySignal } from './messages';

const authorities = proxyActivities<LadderActivities>(ActivityProfiles.authority);

/** Changes after which the registry continues as new even if Temporal does not suggest it yet. */
const CHANGES_PER_RUN = 500;

/** What the registry carries across continue-as-new. */
export interface AgentTokensInput {
  tokens: TokenRecord[];
  authority?: TokenAuthority;
}

/**
 * The agent token registry of one deployment (`control/<queue>/agent-tokens`). It holds only
 * hashes of token secrets; the frontends (HTTP API, MCP) look a presented token up by query on
 * every request, so a revocation takes effect at once on every frontend. Creating and revoking are
 * updates from policy admins, proven by their signature (checked in the validator, so a raw update
 * with a claimed id never reaches history). Bounded: at most {@link TOKEN_LIMITS.activePerAgent}
 * active tokens per agent, revoked ones pruned after 30 days; continues as new when suggested.
 */
export async function agentTokens(input?: AgentTokensInput): Promise<void> {
  const tokens: TokenRecord[] = input?.tokens ?? [];
  const { workflowId } = workflowInfo();
  let authority: TokenAuthority | null = input?.authority ?? null;
  let refreshRequested = false;
  let changes = 0;

  const activeOf = (agentId: string): number =>
    tokens.filter((t) => t.agentId === agentId && t.revokedAt === undefined).length;

  /** Throws with a person's words unless `by` is an admin who proved it and `agentId` exists. */
  const expectAdmin = (answer: string, args: TokenCreateArgs | TokenRevokeArgs, a: TokenAuthority): void => {
    checkAnswerProof(a.answerTrust, workflowId, answer, args, args.by);
    if (!a.admins.includes(args.by)) {
      throw new Error(
        `${args.by} is not an admin in policy ${a.policyVersion}: only admins manage agent tokens`,
      );
    }
    if (!a.agents.includes(args.agentId)) {
      throw new Error(`unknown agent "${args.agentId}" (declared: ${a.agents.join(', ')})`);
    }
  };
  const checkCreate = (args: TokenCreateArgs, a: TokenAuthority): void => {
    expectAdmin(tokenCreateUpdate.name, args, a);
    if (!TOKEN_ID_PATTERN.test(args.tokenId))
      throw new Error('tokenId: expected 16 lowercase hex characters');
    if (!TOKEN_HASH_PATTERN.test(args.hash)) throw new Error('hash: expected a SHA-256 in lowercase hex');
    if (tokens.some((t) => t.tokenId === args.tokenId))
      throw new Error(`token ${args.tokenId} already exists`);
    if (activeOf(args.agentId) >= TOKEN_LIMITS.activePerAgent) {
      throw new Error(
        `${args.agentId} already has ${TOKEN_LIMITS.activePerAgent} active tokens: revoke one first`,
      );
    }
  };
  const checkRevoke = (args: TokenRevokeArgs, a: TokenAuthority): void => {
    expectAdmin(tokenRevokeUpdate.name, args, a);
    const token = tokens.find((t) => t.tokenId === args.tokenId);
    if (!token || token.agentId !== args.agentId) {
      throw new Error(`no token ${args.tokenId} for ${args.agentId}`);
    }
  };

  setHandler(lookupTokenQuery, (tokenId) => {
    const t = tokens.find((x) => x.tokenId === tokenId);
    return t ? { agentId: t.agentId, hash: t.hash, revoked: t.revokedAt !== undefined } : null;
  });
  setHandler(exportTokensQuery, () => tokens.map((t) => ({ ...t })));
  setHandler(listTokensQuery, (agentId) =>
    tokens.filter((t) => t.agentId === agentId).map(({ hash: _hash, ...info }) => info),
  );
  setHandler(refreshAuthoritySignal, () => {
    refreshRequested = true;
  });
  // Validators are synchronous; before the first authority load they cannot decide, so the handler
  // waits for it and checks again (such a refusal is then recorded in history).
  setHandler(
    tokenCreateUpdate,
    async (args): Promise<TokenReceipt> => {
      await condition(() => authority !== null);
      // A refusal here fails the update, not the workflow task (a plain Error would do the latter).
      refuseAsFailure(() => checkCreate(args, authority!));
      const at = workflowNowIso();
      tokens.push({
        tokenId: args.tokenId,
        agentId: args.agentId,
        hash: args.hash,
        createdAt: at,
        createdBy: args.by,
      });
      changes++;
      return { tokenId: args.tokenId, agentId: args.agentId, by: args.by, at };
    },
    { validator: (args) => authority && checkCreate(args, authority) },
  );
  setHandler(
    tokenRevokeUpdate,
    async (args): Promise<TokenReceipt> => {
      await condition(() => authority !== null);
      refuseAsFailure(() => checkRevoke(args, authority!));
      const token = tokens.find((t) => t.tokenId === args.tokenId)!;
      // Revoking twice is harmless (a retried click): the first revocation stands.
      if (token.revokedAt === undefined) {
        token.revokedAt = workflowNowIso();
        token.revokedBy = args.by;
        changes++;
      }
      return {
        tokenId: token.tokenId,
        agentId: token.agentId,
        by: token.revokedBy ?? args.by,
        at: token.revokedAt,
      };
    },
    { validator: (args) => authority && checkRevoke(args, authority) },
  );

  const prune = (): void => {
    const cutoff = workflowNowMs() - TOKEN_LIMITS.keepRevokedMs;
    for (let i = tokens.length - 1; i >= 0; i--) {
      const revokedAt = tokens[i].revokedAt;
      if (revokedAt !== undefined && Date.parse(revokedAt) < cutoff) tokens.splice(i, 1);
    }
  };

  for (;;) {
    if (!authority || refreshRequested) {
      refreshRequested = false;
      authority = await authorities.loadTokenAuthority();
    }
    prune();
    const timedOut = !(await condition(
      () => refreshRequested || changes >= CHANGES_PER_RUN || workflowInfo().continueAsNewSuggested,
      AUTHORITY_REFRESH,
    ));
    if (timedOut) refreshRequested = true;
    if (changes >= CHANGES_PER_RUN || workflowInfo().continueAsNewSuggested) break;
  }
  await condition(allHandlersFinished);
  prune();
  await continueAsNew<typeof agentTokens>({ tokens, authority: authority ?? undefined });
}
