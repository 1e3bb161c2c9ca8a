import { PermanentActionError, type ActionContext } from './contract';
import { redactSecrets } from './secrets';

/** An HTTP request as declared in action params. */
export interface HttpRequestSpec {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * The `host[:port]` a URL targets, refusing it when the policy's host bound does not list it.
 *
 * @throws {PermanentActionError} for an unparseable URL or a host outside the bound.
 */
export function checkHost(url: string, ctx: Pick<ActionContext, 'allowedHosts'>): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PermanentActionError(`"${url}" is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PermanentActionError(`"${url}" is not an http(s) URL`);
  }
  if (ctx.allowedHosts && !ctx.allowedHosts.includes(parsed.host)) {
    throw new PermanentActionError(
      `host "${parsed.host}" is not allowed (allowed: ${ctx.allowedHosts.join(', ')})`,
    );
  }
  return parsed;
}

/** The policy's credential headers for one request, and how to keep their secrets out of what it returns. */
export interface RequestCredentials {
  /** Header name → value, set over whatever the agent's params declared. */
  headers: Record<string, string>;
  /** Replaces every injected secret in `text` with `[redacted:<credential id>]`. */
  redact(text: string): string;
  /**
   * `manual` when a credential is attached: fetch would carry custom headers to whatever host a
   * redirect names, outside both the credential's hosts and the policy's host bound.
   */
  redirect: 'follow' | 'manual';
}

/**
 * The credential headers the policy adds for a request to `url` (see {@link ActionContext.credentials}).
 *
 * @throws {PermanentActionError} when a matching credential's secret is missing.
 */
export async function credentialsFor(
  url: URL,
  ctx: Pick<ActionContext, 'credentials'>,
): Promise<RequestCredentials> {
  const injected = (await ctx.credentials?.headersFor(url)) ?? [];
  return {
    headers: Object.fromEntries(injected.map((h) => [h.header, h.value])),
    redact: (text) => (injected.length === 0 ? text : redactSecrets(text, injected)),
    redirect: injected.length === 0 ? 'follow' : 'manual',
  };
}

/**
 * The error to let escape when `err` may mention a secret: the same error when it does not, else a
 * new one of the same kind with the secrets redacted and no cause (Temporal records causes too).
 */
export function redactError(err: unknown, redact: (text: string) => string): unknown {
  if (!(err instanceof Error)) return err;
  const cause = err.cause instanceof Error ? err.cause.message : '';
  if (redact(err.message) === err.message && redact(cause) === cause) return err;
  const message = redact(err.message);
  return err instanceof PermanentActionError ? new PermanentActionError(message) : new Error(message);
}

/**
 * Sends one request with an `Idempotency-Key` header and the policy's credential headers for its
 * host. 2xx resolves; 4xx is permanent (a retry would get the same answer); 5xx and network errors
 * throw plain errors so Temporal retries them. A redirect of a request carrying a credential is
 * permanent: it is not followed.
 *
 * @returns status and the response body as text (at most 64 KiB kept), with injected secrets redacted.
 */
export async function httpCall(
  spec: HttpRequestSpec,
  ctx: ActionContext,
  key = ctx.idempotencyKey,
): Promise<{ status: number; body: string }> {
  const url = checkHost(spec.url, ctx);
  const credentials = await credentialsFor(url, ctx);
  const hasBody = spec.body !== undefined && spec.method !== 'GET' && spec.method !== 'HEAD';
  const headers = new Headers({
    ...(hasBody ? { 'content-type': 'application/json' } : {}),
    'idempotency-key': key,
    ...spec.headers,
  });
  // Set, not appended: whatever the params said, the policy's credential is the one sent.
  for (const [name, value] of Object.entries(credentials.headers)) headers.set(name, value);
  try {
    const response = await fetch(url, {
      method: spec.method,
      headers,
      body: hasBody ? JSON.stringify(spec.body) : undefined,
      redirect: credentials.redirect,
      signal: ctx.signal,
    });
    // Redact before truncating, so a secret cut at the boundary cannot survive half-visible.
    const body = credentials.redact(await response.text()).slice(0, 65_536);
    const answered = `${spec.method} ${spec.url} answered ${response.status}`;
    if (response.status >= 300 && response.status < 400 && credentials.redirect === 'manual') {
      throw new PermanentActionError(
        `${answered} (redirect to ${credentials.redact(response.headers.get('location') ?? '?')}): a request carrying a credential does not follow redirects`,
      );
    }
    if (response.status >= 400 && response.status < 500) {
      throw new PermanentActionError(`${answered}: ${body.slice(0, 200)}`);
    }
    if (!response.ok) throw new Error(`${answered}: ${body.slice(0, 200)}`);
    return { status: response.status, body };
  } catch (err) {
    throw redactError(err, credentials.redact);
  }
}
