import { PermanentActionError, type ActionContext } from './contract';

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

/**
 * Sends one request with an `Idempotency-Key` header. 2xx resolves; 4xx is permanent (a retry
 * would get the same answer); 5xx and network errors throw plain errors so Temporal retries them.
 *
 * @returns status and the response body as text (at most 64 KiB kept).
 */
export async function httpCall(
  spec: HttpRequestSpec,
  ctx: ActionContext,
  key = ctx.idempotencyKey,
): Promise<{ status: number; body: string }> {
  checkHost(spec.url, ctx);
  const hasBody = spec.body !== undefined && spec.method !== 'GET' && spec.method !== 'HEAD';
  const response = await fetch(spec.url, {
    method: spec.method,
    headers: {
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      'idempotency-key': key,
      ...spec.headers,
    },
    body: hasBody ? JSON.stringify(spec.body) : undefined,
    signal: ctx.signal,
  });
  const body = (await response.text()).slice(0, 65_536);
  if (response.status >= 400 && response.status < 500) {
    throw new PermanentActionError(
      `${spec.method} ${spec.url} answered ${response.status}: ${body.slice(0, 200)}`,
    );
  }
  if (!response.ok)
    throw new Error(`${spec.method} ${spec.url} answered ${response.status}: ${body.slice(0, 200)}`);
  return { status: response.status, body };
}
