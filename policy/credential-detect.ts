// Agents never hold the credentials of the systems they act on (DESIGN.md §4): the worker injects
// them from the policy's `credentials`. A task whose params carry one anyway is refused before any
// workflow starts, so the secret never reaches workflow history, Slack messages or the journal.
// This is a guardrail against mistakes and leaks, not a proof: a determined agent can encode a
// secret past any pattern; what keeps secrets from agents is that they are never given one.

/** One place in a step's params that carries a credential. */
export interface CredentialFinding {
  /** Path inside the params, e.g. `['headers', 'Authorization']`. */
  path: (string | number)[];
  /** What was recognised, e.g. `a GitHub token`; never the value itself. */
  kind: string;
}

/** Header names that exist to carry credentials. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);
/** Parts of a header name that mark it as carrying a secret (`X-Auth-Token`, `X-Client-Secret`). */
const CREDENTIAL_HEADER_PART = /token|secret|api[-_]?key|password/i;

/** Value shapes of well-known credentials, each with a name for the error message. */
const VALUE_PATTERNS: { kind: string; pattern: RegExp }[] = [
  { kind: 'a Slack token', pattern: /\bxox[abpr]-[A-Za-z0-9-]{10,}/ },
  { kind: 'a GitHub token', pattern: /\b(?:gh[oprsu]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/ },
  { kind: 'an API secret key (sk-…)', pattern: /\bsk-[A-Za-z0-9_-]{20,}/ },
  { kind: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { kind: 'a JSON Web Token', pattern: /\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/ },
  { kind: 'a private key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
];

const TOKEN = '[A-Za-z0-9._~+/-]+=*';
/** A whole value that is `Bearer <token>` (a header value as written). */
const BEARER_VALUE = new RegExp(`^\\s*Bearer\\s+${TOKEN}\\s*$`, 'i');
/** `Bearer <token>` inside longer text (a curl command): the token must hold a digit, so prose does not match. */
const BEARER_IN_TEXT = new RegExp(`\\bBearer\\s+(${TOKEN})`, 'gi');
const BASIC = new RegExp(`\\bBasic\\s+(${TOKEN})`, 'gi');

/** Whether `value` shows one of the credential shapes; returns its kind. */
export function credentialKindOf(value: string): string | undefined {
  for (const { kind, pattern } of VALUE_PATTERNS) if (pattern.test(value)) return kind;
  const bearer = BEARER_VALUE.exec(value);
  if (bearer && value.trim().length >= 'Bearer '.length + 8) return 'a Bearer token';
  for (const [, token] of value.matchAll(BEARER_IN_TEXT)) {
    if (token.length >= 8 && /\d/.test(token)) return 'a Bearer token';
  }
  // Basic credentials are base64 of `user:password`; decoding tells them apart from "Basic plan".
  for (const [, token] of value.matchAll(BASIC)) {
    if (token.length < 4 || !/^[A-Za-z0-9+/]+=*$/.test(token)) continue;
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    if (/^[\x20-\x7e]+:[\x20-\x7e]*$/.test(decoded) && !decoded.startsWith(':')) {
      return 'Basic credentials';
    }
  }
  return undefined;
}

/** Whether a header name is one that carries credentials. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADERS.has(name.toLowerCase()) || CREDENTIAL_HEADER_PART.test(name);
}

/**
 * Every place in `params` that carries a credential: a credential header in any `headers` map (at
 * any depth, so an undo request's headers count too), and any string anywhere shaped like a known
 * credential. Pure; walks iteratively, so deep input cannot overflow the stack.
 *
 * @returns findings in document order; empty when none.
 */
export function findCredentials(params: unknown): CredentialFinding[] {
  // Paths are linked to their parent and spelled out only for a finding: copying each node's path
  // would cost time quadratic in depth.
  type Node = { value: unknown; key?: string | number; parent?: Node; inHeaders: boolean };
  const pathOf = (node: Node): (string | number)[] => {
    const path: (string | number)[] = [];
    for (let n: Node | undefined = node; n?.key !== undefined; n = n.parent) path.unshift(n.key);
    return path;
  };
  const findings: CredentialFinding[] = [];
  const stack: Node[] = [{ value: params, inHeaders: false }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      const kind = credentialKindOf(value);
      if (kind) findings.push({ path: pathOf(node), kind });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const children: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    const next: Node[] = [];
    for (const [key, child] of children) {
      if (node.inHeaders && typeof key === 'string' && isCredentialHeader(key)) {
        findings.push({ path: [...pathOf(node), key], kind: `the ${key} header` });
        continue; // one finding per header: its value would only repeat it
      }
      next.push({
        value: child,
        key,
        parent: node,
        inHeaders: typeof key === 'string' && key.toLowerCase() === 'headers' && !Array.isArray(child),
      });
    }
    // Reversed onto the stack, so findings come out in document order. One push at a time: a
    // spread of a 130,000-element array overflows the call stack.
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
  }
  return findings;
}
