import { PermanentActionError, type ActionContext } from './contract';
import { redactSecrets } from './secrets';
import { destinationKey } from './undo-journal';
import { hostListed } from '../../policy/hosts';

/** An HTTP request as declared in action params. */
export interface HttpRequestSpec {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * Parses an action's URL: http(s) only, and no `user:password@` part (it would hide the real host
 * from a reader: `http://allowed@evil/` goes to `evil`).
 *
 * @throws {PermanentActionError} for an unparseable URL, another scheme, or userinfo.
 */
export function parseActionUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PermanentActionError(`"${String(url)}" is not a valid URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new PermanentActionError(`"${String(url)}" is not an http(s) URL`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new PermanentActionError(
      `"${parsed.protocol}//…@${parsed.host}${parsed.pathname}" carries a user name or password: refused (it hides the real host ${parsed.host})`,
    );
  }
  // Servers read an empty segment their own way: `new URL('//x/tickets', base)`, Node's usual idiom,
  // takes `x` for a host and routes `/tickets`; others merge the slashes. Either way the path the
  // policy matched (owner, allow-list) is not the one served.
  if (parsed.pathname.includes('//')) {
    throw new PermanentActionError(
      `"${parsed.href}": its path has an empty segment ("//"): refused, since servers read it differently (some as a host, some as one "/")`,
    );
  }
  // Rails, Laravel and express's method-override take `_method` for the request's real method: a
  // POST the bounds allow would be served as the DELETE they do not.
  if ([...parsed.searchParams.keys()].some((name) => name.toLowerCase() === '_method')) {
    throw new PermanentActionError(
      `"${parsed.href}": a "_method" query parameter makes some servers use another method than the one sent: refused`,
    );
  }
  return parsed;
}

/**
 * The URL an action is about to touch, refusing it unless the policy's host bound lists its host.
 * A class that declares no hosts allows no HTTP call at all.
 *
 * @throws {PermanentActionError} for an invalid URL (see {@link parseActionUrl}), a class with no
 *   host bound, or a host outside the bound.
 */
export function checkHost(url: string | URL, ctx: Pick<ActionContext, 'allowedHosts'>): URL {
  const parsed = parseActionUrl(url);
  if (ctx.allowedHosts === undefined) {
    throw new PermanentActionError(
      `${parsed.href}: the task class declares no hosts (bounds.hosts), so this action may make no HTTP call`,
    );
  }
  if (!hostListed(parsed, ctx.allowedHosts)) {
    throw new PermanentActionError(
      `host "${parsed.host}" is not allowed (allowed: ${ctx.allowedHosts.join(', ') || 'none'})`,
    );
  }
  return parsed;
}

/**
 * What the policy would refuse about the URLs a step touches, for a submission: a user name or
 * password in one, or a host outside the class's host bound. No bound: only the URLs themselves are
 * checked (such a class may draft a request, never send one; the decision says so). Pure.
 *
 * @param fields - each URL with where it is in the params (`params.undo.url`); absent ones skipped.
 * @returns one `field: why` per refused URL, in the order given.
 */
export function urlObjections(
  fields: readonly { field: string; url: string }[],
  hosts: readonly string[] | undefined,
): string[] {
  const objections: string[] = [];
  for (const { field, url } of fields) {
    try {
      if (hosts === undefined) parseActionUrl(url);
      else checkHost(url, { allowedHosts: hosts });
    } catch (err) {
      objections.push(`${field}: ${(err as Error).message}`);
    }
  }
  return objections;
}

/**
 * `url` as a standing approval's target compares it: parsed, so `HTTP://Host:80/a/../b` and
 * `http://host/b` are one target. An unparsable URL stays as given (validation refuses it first).
 */
export function targetUrl(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    return url;
  }
}

/**
 * For a draft (which sends nothing): the URL must be valid, and inside the bound when there is one.
 *
 * @throws {PermanentActionError} as {@link checkHost} does, except for a class with no host bound.
 */
export function checkDraftUrl(url: string, ctx: Pick<ActionContext, 'allowedHosts'>): URL {
  return ctx.allowedHosts === undefined ? parseActionUrl(url) : checkHost(url, ctx);
}

