import { createFreshReads } from './fresh-reads';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { agentTokens } from '../workflows/agent-tokens';
import {
  agentTokensWorkflowId,
  listTokensQuery,
  lookupTokenQuery,
  tokenCreateUpdate,
  tokenRevokeUpdate,
  type TokenInfo,
  type TokenLookup,
  type TokenReceipt,
} from '../workflows/agent-token-messages';
import type { AnswerSigner } from './answer-signer';
import { entityStartOptions } from './entity-start';

// Agent credentials: `ldr_<tokenId>_<secret>`. The secret (32 random bytes, base64url) is made
// here, shown once, and never stored anywhere: the registry workflow keeps its SHA-256 only.

const TOKEN_PATTERN = /^ldr_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** Raised when the registry refuses a create or revoke; the message is the registry's words. */
export class AgentTokenError extends Error {}

/** SHA-256 (hex) of a token's secret part: what the registry stores and compares. */
export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Makes a new token; `token` is the only copy of the secret. */
export function generateAgentToken(): { token: string; tokenId: string; hash: string } {
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { token: `ldr_${tokenId}_${secret}`, tokenId, hash: hashTokenSecret(secret) };
}

/** Splits a presented token into its id and secret, or null when it is not a Ladder token. */
export function parseAgentToken(token: string): { tokenId: string; secret: string } | null {
  const match = TOKEN_PATTERN.exec(token);
  return match ? { tokenId: match[1], secret: match[2] } : null;
}

/** Whether `secret` hashes to `hash`, compared in constant time so timing leaks nothing about it. */
export function secretMatches(secret: string, hash: string): boolean {
  const actual = Buffer.from(hashTokenSecret(secret), 'hex');
  const expected = Buffer.from(hash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Where the registry lives and who vouches for the admin acting. */
export interface TokenCaller {
  taskQueue: string;
  /** The admin's own operator key (CLI). */
  signer: AnswerSigner;
}

function refusal(err: unknown): never {
  if (err instanceof WorkflowUpdateFailedError)
    throw new AgentTokenError((err.cause as Error | undefined)?.message ?? err.message);
  throw err;
}

/**
 * Creates a token for `agentId` as admin `by`, starting the registry if it does not run yet.
 *
 * @returns the token (shown once: it cannot be recovered) and the registry's receipt.
 * @throws {AgentTokenError} when the registry refuses (not an admin, bad proof, unknown agent, too many tokens).
 */
export async function createAgentToken(
  client: Client,
  caller: TokenCaller,
  request: { agentId: string; by: string },
): Promise<{ token: string; receipt: TokenReceipt }> {
  const made = generateAgentToken();
  const workflowId = agentTokensWorkflowId(caller.taskQueue);
  const args = caller.signer.sign(workflowId, tokenCreateUpdate.name, {
    agentId: request.agentId,
    by: request.by,
    tokenId: made.tokenId,
    hash: made.hash,
  });
  try {
    const receipt = await client.workflow.executeUpdateWithStart(tokenCreateUpdate, {
      args: [args],
      startWorkflowOperation: new WithStartWorkflowOperation(agentTokens, {
        workflowId,
        ...entityStartOptions(caller.taskQueue),
        args: [],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: 'agent token registry (hashes only)',
      }),
    });
    return { token: made.token, receipt };
  } catch (err) {
    refusal(err);
  }
}

/**
 * Revokes one of `agentId`'s tokens as admin `by`; every frontend refuses it from the next request.
 *
 * @throws {AgentTokenError} when the registry refuses (not an admin, bad proof, no such token).
 */
export async function revokeAgentToken(
  client: Client,
  caller: TokenCaller,
  request: { agentId: string; tokenId: string; by: string },
): Promise<TokenReceipt> {
  const workflowId = agentTokensWorkflowId(caller.taskQueue);
  const args = caller.signer.sign(workflowId, tokenRevokeUpdate.name, {
    agentId: request.agentId,
    by: request.by,
    tokenId: request.tokenId,
  });
  try {
    return await client.workflow.getHandle(workflowId).executeUpdate(tokenRevokeUpdate, { args: [args] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new AgentTokenError(`no token ${request.tokenId} for ${request.agentId}`);
    refusal(err);
  }
}

/** An agent's tokens, without hashes (empty before the registry's first token). */
export async function listAgentTokens(
  client: Client,
  taskQueue: string,
  agentId: string,
): Promise<TokenInfo[]> {
  try {
    return await client.workflow.getHandle(agentTokensWorkflowId(taskQueue)).query(listTokensQuery, agentId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}

/** One token's owner, hash and state, or null when the registry does not know it. */
export async function lookupAgentToken(
  client: Client,
  taskQueue: string,
  tokenId: string,
): Promise<TokenLookup | null> {
  try {
    return await client.workflow.getHandle(agentTokensWorkflowId(taskQueue)).query(lookupTokenQuery, tokenId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/**
 * {@link lookupAgentToken} for a server that checks a token on every request: concurrent checks of
 * one token share one query (an agent's burst costs the registry a query or two, not one per
 * request, so its query buffer never overflows), and each still sees the registry as it was after
 * the request arrived, so a revoked token is refused at once.
 */
export function createTokenLookup(
  client: Client,
  taskQueue: string,
): (tokenId: string) => Promise<TokenLookup | null> {
  const reads = createFreshReads((tokenId) => lookupAgentToken(client, taskQueue, tokenId));
  return (tokenId) => reads.read(tokenId);
}
