import { parseAgentToken, secretMatches } from '../client/agent-tokens';
import type { TokenLookup } from '../workflows/agent-token-messages';
import { ApiProblem } from './problem';

/** Finds a token's record by id (the registry's `lookupToken` query); null when unknown. */
export type TokenLookupFn = (tokenId: string) => Promise<TokenLookup | null>;

/**
 * Resolves an `Authorization: Bearer ldr_…` header to the agent the token belongs to, asking the
 * registry on every request so a revocation counts at once on every frontend. The secret is
 * compared by hash in constant time; every failure reads the same, so a caller learns nothing
 * about which part was wrong.
 *
 * @throws {ApiProblem} `unauthorized` for a missing, malformed, unknown, wrong or revoked token.
 */
export async function authenticate(header: string | undefined, lookup: TokenLookupFn): Promise<string> {
  const refused = (why: string) => new ApiProblem('unauthorized', why);
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) throw refused('send your agent token as Authorization: Bearer ldr_…');
  const token = parseAgentToken(match[1]);
  if (!token) throw refused('the token is not a Ladder agent token (ldr_<id>_<secret>)');
  let record: TokenLookup | null;
  try {
    record = await lookup(token.tokenId);
  } catch (err) {
    throw new ApiProblem(
      'unavailable',
      `cannot check the token now: ${(err as Error).message}`,
      undefined,
      5,
    );
  }
  if (!record || !secretMatches(token.secret, record.hash) || record.revoked) {
    throw refused('the token is unknown or revoked; ask an admin for a new one');
  }
  return record.agentId;
}