/** The policy's credential headers for one request, and how to keep their secrets out of what it returns. */
export interface RequestCredentials {
  /** Header name → value, set over whatever the agent's params declared. */
  headers: Record<string, string>;
  /** Replaces every injected secret in `text` with `[redacted:<credential id>]`. */
  redact(text: string): string;
  /**
   * `manual` when a credential is attached: a redirect is refused, never followed (the credential
   * is for this host only). `follow`: {@link fetchInBounds} follows a few hops itself, each one
   * re-checked against the policy's host bound.
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

/** Redirect hops followed at most for one request. */
export const MAX_REDIRECTS = 5;
/** Headers that never go on to another host (or scheme) on a redirect. */
const HOST_BOUND_HEADERS = ['idempotency-key', 'authorization', 'proxy-authorization', 'cookie'];

/** One request as {@link fetchInBounds} sends it. */
export interface BoundedRequest {
  method: string;
  headers?: Headers;
  body?: string;
}

/**
 * Sends a request without letting fetch follow redirects: it follows at most {@link MAX_REDIRECTS}
 * hops itself, each one re-checked against the policy's host bound, drops the `Idempotency-Key`,
 * the credential headers and other host-bound headers when a hop goes to another host, and refuses
 * any redirect of a request that carries an injected credential.
 *
 * @param label - `METHOD url` as the params spelled it, for messages.
 * @returns the final (non-redirect) response and the URL that gave it.
 * @throws {PermanentActionError} for a URL or hop outside the bound, too many hops, or a redirect
 *   of a credentialed request; network errors as fetch throws them.
 */
export async function fetchInBounds(
  url: URL,
  request: BoundedRequest,
  ctx: Pick<ActionContext, 'allowedHosts' | 'signal' | 'checkRedirect'>,
  credentials: Pick<RequestCredentials, 'headers' | 'redact' | 'redirect'>,
  label = `${request.method} ${url.href}`,
): Promise<{ response: Response; url: URL }> {
  let current = checkHost(url, ctx);
  let method = request.method;
  let body = request.body;
  const headers = new Headers(request.headers);
  for (let hop = 0; ; hop++) {
    const response = await fetch(current, { method, headers, body, redirect: 'manual', signal: ctx.signal });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || response.status === 304 || location === null) {
      return { response, url: current };
    }
    await response.body?.cancel();
    const answered = `${label} answered ${response.status} (redirect to ${credentials.redact(location)})`;
    if (credentials.redirect === 'manual') {
      throw new PermanentActionError(
        `${answered}: a request carrying a credential does not follow redirects`,
      );
    }
    if (hop >= MAX_REDIRECTS) {
      throw new PermanentActionError(`${answered}: more than ${MAX_REDIRECTS} redirects, not followed`);
    }
    let next: URL;
    try {
      next = checkHost(new URL(location, current), ctx);
    } catch (err) {
      const why = err instanceof PermanentActionError ? err.message : `unparseable location`;
      throw new PermanentActionError(`${answered}: not followed: ${why}`);
    }
    // As browsers do: 303 always, and 301/302 for a POST, go on as a GET without the body.
    const asGet =
      (response.status === 303 && method !== 'HEAD') ||
      ([301, 302].includes(response.status) && method === 'POST');
    const nextMethod = asGet ? 'GET' : method;
    // The host bound is not all the policy said of the URL the step named: where the server sends
    // it must fit the task's environment and, under bounds, the class's requests too.
    const objection = ctx.checkRedirect?.(nextMethod, next);
    if (objection !== undefined) throw new PermanentActionError(`${answered}: not followed: ${objection}`);
    if (next.host !== current.host || next.protocol !== current.protocol) {
      for (const name of [...HOST_BOUND_HEADERS, ...Object.keys(credentials.headers)]) headers.delete(name);
    }
    if (asGet) {
      method = 'GET';
      body = undefined;
      headers.delete('content-type');
      headers.delete('content-length');
    }
    current = next;
  }
}

/**
 * Sends one request with an `Idempotency-Key` header and the policy's credential headers for its
 * host. 2xx resolves; 4xx is permanent (a retry would get the same answer); 5xx and network errors
 * throw plain errors so Temporal retries them. The URL must be inside the policy's host bound (a
 * class with no host bound allows no call); redirects are followed only inside the bound (see
 * {@link fetchInBounds}), and a redirect of a request carrying a credential is permanent: it is not
 * followed.
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
  const headers = new Headers(spec.headers);
  // A default, not an extra value: spread into one object, `Content-Type` from the params and this
  // `content-type` were two names, and Headers joined them into one list of two types.
  if (hasBody && !headers.has('content-type')) headers.set('content-type', 'application/json');
  // Set, not taken from the params (which may not name it: see http-request): the key is Ladder's.
  headers.set('idempotency-key', destinationKey(ctx.stateDir, key));
  // Set, not appended: whatever the params said, the policy's credential is the one sent.
  for (const [name, value] of Object.entries(credentials.headers)) headers.set(name, value);
  try {
    const { response } = await fetchInBounds(
      url,
      { method: spec.method, headers, body: hasBody ? JSON.stringify(spec.body) : undefined },
      ctx,
      credentials,
      `${spec.method} ${spec.url}`,
    );
    // Redact before truncating, so a secret cut at the boundary cannot survive half-visible.
    const body = credentials.redact(await response.text()).slice(0, 65_536);
    const answered = `${spec.method} ${spec.url} answered ${response.status}`;
    if (response.status >= 400 && response.status < 500) {
      throw new PermanentActionError(`${answered}: ${body.slice(0, 200)}`);
    }
    if (!response.ok) throw new Error(`${answered}: ${body.slice(0, 200)}`);
    return { status: response.status, body };
  } catch (err) {
    throw redactError(err, credentials.redact);
  }
}

/**
 * A rung-4 health check: `GET url` inside the host bound, redirects followed only inside it.
 * A URL outside the bound throws; a failed or refused request is reported as unhealthy.
 *
 * @throws {PermanentActionError} when `url` itself is invalid or outside the bound.
 */
