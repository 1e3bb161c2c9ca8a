// Messages of the agent token registry (`control/<queue>/agent-tokens`), imported by the workflow,
// the client/CLI and the API frontends, so names and payloads cannot drift apart.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AnswerTrust, Proven } from '../policy/answer-proof';

/** One agent credential as the registry keeps it: never the secret, only its SHA-256. */
export interface TokenRecord {
  tokenId: string;
  agentId: string;
  /** SHA-256 (lowercase hex) of the token's secret part. */
  hash: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
}

/** What `listTokens` answers: metadata without hashes. */
export type TokenInfo = Omit<TokenRecord, 'hash'>;

/** What `lookupToken` answers: just enough for a frontend to check one presented token. */
export interface TokenLookup {
  agentId: string;
  hash: string;
  revoked: boolean;
}

/** Who may manage tokens, from the last good policy the worker holds. */
export interface TokenAuthority {
  policyVersion: string;
  admins: string[];
  agents: string[];
  answerTrust: AnswerTrust;
}

/** Create a token: an admin's signed answer; the secret was made and shown by the client only. */
export interface TokenCreateArgs extends Proven {
  agentId: string;
  by: string;
  tokenId: string;
  hash: string;
}
/** Revoke a token: an admin's signed answer. */
export interface TokenRevokeArgs extends Proven {
  agentId: string;
  by: string;
  tokenId: string;
}
/** What an accepted create or revoke returns. */
export interface TokenReceipt {
  tokenId: string;
  agentId: string;
  by: string;
  at: string;
}

/** The registry's bounds (DESIGN.md §4 "Bounded state"). */
export const TOKEN_LIMITS = {
  activePerAgent: 20,
  /** Revoked records are kept this long (so a revoked token is named as such), then pruned. */
  keepRevokedMs: 30 * 24 * 60 * 60 * 1000,
} as const;

/** Token ids: 16 lowercase hex characters (no `_`, which separates the token's parts). */
export const TOKEN_ID_PATTERN = /^[0-9a-f]{16}$/;
/** A SHA-256 in lowercase hex. */
export const TOKEN_HASH_PATTERN = /^[0-9a-f]{64}$/;

export const tokenCreateUpdate = defineUpdate<TokenReceipt, [TokenCreateArgs]>('tokenCreate');
export const tokenRevokeUpdate = defineUpdate<TokenReceipt, [TokenRevokeArgs]>('tokenRevoke');
export const lookupTokenQuery = defineQuery<TokenLookup | null, [string]>('lookupToken');
export const listTokensQuery = defineQuery<TokenInfo[], [string]>('listTokens');
/**
 * Every record, hashes included, for `ladder state export` (moving a deployment keeps its agents'
 * tokens working). Hashes of random secrets: `lookupToken` already answers one per token id.
 */
export const exportTokensQuery = defineQuery<TokenRecord[]>('exportTokens');

/** The registry of one deployment (task queue). */
export const agentTokensWorkflowId = (taskQueue: string): string => `control/${taskQueue}/agent-tokens`;