export async function healthCheck(
  url: string,
  ctx: Pick<ActionContext, 'allowedHosts' | 'credentials' | 'signal' | 'checkRedirect'>,
  bodyChars = 0,
): Promise<{ healthy: boolean; detail: string }> {
  const got = await getInBounds(url, ctx, bodyChars);
  if ('failed' in got) return { healthy: false, detail: `GET ${url} failed: ${got.failed}` };
  return {
    healthy: got.status >= 200 && got.status < 300,
    detail: `GET ${url} → ${got.status}${bodyChars > 0 ? ` ${got.text}` : ''}`,
  };
}

/**
 * `GET url` inside the host bound with the policy's credential for its host, redirects followed only
 * inside the bound: the status and the first `bodyChars` of the body (secrets redacted), or why it
 * failed (redacted). The URL itself outside the bound throws.
 *
 * @throws {PermanentActionError} when `url` is invalid or outside the bound.
 */
async function getInBounds(
  url: string,
  ctx: Pick<ActionContext, 'allowedHosts' | 'credentials' | 'signal' | 'checkRedirect'>,
  bodyChars: number,
): Promise<{ status: number; text: string } | { failed: string }> {
  const parsed = checkHost(url, ctx);
  const credentials = await credentialsFor(parsed, ctx);
  try {
    const { response } = await fetchInBounds(
      parsed,
      { method: 'GET', headers: new Headers(credentials.headers) },
      ctx,
      credentials,
      `GET ${url}`,
    );
    if (bodyChars === 0) {
      await response.body?.cancel();
      return { status: response.status, text: '' };
    }
    return { status: response.status, text: credentials.redact(await response.text()).slice(0, bodyChars) };
  } catch (err) {
    return { failed: credentials.redact((err as Error).message) };
  }
}

/** Network errors that mean the request never reached the server (so its effect cannot have happened). */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  // undici refuses to build the request (a header it manages, a bad argument): nothing was sent.
  'UND_ERR_INVALID_ARG',
  'UND_ERR_NOT_SUPPORTED',
]);

/**
 * Whether a failed request may still have taken effect at its destination. It did not when Ladder
 * refused it, when the server answered 4xx (a permanent refusal), or when no connection (or no TLS
 * session) was ever made; it may have after a 5xx (a gateway's 502/504 can follow an applied
 * request), a connection broken or timed out after the request went out, or an abort.
 */
export function requestMayHaveArrived(err: unknown): boolean {
  if (err instanceof PermanentActionError) return false;
  if (!(err instanceof Error)) return true;
  const code: unknown =
    (err.cause as { code?: unknown } | undefined)?.code ?? (err as { code?: unknown }).code;
  // Not a system error's name: a DOMException's number (an aborted fetch's AbortError is 20), or none.
  if (typeof code !== 'string') return true;
  // Certificate and handshake failures happen before any byte of the request is sent.
  return !(NOT_SENT_CODES.has(code) || code.startsWith('ERR_TLS_') || /CERT|SELF_SIGNED/.test(code));
}

/**
 * Asks a declared check URL whether an effect happened: `GET url` inside the host bound, 2xx means
 * yes, 404 or 410 no, anything else (another status, a network error) that it cannot tell.
 */
export async function probeUrl(
  url: string,
  ctx: Pick<ActionContext, 'allowedHosts' | 'credentials' | 'signal' | 'checkRedirect'>,
): Promise<boolean | undefined> {
  const got = await getInBounds(url, ctx, 0);
  if ('failed' in got) return undefined;
  if (got.status >= 200 && got.status < 300) return true;
  return got.status === 404 || got.status === 410 ? false : undefined;
}
